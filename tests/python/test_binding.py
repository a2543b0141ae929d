# SPDX-License-Identifier: Apache-2.0
"""The Python binding (ctypes over the C ABI) against the real tus server."""

import os
import subprocess
import sys

import pytest

import ferry
from conftest import SOURCE_DIR, sha256_file, write_random


def test_upload_with_progress(tus_server, tmp_path):
    f = write_random(tmp_path / "p.bin", 3 * 1024 * 1024 + 9, 1)
    seen = []
    with ferry.Client(tus_server.endpoint, state_dir=str(tmp_path / "st"),
                      chunk_size=512 * 1024, compress="off") as client:
        r = client.upload(f, on_progress=seen.append,
                          metadata={"kind": "test"})
    assert isinstance(r, ferry.UploadResult)
    assert r.bytes == os.path.getsize(f) == r.wire_bytes
    assert r.sha256 == sha256_file(f) == tus_server.stored_sha256(r.url)
    assert len(seen) >= 7  # at least one per acknowledged chunk
    assert seen[-1].bytes_done == seen[-1].bytes_total == r.bytes
    assert all(a.bytes_done <= b.bytes_done for a, b in zip(seen, seen[1:]))


def test_typed_exception_for_too_large(tus_server_factory, tmp_path):
    server = tus_server_factory("--max-size", "1000")
    f = write_random(tmp_path / "big.bin", 1001, 2)
    client = ferry.Client(server.endpoint, state_dir=str(tmp_path / "st"))
    with pytest.raises(ferry.FileTooLarge) as info:
        client.upload(f)
    e = info.value
    assert isinstance(e, ferry.FerryError)
    assert (e.code, e.category, e.origin) == ("file_too_large", "policy",
                                              "server")
    assert e.retryable is False and e.retry_after is None
    assert e.action == "split_file" and e.limit == 1000
    assert e.action_description
    assert "1000" in e.message
    assert e.http_status == 0  # refused before any request carried the file


def test_every_code_has_an_exception_class():
    assert len(ferry.CODES) >= 39
    for code in ferry.CODES:
        cls = ferry.ERROR_CLASSES[code]
        assert issubclass(cls, ferry.FerryError) and cls.code == code
        assert getattr(ferry, cls.__name__) is cls
    assert ferry.RateLimited is ferry.ERROR_CLASSES["rate_limited"]


def test_file_not_found_and_connection_refused(tmp_path):
    client = ferry.Client("http://127.0.0.1:9/files/",
                          state_dir=str(tmp_path / "st"), max_retries=0)
    with pytest.raises(ferry.FileNotFound):
        client.upload(tmp_path / "missing")
    f = write_random(tmp_path / "x", 10, 3)
    with pytest.raises(ferry.ConnectionRefused) as info:
        client.upload(f)
    assert info.value.origin == "network" and info.value.retryable


def test_callback_exception_cancels_and_propagates(tus_server, tmp_path):
    f = write_random(tmp_path / "c.bin", 2 * 1024 * 1024, 4)
    client = ferry.Client(tus_server.endpoint, state_dir=str(tmp_path / "st"),
                          chunk_size=256 * 1024)

    def boom(progress):
        if progress.bytes_acked > 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        client.upload(f, on_progress=boom)
    # Returning True cancels with a typed error; the next call resumes.
    with pytest.raises(ferry.Cancelled):
        client.upload(f, on_progress=lambda p: p.bytes_acked > 0)
    events = []
    r = client.upload(f, on_event=events.append)
    assert r.resumed_from > 0
    assert events[0].type == "resumed" and events[0].offset == r.resumed_from
    assert tus_server.stored_sha256(r.url) == sha256_file(f)


def test_invalid_arguments():
    with pytest.raises(ferry.InvalidArgument):
        ferry.Client("ftp://nope/")
    with pytest.raises(ferry.InvalidArgument):
        ferry.Client("http://127.0.0.1:9/", headers={"Upload-Offset": "1"})


def test_pip_install_without_an_index(tmp_path):
    target = tmp_path / "site"
    env = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    p = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-index", "--target",
         str(target), str(SOURCE_DIR / "bindings" / "python")],
        capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    check = subprocess.run(
        [sys.executable, "-c",
         "import ferry, sys; print(ferry.__file__); "
         "print(*(c.__name__ for c in ferry.FileTooLarge.__mro__[1:3]))"],
        capture_output=True, text=True, cwd=str(tmp_path),
        env=dict(os.environ, PYTHONPATH=str(target)), timeout=60)
    assert check.returncode == 0, check.stderr
    assert str(target) in check.stdout and "PolicyError Error" in check.stdout


def test_compression_option(tus_server, tmp_path):
    f = tmp_path / "log.txt"
    f.write_bytes(b"".join(b"line %d of a very repetitive log\n" % i
                           for i in range(100000)))
    client = ferry.Client(tus_server.endpoint, state_dir=str(tmp_path / "st"),
                          compress=3)
    r = client.upload(f)
    assert r.encoding == "zstd" and r.wire_bytes < r.bytes / 3
    assert tus_server.stored_sha256(r.url) == sha256_file(f)
    plain = ferry.Client(tus_server.endpoint, state_dir=str(tmp_path / "st"),
                         compress="off").upload(f)
    assert plain.encoding == "identity" and plain.wire_bytes == plain.bytes
    with pytest.raises(ferry.InvalidArgument):
        ferry.Client(tus_server.endpoint, compress=99)


def test_upload_batch(tus_server, tmp_path):
    files = [write_random(tmp_path / f"b{i}.bin", (i * 40503) % 300000, 40 + i)
             for i in range(10)]
    files.insert(3, tmp_path / "missing.bin")
    seen, ended = [], {}
    client = ferry.Client(tus_server.endpoint, state_dir=str(tmp_path / "st"),
                          chunk_size=64 * 1024, compress="off")
    out = client.upload_batch(files, concurrency=3,
                              on_progress=seen.append,
                              on_file_done=ended.__setitem__)
    assert len(out) == len(files)
    for i, (path, r) in enumerate(zip(files, out)):
        if i == 3:
            assert isinstance(r, ferry.FileNotFound)
            assert isinstance(ended[i], ferry.FileNotFound)
        else:
            assert isinstance(r, ferry.UploadResult), r
            assert r.sha256 == sha256_file(path)
            assert tus_server.stored_sha256(r.url) == sha256_file(path)
            assert ended[i] == r
    done = [p.bytes_done for p in seen]
    assert done == sorted(done)
    assert seen[-1].files_done == len(files)
    assert seen[-1].files_failed == 1
    assert seen[-1].bytes_done == seen[-1].bytes_total


def test_upload_batch_cancel_from_a_callback(tus_server, tmp_path):
    files = [write_random(tmp_path / f"c{i}.bin", 2_000_000, i)
             for i in range(6)]
    client = ferry.Client(tus_server.endpoint, state_dir=str(tmp_path / "st"),
                          chunk_size=64 * 1024, compress="off",
                          max_send_bytes_per_sec=20_000_000)
    out = client.upload_batch(files, concurrency=2,
                              on_progress=lambda p: p.bytes_done > 500_000)
    assert all(isinstance(r, ferry.Cancelled) for r in out)
