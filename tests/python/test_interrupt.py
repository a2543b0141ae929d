# SPDX-License-Identifier: Apache-2.0
"""Ctrl-C as Python users expect: SIGINT during a blocking upload (with or
without a callback) raises KeyboardInterrupt within a second, prints no
ctypes noise, keeps the resume state (a second run resumes), and an
exception raised by a callback comes back unchanged."""

import os
import signal
import subprocess
import sys
import time

import pytest

import ferry
from conftest import SOURCE_DIR, sha256_file, write_random

SCRIPT = r"""
import os, sys, time
sys.path.insert(0, sys.argv[1])
import ferry
endpoint, state, path, mode = sys.argv[2:6]
c = ferry.Client(endpoint, state_dir=state, chunk_size=256 * 1024,
                 compress="off", max_send_bytes_per_sec=2 << 20)
def progress(p):
    if p.bytes_done > 512 * 1024:
        os.write(1, b"moving\n")
kw = {"on_progress": progress}
try:
    if mode == "batch":
        c.upload_batch([path], **kw)
    elif mode == "quiet":
        # No callback: the parent watches the server instead.
        os.write(1, b"moving\n")
        c.upload(path)
    else:
        c.upload(path, **kw)
except KeyboardInterrupt:
    # The call must return only once the upload has stopped: its lock on
    # the resume state, released when it ends, must be gone by now.
    locks = [f for _, _, fs in os.walk(state) for f in fs
             if f.endswith(".lock")]
    os.write(1, ("locks %d\n" % len(locks)).encode())
    raise
"""


@pytest.mark.parametrize("mode", ["callback", "quiet", "batch"])
def test_sigint_raises_keyboard_interrupt_at_once_and_state_is_kept(
        mode, tus_server, tmp_path):
    path = write_random(tmp_path / "f.bin", 16 << 20, 3)
    state = str(tmp_path / "st")
    env = dict(os.environ)
    p = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(SOURCE_DIR / "bindings/python"),
         tus_server.endpoint, state, path, mode],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert p.stdout.readline() == b"moving\n"
    time.sleep(1.0)  # well into the upload
    sent = time.monotonic()
    p.send_signal(signal.SIGINT)
    p.wait(timeout=10)
    elapsed = time.monotonic() - sent
    err = p.stderr.read().decode()
    assert p.stdout.read().split(b"\n")[-2:] == [b"locks 0", b""]
    assert "FATAL" not in err
    assert elapsed < 1.0, elapsed
    assert "KeyboardInterrupt" in err
    assert "Exception ignored" not in err
    assert p.returncode in (-signal.SIGINT, 130, 1), (p.returncode, err)
    with ferry.Client(tus_server.endpoint, state_dir=state,
                      chunk_size=256 * 1024, compress="off") as c:
        assert [e.path for e in c.pending()] == [path]
        r = c.upload(path)
    assert r.resumed_from > 0
    assert tus_server.stored_sha256(r.url) == sha256_file(path)


class Mine(Exception):
    pass


def test_a_callbacks_exception_comes_back_unchanged(tus_server, tmp_path):
    path = write_random(tmp_path / "f.bin", 2 << 20, 4)

    def progress(p):
        if p.bytes_done > 0:
            raise Mine("from the callback")

    with ferry.Client(tus_server.endpoint, state_dir=str(tmp_path / "st"),
                      chunk_size=256 * 1024, compress="off",
                      max_send_bytes_per_sec=1 << 20) as c:
        with pytest.raises(Mine, match="from the callback") as e:
            c.upload(path, on_progress=progress)
    # The traceback reaches into the callback itself.
    assert any(t.name == "progress" for t in
               __import__("traceback").extract_tb(e.value.__traceback__))
