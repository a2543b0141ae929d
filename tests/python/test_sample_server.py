# SPDX-License-Identifier: Apache-2.0
"""The bundled tus server keeps serving through every way a client can
leave mid-request, in both of its modes (the checksum-buffering default and
the streaming path users run, `--no-checksum`): what a killed or cancelled
upload does to it must not take the other uploads down."""

import http.client
import json
import random
import socket
import struct
import subprocess
import threading
import urllib.parse

import pytest

from conftest import sha256_file, write_random

SIZE = 4 << 20
WAYS = ["fin_mid_body", "rst_mid_body", "chunked_cut", "wrong_offset",
        "whole_then_gone"]


def create(host, port):
    c = http.client.HTTPConnection(host, port, timeout=30)
    c.request("POST", "/files/", headers={"Tus-Resumable": "1.0.0",
                                          "Upload-Length": str(SIZE)})
    r = c.getresponse()
    r.read()
    c.close()
    assert r.status == 201, r.status
    return "/files/" + r.getheader("Location").rstrip("/").rsplit("/", 1)[-1]


def leave(host, port, way, rng):
    """One PATCH that the client abandons the given way."""
    path = create(host, port)
    chunked = way == "chunked_cut"
    offset = 7 if way == "wrong_offset" else 0
    head = (f"PATCH {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Tus-Resumable: 1.0.0\r\nUpload-Offset: {offset}\r\n"
            f"Content-Type: application/offset+octet-stream\r\n")
    head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else \
        f"Content-Length: {SIZE}\r\n\r\n"
    n = SIZE if way == "whole_then_gone" else rng.randint(1, SIZE - 1)
    s = socket.create_connection((host, port))
    try:
        s.sendall(head.encode())
        sent = 0
        while sent < n:
            k = min(1 << 16, n - sent)
            block = b"f" * k
            s.sendall(b"%x\r\n%s\r\n" % (k, block) if chunked else block)
            sent += k
    except OSError:
        pass  # the server answered early (wrong_offset) and closed
    if way == "rst_mid_body":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
    s.close()


@pytest.mark.parametrize("mode", [(), ("--no-checksum",)],
                         ids=["buffered", "streaming"])
def test_sample_server_survives_clients_that_leave(mode, tus_server_factory,
                                                   cli, tmp_path):
    server = tus_server_factory(*mode)
    u = urllib.parse.urlsplit(server.endpoint)
    errors = []

    def client(seed):
        rng = random.Random(seed)
        try:
            for i in range(10):
                leave(u.hostname, u.port, WAYS[(seed + i) % len(WAYS)], rng)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=client, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert server.proc.poll() is None, "the sample server died"
    # ... and it still stores an upload right.
    f = write_random(tmp_path / "after.bin", 3 << 20, 11)
    p = subprocess.run([cli, "--endpoint", server.endpoint, "--state-dir",
                        str(tmp_path / "st"), "--json", "--compress", "off",
                        f], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    done = json.loads([line for line in p.stdout.splitlines()
                       if '"done"' in line][0])
    assert server.stored_sha256(done["url"]) == sha256_file(f)
