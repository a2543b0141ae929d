# SPDX-License-Identifier: Apache-2.0
"""Steering an upload from the app (pause, resume, cancel, asyncio) and the
list of unfinished uploads (pending, resume, forget), against the real
@tus/server. Every finished upload's stored bytes are compared with the
source's SHA-256."""

import asyncio
import ctypes
import json
import os
import signal
import subprocess
import time

import pytest

import ferry
from conftest import sha256_file, write_random
from ferry._native import lib

CHUNK = 256 * 1024
RATE = 2 * 1024 * 1024  # bytes/s: slow enough to steer mid-upload


def client(server, tmp_path, **kw):
    opts = dict(state_dir=str(tmp_path / "st"), chunk_size=CHUNK,
                compress="off", max_send_bytes_per_sec=RATE)
    opts.update(kw)
    return ferry.Client(server.endpoint, **opts)


def stored_size(server):
    sizes = [p.stat().st_size for p in server.uploads()]
    return max(sizes) if sizes else 0


def wait_for(cond, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return False


def test_pause_stops_sending_and_resume_continues_from_the_server(
        tus_server, tmp_path):
    path = write_random(tmp_path / "f.bin", 8 << 20, 1)
    events = []
    with client(tus_server, tmp_path) as c:
        up = c.start(path, on_event=events.append)
        assert wait_for(lambda: stored_size(tus_server) > 512 * 1024)
        up.pause()
        assert wait_for(lambda: up.status.phase == "paused", 3)
        held = stored_size(tus_server)
        time.sleep(1.0)
        # Paused: not a byte more reaches the server.
        assert stored_size(tus_server) == held
        assert up.status.phase == "paused"
        up.resume()
        r = up.wait(timeout=60)
        assert up.status.phase == "done"
        up.close()
    types = [e.type for e in events]
    assert "paused" in types and "unpaused" in types
    unpaused = [e for e in events if e.type == "unpaused"][0]
    assert unpaused.offset >= held - CHUNK  # where the server's copy was
    assert r.sha256 == sha256_file(path)
    assert tus_server.stored_sha256(r.url) == r.sha256


def test_cancel_keeps_state_and_a_later_upload_resumes(tus_server, tmp_path):
    path = write_random(tmp_path / "f.bin", 8 << 20, 2)
    with client(tus_server, tmp_path) as c:
        up = c.start(path)
        assert wait_for(lambda: stored_size(tus_server) > 1 << 20)
        up.pause()
        assert wait_for(lambda: up.status.phase == "paused", 3)
        up.cancel()  # a paused upload can be cancelled
        with pytest.raises(ferry.Cancelled):
            up.wait(timeout=10)
        assert up.status.phase == "failed"
        assert isinstance(up.status.last_error, ferry.Cancelled)
        # Steering an ended upload is a typed error, not a crash.
        with pytest.raises(ferry.InvalidArgument):
            up.resume()
        up.close()
        pending = c.pending()
        assert [p.path for p in pending] == [path]
        assert pending[0].resumable and pending[0].size == 8 << 20
        assert isinstance(pending[0].last_error, ferry.Cancelled)
    with client(tus_server, tmp_path, max_send_bytes_per_sec=None) as c:
        r = c.resume_pending(pending[0])
        assert r.resumed_from > 0
        assert c.pending() == []
    assert tus_server.stored_sha256(r.url) == sha256_file(path)


def test_cancel_with_discard_removes_the_server_copy(tus_server, tmp_path):
    path = write_random(tmp_path / "f.bin", 8 << 20, 3)
    with client(tus_server, tmp_path) as c:
        up = c.start(path)
        # Once the server has told the upload's URL (acknowledged bytes): a
        # cancel while the creating request is still in flight cannot name
        # the upload to remove (the server lets it expire).
        assert wait_for(lambda: up.status.bytes_acked > 0)
        assert len(tus_server.uploads()) == 1
        up.cancel(discard=True)
        with pytest.raises(ferry.Cancelled):
            up.wait(timeout=10)
        up.close()
        assert c.pending() == []
    assert wait_for(lambda: tus_server.uploads() == [], 5)


def test_freed_and_unknown_handles_are_refused_not_dereferenced(
        tus_server, tmp_path):
    with client(tus_server, tmp_path, max_send_bytes_per_sec=None) as c:
        up = c.start(b"tiny")
        r = up.wait(timeout=30)
        assert r.bytes == 4
        raw = up._handle
        up.close()
    err = ctypes.c_void_p()
    invalid = ferry.CODES["invalid_argument"]["value"]
    for fn in (lib.ferry_upload_pause, lib.ferry_upload_resume):
        assert fn(raw, ctypes.byref(err)) == invalid
        assert b"freed" in lib.ferry_error_message(err.value)
        lib.ferry_error_free(err.value)
    assert lib.ferry_upload_cancel(raw, 0, None) == invalid
    assert lib.ferry_upload_wait(raw, 0) == -1
    assert lib.ferry_upload_wait(0xdeadbeef, 0) == -1
    lib.ferry_upload_free(raw)  # twice: ignored


def test_cancelling_the_asyncio_task_cancels_the_upload_and_keeps_state(
        tus_server, tmp_path):
    path = write_random(tmp_path / "f.bin", 8 << 20, 4)

    async def main(c):
        task = asyncio.create_task(c.upload_async(path))
        await asyncio.sleep(1.0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with client(tus_server, tmp_path) as c:
        asyncio.run(main(c))
        pending = c.pending()
        assert len(pending) == 1 and pending[0].path == path

    async def finish(c):
        return await c.upload_async(path)

    with client(tus_server, tmp_path, max_send_bytes_per_sec=None) as c:
        r = asyncio.run(finish(c))
    assert r.resumed_from > 0
    assert tus_server.stored_sha256(r.url) == sha256_file(path)


def run_cli(cli, server, tmp_path, *args, stdin=None):
    return subprocess.run(
        [cli, "--endpoint", server.endpoint, "--state-dir",
         str(tmp_path / "st"), "--chunk-size", "256K", "--compress", "off",
         *args], capture_output=True, text=True, timeout=120, stdin=stdin)


def test_sigkilled_uploads_are_listed_and_resumed_or_forgotten(
        tus_server, cli, tmp_path):
    path = write_random(tmp_path / "file.bin", 12 << 20, 5)
    common = ["--state-dir", str(tmp_path / "st"), "--chunk-size", "256K",
              "--compress", "off", "--max-send-rate", "3M"]
    killed = subprocess.Popen([cli, "--endpoint", tus_server.endpoint,
                               *common, "--json", path], text=True,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL)
    stream_src = subprocess.Popen(["cat", path], stdout=subprocess.PIPE)
    streamed = subprocess.Popen([cli, "--endpoint", tus_server.endpoint,
                                 *common, "--json", "--name", "piped.bin",
                                 "-"], stdin=stream_src.stdout, text=True,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
    # Each is killed once its upload exists on the server and bytes flow
    # (whatever the build's speed: the sanitizer stages run this too).
    for p in (killed, streamed):
        for line in p.stdout:
            e = json.loads(line)
            if e["event"] == "progress" and e["bytes"] > 1 << 20:
                break
        p.send_signal(signal.SIGKILL)
        p.wait()
    stream_src.kill()
    stream_src.wait()

    out = run_cli(cli, tus_server, tmp_path, "--pending", "--json")
    assert out.returncode == 0, out.stderr
    entries = {e["name"]: e for e in map(json.loads, out.stdout.splitlines())}
    assert set(entries) == {"file.bin", "piped.bin"}
    assert entries["file.bin"]["path"] == path
    assert entries["file.bin"]["resumable"] is True
    assert entries["file.bin"]["size"] == 12 << 20
    assert entries["file.bin"]["endpoint"] == tus_server.endpoint
    assert entries["piped.bin"]["path"] == "" and not entries[
        "piped.bin"]["resumable"]
    with ferry.Client(tus_server.endpoint,
                      state_dir=str(tmp_path / "st")) as c:
        assert sorted(p.name for p in c.pending()) == ["file.bin",
                                                       "piped.bin"]

    # --resume-all continues the file; the stream is a typed refusal.
    out = run_cli(cli, tus_server, tmp_path, "--resume-all", "--json")
    assert out.returncode == 1
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    done = [e for e in lines if e["event"] == "done"]
    refused = [e for e in lines if e["event"] == "error"]
    assert len(done) == 1 and done[0]["resumed_from"] > 0
    assert done[0]["sha256"] == sha256_file(path)
    assert tus_server.stored_sha256(done[0]["url"]) == done[0]["sha256"]
    assert refused[0]["error"]["code"] == "source_not_resumable"

    # --forget --discard-remote drops the stream's entry and server copy.
    uploads = len(tus_server.uploads())
    out = run_cli(cli, tus_server, tmp_path, "--forget",
                  entries["piped.bin"]["id"], "--discard-remote")
    assert out.returncode == 0, out.stderr
    assert len(tus_server.uploads()) == uploads - 1
    out = run_cli(cli, tus_server, tmp_path, "--pending", "--json")
    assert out.stdout == ""
    out = run_cli(cli, tus_server, tmp_path, "--forget", "nope")
    assert out.returncode == 1 and "invalid_argument" in out.stderr


def test_expired_entries_are_pruned_from_the_list(tus_server, tmp_path):
    path = write_random(tmp_path / "f.bin", 4 << 20, 6)
    with client(tus_server, tmp_path) as c:
        up = c.start(path)
        # Acknowledged bytes, not the server's file: a cancel inside the
        # creating request leaves no upload the client could name (flaky
        # under TSan before).
        assert wait_for(lambda: up.status.bytes_acked > 0)
        up.cancel()
        with pytest.raises(ferry.Cancelled):
            up.wait(timeout=10)
        up.close()
        assert len(c.pending()) == 1
    # Age the entry past an expiry the server gave (rewritten record).
    entry = next((tmp_path / "st").glob("*.fj"))
    rewrite_expiry(entry, "Mon, 01 Jan 2001 00:00:00 GMT")
    with client(tus_server, tmp_path) as c:
        assert c.pending() == []
    assert not entry.exists()


def rewrite_expiry(entry, expires):
    """Rewrites a journal record's expiry, keeping it intact (its header
    carries the payload's SHA-256 and length); the deltas that may follow
    the record (sdk/src/journal/journal_log.h) are left out."""
    import hashlib
    raw = entry.read_bytes()
    header, rest = raw.split(b"\n", 1)
    doc = json.loads(rest[:int(header.split(b" ")[2])])
    doc["expires"] = expires
    payload = json.dumps(doc, separators=(",", ":")).encode()
    magic = b"FERRYJ1 "
    assert header.startswith(magic)
    entry.write_bytes(magic + hashlib.sha256(payload).hexdigest().encode() +
                      b" " + str(len(payload)).encode() + b"\n" + payload)


def test_closing_the_client_ends_its_running_uploads(tus_server, tmp_path):
    path = write_random(tmp_path / "f.bin", 8 << 20, 7)
    c = client(tus_server, tmp_path)
    up = c.start(path)
    assert wait_for(lambda: up.status.bytes_acked > 0)  # the URL is known
    c.close()  # cancels (state kept) and waits: no thread outlives it
    assert up.done()
    with pytest.raises(ferry.Cancelled):
        up.wait(timeout=1)
    up.close()
    with client(tus_server, tmp_path, max_send_bytes_per_sec=None) as c2:
        assert [p.path for p in c2.pending()] == [path]
