# SPDX-License-Identifier: Apache-2.0
"""Fixtures: the real local tus server (samples/tus-server) and build paths."""

import hashlib
import os
import pathlib
import random
import subprocess
import sys

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get(
    "FERRY_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
BUILD_DIR = pathlib.Path(os.environ.get("FERRY_BUILD_DIR", SOURCE_DIR / "build"))
sys.path.insert(0, str(SOURCE_DIR / "bindings" / "python"))
sys.path.insert(0, str(SOURCE_DIR / "tests" / "support"))

from fault_proxy import FaultProxy  # noqa: E402

# What the reliability tests verified, written to the build directory at the
# end of the session (docs/reliability.md quotes it).
RELIABILITY = {"scenarios": {}, "uploads_verified": 0, "bytes_verified": 0}


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_random(path, size, seed):
    rng = random.Random(seed)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 1 << 20)
            f.write(rng.randbytes(n))
            left -= n
    return str(path)


class NodeServer:
    """One of the sample servers: `node SCRIPT --port 0 --dir STORE ARGS`,
    whose first line announces its endpoint as ANNOUNCE=<url>."""

    def __init__(self, script, announce, store, args):
        self.store = store
        self.proc = subprocess.Popen(
            ["node", str(SOURCE_DIR / script), "--port", "0", "--dir",
             str(self.store), *args],
            stdout=subprocess.PIPE, text=True,
            # node must not inherit a sanitizer runtime preloaded for ferry.
            env={k: v for k, v in os.environ.items() if k != "LD_PRELOAD"})
        line = self.proc.stdout.readline()
        assert line.startswith(announce + "="), line
        self.endpoint = line.strip().split("=", 1)[1]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


class TusServer(NodeServer):
    def __init__(self, tmp, *args):
        super().__init__("samples/tus-server/server.mjs",
                         "FERRY_TUS_SERVER_URL", tmp / "store", args)

    def stored_sha256(self, url):
        """SHA-256 of the stored content; a zstd-encoded upload (per its
        metadata) is decoded with `zstd -d`, as any reader would."""
        path = self.store / url.rstrip("/").rsplit("/", 1)[-1]
        if not path.exists():
            return None
        if self.encoding(url) != "zstd":
            return sha256_file(path)
        out = subprocess.run(["zstd", "-dc", str(path)], check=True,
                             capture_output=True).stdout
        return hashlib.sha256(out).hexdigest()

    def encoding(self, url):
        import json
        meta = self.store / (url.rstrip("/").rsplit("/", 1)[-1] + ".json")
        return json.loads(meta.read_text()).get("metadata", {}).get("encoding")

    def uploads(self):
        return [p for p in self.store.iterdir() if p.suffix != ".json"] \
            if self.store.exists() else []


class IetfServer(NodeServer):
    """samples/ietf-server: the strict IETF resumable-upload draft server."""

    def __init__(self, tmp, *args):
        super().__init__("samples/ietf-server/server.mjs",
                         "FERRY_IETF_SERVER_URL", tmp / "ietf-store", args)
        self.port = int(self.endpoint.split(":")[2].split("/")[0])

    def stored_sha256(self, url):
        """SHA-256 of the stored representation, decoded with `zstd -d`
        when its creation said Content-Encoding: zstd."""
        path = self.store / url.rstrip("/").rsplit("/", 1)[-1]
        if not path.exists():
            return None
        if self.creation(url).get("contentEncoding") != "zstd":
            return sha256_file(path)
        out = subprocess.run(["zstd", "-dc", str(path)], check=True,
                             capture_output=True).stdout
        return hashlib.sha256(out).hexdigest()

    def creation(self, url):
        """What the creation request said (the server's sidecar file)."""
        import json
        meta = self.store / (url.rstrip("/").rsplit("/", 1)[-1] + ".json")
        return json.loads(meta.read_text())

    def uploads(self):
        return [p for p in self.store.iterdir() if p.suffix != ".json"] \
            if self.store.exists() else []


@pytest.fixture
def tus_server(tmp_path):
    server = TusServer(tmp_path)
    yield server
    server.stop()


def server_factory(tmp_path, server_class):
    """A fixture body: make(*args) starts a server_class in a directory of
    its own; all of them stop when the test ends."""
    servers = []

    def make(*args):
        sub = tmp_path / f"srv{len(servers)}"
        sub.mkdir()
        servers.append(server_class(sub, *args))
        return servers[-1]
    yield make
    for s in servers:
        s.stop()


@pytest.fixture
def tus_server_factory(tmp_path):
    yield from server_factory(tmp_path, TusServer)


@pytest.fixture
def policy_server(tus_server_factory, tmp_path):
    """Starts a tus server with the given policy profile (a dict)."""
    import json

    def make(policy, *args):
        path = tmp_path / f"policy{len(os.listdir(tmp_path))}.json"
        path.write_text(json.dumps(policy))
        return tus_server_factory("--policy", str(path), *args)
    return make


@pytest.fixture
def fault_proxy():
    """Starts FaultProxy(upstream_url, faults) instances; stops them after."""
    proxies = []

    def make(upstream, faults=(), **kw):
        proxies.append(FaultProxy(upstream, faults, **kw))
        return proxies[-1]
    yield make
    for p in proxies:
        p.stop()


def endpoint_via(proxy, server):
    """The server's endpoint, reached through the fault proxy."""
    import urllib.parse
    return proxy.url(urllib.parse.urlsplit(server.endpoint).path)


def record_scenario(group, name, uploads=0, size=0):
    """Counts a reliability scenario and the bytes it verified."""
    g = RELIABILITY["scenarios"].setdefault(group, {})
    g[name] = g.get(name, 0) + 1
    RELIABILITY["uploads_verified"] += uploads
    RELIABILITY["bytes_verified"] += size


@pytest.fixture
def verify(request):
    """verify(server, result, path): the stored bytes are the source's, and
    the scenario (the test's name) is counted for docs/reliability.md."""
    group = pathlib.Path(str(request.node.fspath)).stem

    def check(server, result, path):
        digest = sha256_file(path)
        assert result.sha256 == digest
        assert server.stored_sha256(result.url) == digest
        record_scenario(group, request.node.name, 1, os.path.getsize(path))
    return check


# Only the whole suite's run (ctest's `pytest`) writes the report, so a
# partial run never passes for it; a stale report is removed at its start.
REPORT = os.environ.get("FERRY_RELIABILITY_REPORT")


def pytest_sessionstart(session):
    if REPORT and os.path.exists(REPORT):
        os.unlink(REPORT)


def pytest_sessionfinish(session, exitstatus):
    if REPORT and RELIABILITY["scenarios"]:
        import json
        pathlib.Path(REPORT).write_text(
            json.dumps(RELIABILITY, indent=1, sort_keys=True))


@pytest.fixture
def cli():
    path = BUILD_DIR / "samples" / "ferry-upload"
    assert path.exists(), f"build first: {path}"
    return str(path)
