# SPDX-License-Identifier: Apache-2.0
"""Every kind of source as S3 multipart against a real Ceph RGW: bytes, a
descriptor, a seekable file object, a pipe of unknown length (parts until
its end), with and without compression; a network fault in the middle of a
stream; the pending list for S3 and forgetting with an abort. Every object
is read back and compared with the source's SHA-256."""

import hashlib
import io
import json
import signal
import subprocess
import time

import pytest

import ferry
from conftest import CLI
from fault_proxy import Fault, FaultProxy
from test_s3 import BUCKET, MiB

PART = 5 * MiB


def data_of(size, seed):
    block = hashlib.sha256(str(seed).encode()).digest() * 2048  # 64 KiB
    rnd = (block * (size // len(block) + 1))[: size // 2]
    rnd = bytes(b ^ ((i >> 16) & 0xFF) for i, b in enumerate(rnd))
    text = (b"parts of a stream " * (size // 18 + 1))[: size - len(rnd)]
    return rnd + text


def s3_client(rgw, tmp_path, endpoint=None, **kw):
    opts = dict(protocol="s3", bucket=BUCKET, access_key_id=rgw.access,
                secret_access_key=rgw.secret, region=rgw.region,
                state_dir=str(tmp_path / "st"), part_size=PART,
                parallel_parts=2)
    opts.update(kw)
    return ferry.Client(endpoint or rgw.endpoint, **opts)


def source(kind, data, tmp_path):
    path = tmp_path / "src.bin"
    path.write_bytes(data)
    if kind == "bytes":
        return data, lambda: None
    if kind == "bytesio":
        return io.BytesIO(data), lambda: None
    if kind == "open_rb":
        f = open(path, "rb")
        return f, f.close
    p = subprocess.Popen(["cat", str(path)], stdout=subprocess.PIPE)

    def done():
        p.stdout.close()
        p.wait()
    return p.stdout, done


@pytest.mark.parametrize("compress", ["off", 3])
@pytest.mark.parametrize("size", [0, 1, PART, 2 * PART + 7])
@pytest.mark.parametrize("kind", ["bytes", "bytesio", "open_rb", "pipe"])
def test_every_source_kind_as_s3_multipart(kind, size, compress, rgw,
                                          tmp_path):
    data = data_of(size, size + 1)
    src, cleanup = source(kind, data, tmp_path)
    key = f"src-{kind}-{size}-{compress}.bin"
    try:
        with s3_client(rgw, tmp_path, compress=compress) as c:
            r = c.upload(src, key=key)
    finally:
        cleanup()
    digest = hashlib.sha256(data).hexdigest()
    assert r.bytes == size and r.sha256 == digest
    zstd = r.encoding == "zstd"
    assert zstd == (compress == 3 and size > 0)
    assert rgw.stored_sha256(BUCKET, key, zstd=zstd) == digest


def test_a_stream_needs_a_key_or_a_name(rgw, tmp_path):
    with s3_client(rgw, tmp_path) as c:
        with pytest.raises(ferry.InvalidArgument, match="object key"):
            c.upload(io.BufferedReader(io.BytesIO(b"x")))
        # A name is the key when none is given.
        r = c.upload(b"named", name="by-name.txt")
    assert r.url.endswith("/by-name.txt")
    assert rgw.get(BUCKET, "by-name.txt") == b"named"


def test_a_failed_part_of_a_stream_is_resent_from_memory(rgw, tmp_path):
    """A 503 and a reset on parts of a pipe: each part is retried from the
    bytes kept for it, the pipe is read once."""
    data = data_of(3 * PART + 99, 42)
    proxy = FaultProxy(rgw.endpoint, [
        Fault("status", method="PUT", nth=2, status=503, body=b"busy"),
        Fault("reset", method="PUT", nth=3, after=1 << 20),
    ])
    src, cleanup = source("pipe", data, tmp_path)
    try:
        with s3_client(rgw, tmp_path, endpoint=proxy.origin, compress="off",
                       parallel_parts=1, retry_base=0.001,
                       retry_max=0.002) as c:
            events = []
            r = c.upload(src, key="stream-faults.bin", on_event=events.append)
        assert proxy.fired("status") == 1 and proxy.fired("reset") == 1
        assert len([e for e in events if e.type == "retry"]) >= 1
    finally:
        cleanup()
        proxy.stop()
    digest = hashlib.sha256(data).hexdigest()
    assert r.sha256 == digest
    assert rgw.stored_sha256(BUCKET, "stream-faults.bin") == digest


def wait_for_event(proc, match, timeout, stderr):
    """Reads the CLI's JSON lines until one matches (or it ends)."""
    deadline = time.monotonic() + timeout
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if match(json.loads(line)) or time.monotonic() > deadline:
            return
    raise AssertionError("the CLI ended before the awaited event: " +
                         "".join(seen[-5:]) + stderr.read_text()[-3000:])


def multipart_uploads(rgw):
    return rgw.curl(f"{rgw.endpoint}/{BUCKET}?uploads=").decode()


def test_s3_pending_lists_a_killed_stream_and_forget_aborts_it(rgw,
                                                                tmp_path):
    env = {"AWS_ACCESS_KEY_ID": rgw.access,
           "AWS_SECRET_ACCESS_KEY": rgw.secret, "AWS_REGION": rgw.region,
           "PATH": "/usr/bin:/bin"}
    common = [str(CLI), "--endpoint", rgw.endpoint, "--protocol", "s3",
              "--bucket", BUCKET, "--state-dir", str(tmp_path / "st"),
              "--part-size", "5M", "--compress", "off"]
    # (No sanitizer runtime preloaded into the feeder: it is not ferry.)
    feeder = subprocess.Popen(["head", "-c", "30000000", "/dev/urandom"],
                              stdout=subprocess.PIPE, env=env)
    err = open(tmp_path / "cli.err", "w")
    up = subprocess.Popen(common + ["--max-send-rate", "4M", "--json", "--key",
                                    "killed-stream.bin", "-"],
                          stdin=feeder.stdout, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=err)
    # Killed once the multipart upload exists and a part was acknowledged
    # (however slow the build: sanitizers run this too).
    wait_for_event(up, lambda e: e.get("event") == "progress" and
                   e.get("acked", 0) > 0, timeout=120,
                   stderr=tmp_path / "cli.err")
    up.send_signal(signal.SIGKILL)
    up.wait()
    feeder.kill()
    feeder.wait()
    out = subprocess.run(common + ["--pending", "--json"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    entries = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(entries) == 1
    entry = entries[0]
    assert entry["protocol"] == "s3" and entry["resumable"] is False
    assert entry["endpoint"].endswith(f"/{BUCKET}/killed-stream.bin")
    assert "killed-stream.bin" in multipart_uploads(rgw)
    out = subprocess.run(common + ["--forget", entry["id"],
                                   "--discard-remote"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "killed-stream.bin" not in multipart_uploads(rgw)
    out = subprocess.run(common + ["--pending", "--json"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.stdout == ""


def test_pause_and_resume_with_parts_in_flight(rgw, tmp_path):
    """A pause stops the part workers (no part is sent while paused); the
    resume keeps the parts RGW acknowledged and sends the rest; the object
    is whole."""
    data = data_of(6 * PART + 3, 77)
    src = tmp_path / "p.bin"
    src.write_bytes(data)
    events = []
    with s3_client(rgw, tmp_path, compress="off", parallel_parts=2,
                   max_send_bytes_per_sec=8 * MiB) as c:
        up = c.start(str(src), key="paused.bin", on_event=events.append)
        deadline = time.monotonic() + 20
        while up.status.bytes_acked < PART and time.monotonic() < deadline:
            time.sleep(0.05)
        up.pause()
        while up.status.phase != "paused" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert up.status.phase == "paused"
        wire = up.status.wire_bytes
        time.sleep(1.0)
        assert up.status.wire_bytes == wire  # nothing sent while paused
        up.resume()
        r = up.wait(timeout=60)
        up.close()
    assert [e.type for e in events].count("paused") == 1
    digest = hashlib.sha256(data).hexdigest()
    assert r.sha256 == digest
    assert rgw.stored_sha256(BUCKET, "paused.bin") == digest
    # Parts acknowledged before the pause were not sent again.
    assert r.wire_bytes < len(data) + 2 * PART
