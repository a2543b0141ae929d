# SPDX-License-Identifier: Apache-2.0
"""What ferry decides reaches logging.getLogger("ferry"): retries with their
reason and delay, resume and restart decisions, compression, the outcome;
at sensible levels, and never a secret."""

import logging

import pytest

import ferry
from conftest import write_random

SECRET = "s3cret-token-value"


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def captured():
    handler = Capture()
    logger = logging.getLogger("ferry")
    old = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler.records
    logger.removeHandler(handler)
    logger.setLevel(old)


def test_retries_against_a_dead_server_are_logged(captured, tmp_path):
    path = write_random(tmp_path / "f.bin", 1000, 1)
    with ferry.Client(f"http://user:{SECRET}@127.0.0.1:9/files/?t={SECRET}",
                      state_dir=str(tmp_path / "st"), max_retries=2,
                      retry_base=0.01, retry_max=0.02,
                      headers={"Authorization": f"Bearer {SECRET}"}) as c:
        with pytest.raises(ferry.ConnectionRefused):
            c.upload(path)
    retries = [r for r in captured if r.levelno == logging.WARNING]
    assert len(retries) == 2
    assert all("connection_refused" in r.getMessage() and " ms " in
               r.getMessage() and r.getMessage().startswith("f.bin: retry")
               for r in retries)
    errors = [r for r in captured if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "connection_refused" in errors[0].getMessage()
    assert all(SECRET not in r.getMessage() for r in captured)
    assert all(r.name == "ferry" for r in captured)


def test_an_upload_logs_its_decisions(captured, tus_server, tmp_path):
    path = write_random(tmp_path / "g.bin", 300_000, 2)
    with ferry.Client(tus_server.endpoint, state_dir=str(tmp_path / "st"),
                      compress="off") as c:
        c.upload(path)
    lines = [(r.levelno, r.getMessage()) for r in captured]
    assert (logging.DEBUG, "g.bin: compression: off") in lines
    assert any(lvl == logging.INFO and m.startswith("g.bin: created")
               for lvl, m in lines)
    assert any(lvl == logging.INFO and "uploaded 300000 bytes" in m
               for lvl, m in lines)


def test_nothing_is_said_above_the_loggers_level(tus_server, tmp_path):
    handler = Capture()
    logger = logging.getLogger("ferry")
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    try:
        with ferry.Client(tus_server.endpoint,
                          state_dir=str(tmp_path / "st")) as c:
            c.upload(b"quiet", name="q.txt")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    assert handler.records == []
