# SPDX-License-Identifier: Apache-2.0
"""Every kind of source against the real @tus/server: paths, descriptors,
bytes-like objects, seekable and non-seekable file objects and standard
input, at the sizes where chunk and window arithmetic can go wrong, with and
without compression. Each upload's stored bytes are compared with the
source's SHA-256 (decoded first when stored as zstd)."""

import hashlib
import io
import os
import subprocess

import pytest

import ferry
from conftest import endpoint_via
from fault_proxy import Fault

CHUNK = 256 * 1024
# 0 and 1; around a chunk (a stream reads one chunk + 1 byte ahead: CHUNK+1
# is the smallest stream sent with a deferred length); several windows of 4
# chunks (a stream's request ends at its window), and an exact multiple.
SIZES = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK + 123, 8 * CHUNK]


def data_of(size, seed=7):
    # Compressible and not: a random half and a text half.
    rnd = hashlib.sha256(str(seed).encode()).digest() * (size // 64 + 1)
    rnd = bytes(b ^ (i & 0xFF) for i, b in enumerate(rnd[: size // 2]))
    text = (b"ferry streams " * (size // 14 + 1))[: size - len(rnd)]
    return rnd + text


class ChunkyReader:
    """A non-seekable file object that returns at most 1000 bytes a read
    (short reads are legal and must not cut the stream)."""

    def __init__(self, data):
        self.data, self.at = data, 0

    def read(self, n=-1):
        n = min(n if n >= 0 else len(self.data), 1000)
        out = self.data[self.at:self.at + n]
        self.at += len(out)
        return out


def make_source(kind, data, tmp_path):
    """(source object, cleanup)."""
    path = tmp_path / "src.bin"
    path.write_bytes(data)
    if kind == "path":
        return str(path), lambda: None
    if kind == "pathlike":
        return path, lambda: None
    if kind == "open_rb":
        f = open(path, "rb")
        return f, f.close
    if kind == "bytes":
        return data, lambda: None
    if kind == "bytearray":
        return bytearray(data), lambda: None
    if kind == "memoryview":
        return memoryview(data), lambda: None
    if kind == "bytesio":
        return io.BytesIO(data), lambda: None
    if kind == "pipe":
        p = subprocess.Popen(["cat", str(path)], stdout=subprocess.PIPE)

        def done():
            p.stdout.close()
            p.wait()
        return p.stdout, done
    if kind == "reader":
        return ChunkyReader(data), lambda: None
    raise ValueError(kind)


KINDS = ["path", "pathlike", "open_rb", "bytes", "bytearray", "memoryview",
         "bytesio", "pipe", "reader"]


@pytest.mark.parametrize("compress", ["off", 3])
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_source_kind_uploads_exactly(kind, size, compress, tus_server,
                                          tmp_path):
    data = data_of(size)
    src, cleanup = make_source(kind, data, tmp_path)
    progress = []
    try:
        with ferry.Client(tus_server.endpoint, state_dir=str(tmp_path / "st"),
                          chunk_size=CHUNK, compress=compress) as client:
            r = client.upload(src, name="named.bin",
                              on_progress=progress.append)
    finally:
        cleanup()
    digest = hashlib.sha256(data).hexdigest()
    assert r.bytes == size
    assert r.sha256 == digest
    assert tus_server.stored_sha256(r.url) == digest
    assert r.encoding == ("zstd" if compress == 3 and size > 0 else "identity")
    assert progress[-1].bytes_done == size and progress[-1].total_known
    done = [p.bytes_done for p in progress]
    assert done == sorted(done)
    # The name given is the filename metadata, whatever the source.
    import json
    meta = json.loads((tus_server.store / (r.url.rsplit("/", 1)[-1] +
                                           ".json")).read_text())
    assert meta["metadata"]["filename"] == "named.bin"
    # Nothing left behind for a finished upload.
    assert not list((tmp_path / "st").glob("*.fj"))


def test_a_stream_of_unknown_length_is_sent_with_a_deferred_length(
        tus_server, tmp_path):
    """Several windows of a pipe: the total is unknown until the end, the
    progress says so, and the server learns the length with the last
    PATCH."""
    data = data_of(12 * CHUNK + 5)
    src, cleanup = make_source("pipe", data, tmp_path)
    progress = []
    try:
        with ferry.Client(tus_server.endpoint, state_dir=str(tmp_path / "st"),
                          chunk_size=CHUNK, compress="off") as client:
            r = client.upload(src, on_progress=progress.append)
    finally:
        cleanup()
    assert any(not p.total_known for p in progress)
    assert progress[-1].total_known and progress[-1].bytes_total == len(data)
    assert tus_server.stored_sha256(r.url) == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("compress", ["off", 3])
def test_a_reset_in_the_middle_of_a_stream_is_survived_in_process(
        compress, tus_server, fault_proxy, tmp_path):
    """The bytes the server has not acknowledged are kept in memory: the
    retry resends them from there (the pipe is never read twice)."""
    data = data_of(12 * CHUNK + 77, seed=3)
    proxy = fault_proxy(tus_server.endpoint,
                        [Fault("reset", method="PATCH", nth=2, after=300_000)])
    src, cleanup = make_source("pipe", data, tmp_path)
    events = []
    try:
        with ferry.Client(endpoint_via(proxy, tus_server),
                          state_dir=str(tmp_path / "st"), chunk_size=CHUNK,
                          compress=compress, retry_base=0.02) as c:
            r = c.upload(src, on_event=events.append)
    finally:
        cleanup()
    assert proxy.fired("reset") == 1
    assert r.wire_bytes > len(data) if compress == "off" else True
    assert tus_server.stored_sha256(r.url) == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("kind", ["bytes", "bytesio", "open_rb"])
def test_a_seekable_source_resumes_across_retries_from_the_servers_offset(
        kind, tus_server, fault_proxy, tmp_path):
    """Memory and file objects are read again at the offset the server
    reports after a reset: only what it lacks is sent twice."""
    data = data_of(12 * CHUNK + 1, seed=9)
    proxy = fault_proxy(tus_server.endpoint,
                        [Fault("reset", method="PATCH", nth=1,
                               after=5 * CHUNK)])
    src, cleanup = make_source(kind, data, tmp_path)
    events = []
    try:
        with ferry.Client(endpoint_via(proxy, tus_server),
                          state_dir=str(tmp_path / "st"), chunk_size=CHUNK,
                          compress="off", retry_base=0.02) as c:
            r = c.upload(src, name="m.bin", on_event=events.append)
    finally:
        cleanup()
    assert proxy.fired("reset") == 1
    # Sent twice: only what the server had not stored when the reset hit.
    assert len(data) < r.wire_bytes < len(data) + 2 * CHUNK, r.wire_bytes
    assert tus_server.stored_sha256(r.url) == hashlib.sha256(data).hexdigest()


def test_a_stream_the_server_lost_is_not_resumable_and_nothing_is_created(
        tus_server, fault_proxy, tmp_path):
    """The server loses the upload after the stream's first window was
    acknowledged and released: a new upload would need those bytes, so the
    upload ends with source_not_resumable, and no second upload is made."""
    data = data_of(12 * CHUNK, seed=5)
    proxy = fault_proxy(tus_server.endpoint,
                        [Fault("status", method="PATCH", nth=2, status=404)])
    src, cleanup = make_source("pipe", data, tmp_path)
    try:
        with ferry.Client(endpoint_via(proxy, tus_server),
                          state_dir=str(tmp_path / "st"), chunk_size=CHUNK,
                          compress="off") as c:
            with pytest.raises(ferry.SourceNotResumable) as e:
                c.upload(src)
    finally:
        cleanup()
    assert e.value.category == "local"
    assert len(tus_server.uploads()) == 1


def test_a_read_that_raises_fails_the_upload_with_that_exception(
        tus_server, tmp_path):
    class Broken:
        def __init__(self):
            self.calls = 0

        def read(self, n):
            self.calls += 1
            if self.calls > 3:
                raise OSError("disk on fire")
            return b"x" * min(n, 100_000)

    with ferry.Client(tus_server.endpoint, state_dir=str(tmp_path / "st"),
                      chunk_size=CHUNK) as c:
        with pytest.raises(OSError, match="disk on fire"):
            c.upload(Broken())


def test_a_bytearray_cannot_be_resized_while_it_uploads(tus_server, tmp_path):
    """ferry reads a bytearray in place; Python refuses to resize it while
    an upload holds it, so ferry never reads freed memory."""
    buf = bytearray(data_of(6 * CHUNK))
    with ferry.Client(tus_server.endpoint, state_dir=str(tmp_path / "st"),
                      chunk_size=CHUNK, compress="off",
                      max_send_bytes_per_sec=2 * CHUNK) as c:
        up = c.start(buf)
        with pytest.raises(BufferError):
            buf.extend(b"more")
        r = up.wait()
        up.close()
    assert tus_server.stored_sha256(r.url) == hashlib.sha256(buf).hexdigest()
    buf.extend(b"more")  # released with the upload


@pytest.mark.parametrize("how", ["pipe", "file"])
def test_cli_uploads_standard_input(how, tus_server, cli, tmp_path):
    data = data_of(9 * CHUNK + 3, seed=11)
    path = tmp_path / "in.bin"
    path.write_bytes(data)
    args = [cli, "--endpoint", tus_server.endpoint, "--state-dir",
            str(tmp_path / "st"), "--chunk-size", "256K", "--name", "from.txt",
            "--json", "-"]
    if how == "pipe":
        cat = subprocess.Popen(["cat", str(path)], stdout=subprocess.PIPE)
        out = subprocess.run(args, stdin=cat.stdout, capture_output=True,
                             text=True, timeout=60)
        cat.wait()
    else:
        with open(path, "rb") as f:
            out = subprocess.run(args, stdin=f, capture_output=True,
                                 text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    import json
    done = [json.loads(line) for line in out.stdout.splitlines()
            if '"done"' in line][0]
    assert done["bytes"] == len(data)
    assert done["sha256"] == hashlib.sha256(data).hexdigest()
    assert tus_server.stored_sha256(done["url"]) == done["sha256"]


def test_cli_refuses_stdin_among_other_files(tus_server, cli, tmp_path):
    out = subprocess.run([cli, "--endpoint", tus_server.endpoint, "a", "-"],
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert "only FILE" in out.stderr
