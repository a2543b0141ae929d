# SPDX-License-Identifier: Apache-2.0
"""ferry-upload's contract: flags, --json lines, exit codes, kill and resume."""

import json
import os
import signal
import subprocess

import pytest

from conftest import BUILD_DIR, sha256_file, write_random

CHUNK = 256 * 1024


def run(cli, *args, **kw):
    return subprocess.run([cli, *args], capture_output=True, text=True,
                          timeout=120, **kw)


def events(stdout):
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_json_done_event_and_stored_bytes(cli, tus_server, tmp_path):
    f = write_random(tmp_path / "a.bin", 3 * CHUNK + 7, 1)
    p = run(cli, "--endpoint", tus_server.endpoint, "--state-dir",
            str(tmp_path / "st"), "--chunk-size", "256K", "--json",
            "--compress", "off", "--metadata", "album=holiday", f)
    assert p.returncode == 0, p.stderr
    ev = events(p.stdout)
    done = [e for e in ev if e["event"] == "done"]
    assert len(done) == 1
    d = done[0]
    assert d["bytes"] == 3 * CHUNK + 7 and d["wire_bytes"] == d["bytes"]
    assert d["sha256"] == sha256_file(f) == tus_server.stored_sha256(d["url"])
    assert d["resumed_from"] == 0
    progress = [e for e in ev if e["event"] == "progress"]
    assert progress and progress[-1]["bytes"] == d["bytes"]
    assert all(a["bytes"] <= b["bytes"] for a, b in zip(progress, progress[1:]))
    assert all(e["bytes"] <= e["total"] for e in progress)
    # Metadata reached the server (the file store keeps it in <id>.json).
    info = json.loads((tus_server.store / (d["url"].rsplit("/", 1)[1] + ".json"))
                      .read_text())
    assert info["metadata"]["album"] == "holiday"
    assert info["metadata"]["filename"] == "a.bin"
    # The SHA-256 is announced only when asked for (it costs a pass).
    assert "sha256" not in info["metadata"]
    p = run(cli, "--endpoint", tus_server.endpoint, "--state-dir",
            str(tmp_path / "st"), "--json", "--announce-sha256", f)
    assert p.returncode == 0, p.stderr
    d = [e for e in events(p.stdout) if e["event"] == "done"][0]
    info = json.loads((tus_server.store / (d["url"].rsplit("/", 1)[1] + ".json"))
                      .read_text())
    assert info["metadata"]["sha256"] == sha256_file(f) == d["sha256"]


def test_exit_codes(cli, tus_server, tmp_path):
    f = write_random(tmp_path / "ok.bin", 1000, 2)
    assert run(cli, "--endpoint", tus_server.endpoint).returncode == 2
    assert run(cli, f).returncode == 2  # no endpoint
    assert run(cli, "--endpoint", tus_server.endpoint, "--chunk-size", "x",
               f).returncode == 2
    assert run(cli, "--endpoint", tus_server.endpoint, "--bogus", f
               ).returncode == 2
    assert run(cli, "--endpoint", "notaurl", f).returncode == 2
    # One good and one missing file: 1, with a done and an error line.
    p = run(cli, "--endpoint", tus_server.endpoint, "--state-dir",
            str(tmp_path / "st"), "--json", f, str(tmp_path / "missing"))
    assert p.returncode == 1
    # Files run in parallel: each ends with its own line, in any order.
    ends = {e["file"]: e["event"] for e in events(p.stdout)
            if e["event"] in ("done", "error")}
    assert ends == {str(f): "done", str(tmp_path / "missing"): "error"}
    assert run(cli, "--help").returncode == 0


def test_too_large_is_a_typed_json_error(cli, tus_server_factory, tmp_path):
    server = tus_server_factory("--max-size", "5000")
    f = write_random(tmp_path / "big.bin", 5001, 3)
    p = run(cli, "--endpoint", server.endpoint, "--state-dir",
            str(tmp_path / "st"), "--json", f)
    assert p.returncode == 1
    err = [e for e in events(p.stdout) if e["event"] == "error"][0]["error"]
    assert err["code"] == "file_too_large"
    assert err["category"] == "policy"
    assert err["origin"] == "server"
    assert err["retryable"] is False
    assert err["action"] in ("split_file", "compress_file")
    assert err["limit"] == 5000
    assert server.uploads() == []
    # Human form names the code and the action.
    p = run(cli, "--endpoint", server.endpoint, "--state-dir",
            str(tmp_path / "st"), f)
    assert "file_too_large" in p.stderr and "split_file" in p.stderr


def test_retry_events_on_connection_refused(cli, tmp_path):
    f = write_random(tmp_path / "x.bin", 10, 4)
    p = run(cli, "--endpoint", "http://127.0.0.1:9/files/", "--state-dir",
            str(tmp_path / "st"), "--max-retries", "2", "--retry-base-ms", "5",
            "--json", f)
    assert p.returncode == 3  # retryable: try again later
    ev = events(p.stdout)
    retries = [e for e in ev if e["event"] == "retry"]
    assert [r["attempt"] for r in retries] == [1, 2]
    assert all(r["code"] == "connection_refused" and "delay_ms" in r
               for r in retries)
    assert ev[-1]["event"] == "error"
    assert ev[-1]["error"]["code"] == "connection_refused"
    assert ev[-1]["error"]["origin"] == "network"


def kill_when_acked(cli, endpoint, f, state, fraction, chunk="256K",
                    compress="off", rate="8M"):
    """Runs the CLI and SIGKILLs it once `fraction` of the file is acked.
    Returns the highest byte count it reported before dying."""
    proc = subprocess.Popen(
        [cli, "--endpoint", endpoint, "--state-dir", state, "--chunk-size",
         chunk, "--max-send-rate", rate, "--compress", compress, "--json", f],
        stdout=subprocess.PIPE, text=True)
    last = 0
    for line in proc.stdout:
        e = json.loads(line)
        if e["event"] == "progress":
            last = max(last, e["bytes"])
            if e["acked"] >= fraction * e["total"]:
                proc.send_signal(signal.SIGKILL)
                break
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "upload finished before the kill"
    return last


@pytest.mark.parametrize("fraction", [0.2, 0.55, 0.9])
def test_sigkill_then_resume_sends_at_most_one_chunk_twice(
        cli, tus_server, tmp_path, fraction):
    size = 6 * 1024 * 1024 + 123
    f = write_random(tmp_path / "k.bin", size, 5)
    state = str(tmp_path / "st")
    sent_before = kill_when_acked(cli, tus_server.endpoint, f, state, fraction)
    # One entry; the kill may also leave a writer's temp file and the
    # entry's lock file (the next run takes both over; checked below).
    assert len([n for n in os.listdir(state) if n.endswith(".fj")]) == 1
    p = run(cli, "--endpoint", tus_server.endpoint, "--state-dir", state,
            "--chunk-size", "256K", "--compress", "off", "--json", f)
    assert p.returncode == 0, p.stderr
    ev = events(p.stdout)
    assert [e for e in ev if e["event"] != "progress"][0]["event"] == "resumed"
    done = ev[-1]
    assert done["event"] == "done"
    resumed = done["resumed_from"]
    assert resumed >= fraction * size - CHUNK
    assert done["wire_bytes"] == size - resumed
    # Bytes the first run sent that the second sent again: at most a chunk.
    assert sent_before - resumed <= CHUNK
    assert tus_server.stored_sha256(done["url"]) == sha256_file(f)
    assert len(tus_server.uploads()) == 1
    assert os.listdir(state) == []


def test_sigint_cancels_keeps_state_then_resumes(cli, tus_server, tmp_path):
    size = 4 * 1024 * 1024
    f = write_random(tmp_path / "i.bin", size, 6)
    state = str(tmp_path / "st")
    proc = subprocess.Popen(
        [cli, "--endpoint", tus_server.endpoint, "--state-dir", state,
         "--chunk-size", "256K", "--max-send-rate", "4M", "--json", f],
        stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        e = json.loads(line)
        if e["event"] == "progress" and e["acked"] > 0:
            proc.send_signal(signal.SIGINT)
            break
    out = proc.stdout.read()
    assert proc.wait(timeout=30) == 130  # interrupted
    err = [e for e in events(out) if e["event"] == "error"][0]["error"]
    assert err["code"] == "cancelled"
    p = run(cli, "--endpoint", tus_server.endpoint, "--state-dir", state,
            "--chunk-size", "256K", "--json", f)
    assert p.returncode == 0
    done = events(p.stdout)[-1]
    assert done["resumed_from"] > 0
    assert tus_server.stored_sha256(done["url"]) == sha256_file(f)


def test_c_sample_uses_only_the_c_header(tus_server, tmp_path):
    exe = BUILD_DIR / "samples" / "ferry-upload-c"
    f = write_random(tmp_path / "c.bin", 2 * 1024 * 1024 + 5, 7)
    p = subprocess.run([str(exe), tus_server.endpoint, f, str(tmp_path / "st")],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    ok, digest, size, calls = p.stdout.split()
    assert ok == "ok" and digest == sha256_file(f)
    assert int(size) == 2 * 1024 * 1024 + 5
    assert int(calls.split("=")[1]) >= 3  # one per acknowledged chunk at least
    (url,) = tus_server.uploads()
    assert tus_server.stored_sha256(url.name) == digest
    p = subprocess.run([str(exe), tus_server.endpoint, str(tmp_path / "none")],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1
    assert json.loads(p.stdout)["code"] == "file_not_found"


def test_a_server_that_never_answers_ends_in_timeout(cli, tmp_path):
    """The stall timeout bounds a silent server: a typed timeout, no hang."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held = []

    def accept():  # accept and read, but never answer
        listener.settimeout(30)
        try:
            while True:
                conn, _ = listener.accept()
                held.append(conn)
        except OSError:
            pass

    threading.Thread(target=accept, daemon=True).start()
    f = write_random(tmp_path / "s.bin", 1000, 8)
    p = run(cli, "--endpoint",
            f"http://127.0.0.1:{listener.getsockname()[1]}/files/",
            "--state-dir", str(tmp_path / "st"), "--stall-timeout", "2",
            "--max-retries", "1", "--retry-base-ms", "10", "--json", f)
    listener.close()
    for c in held:
        c.close()
    assert p.returncode == 3  # only retryable failures
    ev = events(p.stdout)
    assert [e["code"] for e in ev if e["event"] == "retry"] == ["timeout"]
    assert ev[-1]["error"]["code"] == "timeout"
    assert ev[-1]["error"]["retryable"] is True
    # Counted, not timed: the first attempt and the one retry each ended
    # by the stall timeout on a connection of their own, and no more came
    # (the run's own timeout guards against a hang).
    assert len(held) == 2, len(held)


def write_text(path, size):
    line = b"2026-11-22 INFO upload chunk=%d resumed offset verified ferry\n"
    data = b"".join(line % i for i in range(size // 40 + 1))[:size]
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize("server_args", [(), ("--no-checksum",)])
def test_sigkill_with_compression_then_resume(cli, tus_server_factory,
                                              tmp_path, server_args):
    server = tus_server_factory(*server_args)
    f = write_text(tmp_path / "log.txt", 6 * 1024 * 1024)
    state = str(tmp_path / "st")
    kill_when_acked(cli, server.endpoint, f, state, 0.4, chunk="1M",
                    compress="3", rate="256K")
    p = run(cli, "--endpoint", server.endpoint, "--state-dir", state,
            "--chunk-size", "1M", "--compress", "3", "--json", f)
    assert p.returncode == 0, p.stderr
    ev = events(p.stdout)
    assert [e for e in ev if e["event"] != "progress"][0]["event"] == "resumed"
    done = ev[-1]
    assert done["event"] == "done" and done["encoding"] == "zstd"
    assert done["resumed_from"] > 0
    assert server.encoding(done["url"]) == "zstd"
    assert server.stored_sha256(done["url"]) == sha256_file(f)  # zstd -d
    assert len(server.uploads()) == 1


def test_content_type_on_tus_is_filetype_metadata(cli, tus_server, tmp_path):
    """tus has no object headers; the media type goes as the "filetype"
    metadata tus-js-client sends, given or guessed; any other object header
    is refused before anything is sent."""
    f = tmp_path / "notes.txt"
    f.write_bytes(b"ferry\n" * 100)
    for args, want in ((["--content-type", "text/x-ferry"], "text/x-ferry"),
                       (["--guess-content-type"], "text/plain")):
        p = run(cli, "--endpoint", tus_server.endpoint, "--state-dir",
                str(tmp_path / "st"), "--json", *args, str(f))
        assert p.returncode == 0, p.stderr
        done = [json.loads(x) for x in p.stdout.splitlines()
                if '"done"' in x][0]
        meta = tus_server.store / (done["url"].rstrip("/").rsplit("/", 1)[-1]
                                   + ".json")
        assert json.loads(meta.read_text())["metadata"]["filetype"] == want
        assert tus_server.stored_sha256(done["url"]) == sha256_file(str(f))
    before = len(tus_server.uploads())
    p = run(cli, "--endpoint", tus_server.endpoint, "--state-dir",
            str(tmp_path / "st"), "--json", "--cache-control", "no-store",
            str(f))
    assert p.returncode == 1
    assert "S3's" in p.stdout
    assert len(tus_server.uploads()) == before
