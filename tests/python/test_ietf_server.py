# SPDX-License-Identifier: Apache-2.0
"""The strict IETF resumable-upload draft server (samples/ietf-server):
tus-js-client's own IETF mode uploads through it (the second, independent
client, whose bytes are checked against the source's SHA-256), and every
MUST the draft puts on a client is enforced with a typed problem. The raw
exchanges read interim responses too (http.client stops at a 104)."""

import base64
import hashlib
import json
import socket
import subprocess
import time

import pytest

from conftest import (BUILD_DIR, SOURCE_DIR, IetfServer, server_factory,
                      sha256_file, write_random)

TUSJS = SOURCE_DIR / "tests/support/tusjs_ietf_upload.js"
PEERS = SOURCE_DIR / "tests/bench/peers/node_modules/tus-js-client"
PROBLEMS = "https://iana.org/assignments/http-problem-types#"


class DraftServer(IetfServer):
    """The strict server, spoken to by hand (raw exchanges)."""

    def exchange(self, method, path, headers=(), body=b"", send=None):
        """One request on its own connection: (interim responses, status,
        headers, body); headers as a dict of lower-case names. `send`
        replaces the body bytes actually sent (to send less or more than
        Content-Length says)."""
        head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}",
                "Connection: close"]
        names = {n.lower() for n, _ in headers}
        if method in ("POST", "PATCH") and not names & {
                "content-length", "transfer-encoding"}:
            head.append(f"Content-Length: {len(body)}")
        head += [f"{n}: {v}" for n, v in headers]
        with socket.create_connection(("127.0.0.1", self.port), 10) as s:
            s.sendall(("\r\n".join(head) + "\r\n\r\n").encode() +
                      (body if send is None else send))
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        interims = []
        while True:
            block, _, data = data.partition(b"\r\n\r\n")
            lines = block.decode().split("\r\n")
            status = int(lines[0].split()[1])
            fields = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                fields[name.strip().lower()] = value.strip()
            if status >= 200:
                return interims, status, fields, data
            interims.append((status, fields))

    def create(self, complete="?0", body=b"", extra=()):
        headers = [("Upload-Draft-Interop-Version", "8"),
                   ("Upload-Complete", complete), *extra]
        return self.exchange("POST", "/uploads/", headers, body)

    def append(self, url, offset, body, complete="?0", extra=()):
        headers = [("Upload-Draft-Interop-Version", "8"),
                   ("Content-Type", "application/partial-upload"),
                   ("Upload-Offset", str(offset)),
                   ("Upload-Complete", complete), *extra]
        return self.exchange("PATCH", url, headers, body)

    def head(self, url):
        return self.exchange("HEAD", url,
                             [("Upload-Draft-Interop-Version", "8")])



@pytest.fixture
def ietf_server(tmp_path):
    yield from server_factory(tmp_path, DraftServer)


def tusjs(server, path, chunk=None):
    assert PEERS.exists(), "tus-js-client is not installed: run scripts/setup"
    cmd = ["node", str(TUSJS), server.endpoint, str(path)]
    if chunk:
        cmd.append(str(chunk))
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def problem(body):
    return json.loads(body)


@pytest.mark.parametrize("size", [0, 1, 1_000_003, 5 * 1024 * 1024 + 3])
@pytest.mark.parametrize("chunk", [None, 1024 * 1024])
def test_tus_js_client_ietf_mode_uploads_verified(ietf_server, tmp_path, size,
                                                  chunk):
    server = ietf_server("--progress-every", "262144")
    src = write_random(tmp_path / "src.bin", size, size)
    run = tusjs(server, src, chunk)
    assert run.returncode == 0, run.stderr
    url = run.stdout.strip()
    assert server.stored_sha256(url) == sha256_file(src)
    _, status, fields, _ = server.head(url.split(str(server.port), 1)[1])
    assert status == 204
    assert fields["upload-offset"] == str(size)
    # tus-js-client completes a non-empty upload with its last append when
    # it sends the file whole; an empty one it creates with
    # Upload-Complete: ?0 and never appends to. In chunks from a stream it
    # does not always know the last one (measured: 5 MiB + 3 bytes in 1 MiB
    # chunks stays ?0), which is its behaviour, not the server's.
    if chunk is None:
        assert fields["upload-complete"] == ("?1" if size else "?0")


def test_a_client_ignoring_max_append_size_is_refused(ietf_server, tmp_path):
    server = ietf_server("--max-append-size", str(2 * 1024 * 1024))
    src = write_random(tmp_path / "src.bin", 3 * 1024 * 1024, 3)
    # tus-js-client does not read Upload-Limit: one append of 3 MiB breaks
    # the limit, appends of 1 MiB keep to it.
    refused = tusjs(server, src)
    assert refused.returncode != 0 and "413" in refused.stderr
    kept = tusjs(server, src, 1024 * 1024)
    assert kept.returncode == 0, kept.stderr
    assert server.stored_sha256(kept.stdout.strip()) == sha256_file(src)


def test_creation_announces_the_upload_in_a_104(ietf_server):
    server = ietf_server("--max-size", "1000000")
    interims, status, fields, body = server.create("?1", b"x" * 10)
    assert status == 200, body
    assert interims and interims[0][0] == 104
    first = interims[0][1]
    assert first["location"] == fields["location"]
    assert first["upload-draft-interop-version"] == "8"
    assert first["upload-limit"] == "max-size=1000000"
    assert json.loads(body)["sha256"] == hashlib.sha256(b"x" * 10).hexdigest()


def test_requests_without_what_the_draft_requires_are_refused(ietf_server):
    server = ietf_server()
    _, status, _, body = server.exchange(
        "POST", "/uploads/", [("Upload-Complete", "?1")], b"abc")
    assert status == 400 and "interop-version" in problem(body)["type"]
    _, status, _, body = server.exchange(
        "POST", "/uploads/", [("Upload-Draft-Interop-Version", "7"),
                              ("Upload-Complete", "?1")], b"abc")
    assert status == 400 and "interop-version" in problem(body)["type"]
    _, status, _, body = server.exchange(
        "POST", "/uploads/", [("Upload-Draft-Interop-Version", "8"),
                              ("Upload-Complete", "1")], b"abc")
    assert status == 400 and "upload-complete" in problem(body)["type"]
    _, status, fields, _ = server.create()
    url = fields["location"]
    _, status, _, body = server.exchange(
        "PATCH", url, [("Upload-Draft-Interop-Version", "8"),
                       ("Content-Type", "application/offset+octet-stream"),
                       ("Upload-Offset", "0"), ("Upload-Complete", "?1")],
        b"abc")
    assert status == 415
    _, status, _, body = server.exchange(
        "PATCH", url, [("Upload-Draft-Interop-Version", "8"),
                       ("Content-Type", "application/partial-upload"),
                       ("Upload-Offset", "0.0"), ("Upload-Complete", "?1")],
        b"abc")
    assert status == 400 and "append-headers" in problem(body)["type"]


def test_offsets_completion_and_lengths_are_enforced(ietf_server):
    server = ietf_server()
    _, status, fields, _ = server.create(
        "?0", b"hello ", [("Upload-Length", "11")])
    assert status == 201 and fields["upload-offset"] == "6"
    url = fields["location"]
    _, status, fields, body = server.append(url, 3, b"world", "?1")
    assert status == 409 and fields["upload-offset"] == "6"
    p = problem(body)
    assert p["type"] == PROBLEMS + "mismatching-upload-offset"
    assert (p["expected-offset"], p["provided-offset"]) == (6, 3)
    _, status, _, body = server.append(url, 6, b"world",
                                       "?1", [("Upload-Length", "12")])
    assert status == 400
    assert problem(body)["type"] == PROBLEMS + "inconsistent-upload-length"
    _, status, fields, body = server.append(url, 6, b"world", "?1")
    assert status == 200 and fields["upload-complete"] == "?1"
    assert json.loads(body)["sha256"] == hashlib.sha256(
        b"hello world").hexdigest()
    _, status, _, body = server.append(url, 11, b"", "?1")
    assert status == 400
    assert problem(body)["type"] == PROBLEMS + "completed-upload"
    _, status, _, body = server.append(url, 11, b"!", "?1")
    assert status == 400
    assert problem(body)["type"] == PROBLEMS + "inconsistent-upload-length"


def test_content_past_the_length_deactivates_the_upload(ietf_server):
    server = ietf_server()
    _, _, fields, _ = server.create("?0", b"", [("Upload-Length", "4")])
    url = fields["location"]
    # No Content-Length (so nothing can be refused before reading): 6
    # bytes arrive for a length of 4.
    _, status, _, body = server.exchange(
        "PATCH", url, [("Upload-Draft-Interop-Version", "8"),
                       ("Content-Type", "application/partial-upload"),
                       ("Upload-Offset", "0"), ("Upload-Complete", "?0"),
                       ("Transfer-Encoding", "chunked")],
        send=b"6\r\nabcdef\r\n0\r\n\r\n")
    assert status == 400
    assert problem(body)["type"] == PROBLEMS + "inconsistent-upload-length"
    _, status, _, _ = server.head(url)
    assert status == 410


def test_digests_are_checked(ietf_server):
    server = ietf_server()
    good = base64.b64encode(hashlib.sha256(b"abc").digest()).decode()
    bad = base64.b64encode(hashlib.sha256(b"abd").digest()).decode()
    _, status, fields, _ = server.create(
        "?0", b"", [("Repr-Digest", f"sha-256=:{good}:"),
                    ("Want-Repr-Digest", "sha-256=9")])
    url = fields["location"]
    _, status, _, body = server.append(
        url, 0, b"abc", "?0", [("Content-Digest", f"sha-256=:{bad}:")])
    assert status == 400 and "content-digest" in problem(body)["type"]
    _, _, fields, _ = server.head(url)
    assert fields["upload-offset"] == "0"  # nothing appended
    _, status, fields, _ = server.append(
        url, 0, b"abc", "?1", [("Content-Digest", f"sha-256=:{good}:")])
    assert status == 200
    assert fields["repr-digest"] == f"sha-256=:{good}:"
    # A representation that does not match its announced Repr-Digest fails
    # on completion, marked complete.
    _, _, fields, _ = server.create(
        "?0", b"", [("Repr-Digest", f"sha-256=:{good}:")])
    _, status, fields, body = server.append(fields["location"], 0, b"abd",
                                            "?1")
    assert status == 400 and fields["upload-complete"] == "?1"
    assert "repr-digest" in problem(body)["type"]


def test_limits_are_announced_and_enforced(ietf_server):
    server = ietf_server("--max-size", "100", "--max-append-size", "10",
                         "--min-append-size", "4", "--max-age", "3600")
    _, status, fields, _ = server.exchange("OPTIONS", "/uploads/")
    assert status == 204
    assert "application/partial-upload" in fields["accept-patch"]
    assert fields["upload-limit"] == ("max-size=100, max-append-size=10, "
                                      "min-append-size=4, max-age=3600")
    _, status, fields, _ = server.create("?1", b"x" * 101)
    assert status == 413 and "max-size=100" in fields["upload-limit"]
    _, status, fields, _ = server.create("?0", b"x" * 11)
    assert status == 413 and "max-append-size" in fields["upload-limit"]
    _, status, _, body = server.create("?0", b"xy")
    assert status == 400 and "min-append-size" in problem(body)["type"]
    _, status, fields, _ = server.create("?0", b"abcd")
    assert status == 201
    url = fields["location"]
    _, status, _, _ = server.append(url, 4, b"ef", "?1")  # completing: exempt
    assert status == 200


def test_a_new_request_ends_one_still_sending(ietf_server):
    server = ietf_server()
    _, _, fields, _ = server.create("?0", b"")
    url = fields["location"]
    stale = socket.create_connection(("127.0.0.1", server.port), 10)
    stale.sendall((f"PATCH {url} HTTP/1.1\r\nHost: x\r\n"
                   "Upload-Draft-Interop-Version: 8\r\n"
                   "Content-Type: application/partial-upload\r\n"
                   "Upload-Offset: 0\r\nUpload-Complete: ?0\r\n"
                   "Content-Length: 1000\r\n\r\n").encode() + b"a" * 300)
    time.sleep(0.5)  # the 300 bytes reach the server
    _, _, fields, _ = server.head(url)
    assert fields["upload-offset"] == "300"
    stale.settimeout(10)
    try:
        assert stale.recv(100) == b""  # the stale request was ended
    except ConnectionResetError:
        pass
    stale.close()
    _, status, fields, _ = server.append(url, 300, b"b" * 10, "?1")
    assert status == 200 and fields["upload-length"] == "310"


def test_cancel_removes_the_upload(ietf_server):
    server = ietf_server()
    _, _, fields, _ = server.create("?0", b"abc")
    url = fields["location"]
    _, status, _, _ = server.exchange(
        "DELETE", url, [("Upload-Draft-Interop-Version", "8")])
    assert status == 204
    _, status, _, _ = server.head(url)
    assert status == 404


def test_ferry_explains_a_draft_endpoint(ietf_server, cli, tmp_path):
    """Until ferry uploads with the draft, an endpoint that speaks only the
    draft is refused with what it speaks, before a byte is sent; the
    doctor says the same."""
    server = ietf_server("--max-size", "1000000", "--max-append-size", "65536")
    src = write_random(tmp_path / "a.bin", 1000, 1)
    p = subprocess.run([cli, "--endpoint", server.endpoint, "--state-dir",
                        str(tmp_path / "st"), "--json", src],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    err = [json.loads(line) for line in p.stdout.splitlines()][-1]["error"]
    assert err["code"] == "protocol_unsupported"
    assert "IETF resumable-upload draft" in err["message"]
    assert server.uploads() == []
    doctor = subprocess.run(
        [str(BUILD_DIR / "samples" / "ferry-doctor"), "--json",
         server.endpoint], capture_output=True, text=True, timeout=60)
    checks = {c["check"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert checks["server"]["status"] == "fail"
    assert "IETF resumable-upload draft" in json.dumps(checks["server"])
    # What it does speak: each interop version tried with an empty upload,
    # removed again.
    assert checks["draft"]["status"] == "ok", checks["draft"]
    assert "interop versions 8, 6;" in checks["draft"]["detail"]
    assert "limits: max-size=1000000, max-append-size=65536" in \
        checks["draft"]["detail"]
    assert server.uploads() == []


def test_doctor_skips_the_draft_on_a_tus_endpoint(tus_server):
    doctor = subprocess.run(
        [str(BUILD_DIR / "samples" / "ferry-doctor"), "--json",
         tus_server.endpoint], capture_output=True, text=True, timeout=60)
    assert doctor.returncode == 0, doctor.stdout
    checks = {c["check"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert checks["draft"]["status"] == "skipped"


def test_the_policy_profile_refuses_as_services_do(ietf_server, tmp_path):
    """The tus sample server's policy profile, on the draft server: the
    file name from Content-Disposition, the length from Upload-Length, the
    content scan over the bytes as they arrive."""
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({
        "blocked_extensions": [".exe"], "max_file_bytes": 1000,
        "tokens": {"tok-a": {"user": "alice"}},
        "scan_marker": "FERRY-TEST-MALWARE"}))
    server = ietf_server("--policy", str(policy))
    auth = ("Authorization", "Bearer tok-a")
    _, status, fields, body = server.create("?1", b"x")
    assert status == 401 and "Bearer" in fields["www-authenticate"]
    _, status, _, body = server.create(
        "?1", b"MZ", [auth, ("Content-Disposition",
                             'inline; filename="setup.EXE"')])
    assert status == 403
    assert problem(body)["code"] == "file_type_blocked"
    _, status, _, body = server.create("?0", b"", [auth,
                                                   ("Upload-Length", "1001")])
    assert status == 413 and problem(body)["code"] == "file_too_large"
    _, status, fields, _ = server.create("?0", b"", [auth])
    url = fields["location"]
    # The marker split across two chunks of a chunked body is still found.
    _, status, _, body = server.exchange(
        "PATCH", url, [("Upload-Draft-Interop-Version", "8"), auth,
                       ("Content-Type", "application/partial-upload"),
                       ("Upload-Offset", "0"), ("Upload-Complete", "?1"),
                       ("Transfer-Encoding", "chunked")],
        send=b"9\r\nFERRY-TES\r\n9\r\nT-MALWARE\r\n0\r\n\r\n")
    assert status == 422 and problem(body)["code"] == "content_rejected"
    _, status, fields, _ = server.exchange(
        "HEAD", url, [("Upload-Draft-Interop-Version", "8"), auth])
    assert status == 204 and fields["upload-complete"] == "?0"


def test_tusjs_sends_no_content_digest(ietf_server, tmp_path):
    """Measured for the README's table: tus-js-client's IETF mode sends no
    Content-Digest, so a server that wants one refuses its content (ferry
    passes against the same server: test_ietf_upload.py)."""
    server = ietf_server("--want-content-digest")
    src = write_random(tmp_path / "w.bin", 100_000, 12)
    p = tusjs(server, src)
    assert p.returncode != 0
    assert "content-digest" in p.stdout + p.stderr
