# SPDX-License-Identifier: Apache-2.0
"""ferry's client for the IETF resumable-upload draft (--protocol ietf,
Client(protocol="ietf")) against the strict draft server
(samples/ietf-server), the same server tus-js-client's IETF mode passes in
test_ietf_server.py: every size, streams of unknown length, compression,
the server's Upload-Limit honoured, digests sent and checked, policy
refusals typed, SIGKILL and resume, hostile answers (through the fault
proxy, which rewrites the real server's answers, 104s included), protocol
auto and ferry-doctor. Every upload's stored bytes are compared with the
source's SHA-256."""

import base64
import json
import os
import signal
import subprocess
import time
import urllib.parse

import pytest

import ferry
from conftest import (BUILD_DIR, RELIABILITY, IetfServer, record_scenario,
                      server_factory, sha256_file, write_random)
from fault_proxy import Fault
from test_kill_trials import (SEED, TRIALS, kill_and_resume_trials,
                              trials_summary, write_text)

IETF = ("--protocol", "ietf")
SECRET = "Bearer ietf-test-secret-51c9"


@pytest.fixture
def ietf(tmp_path):
    yield from server_factory(tmp_path, IetfServer)


def upload(cli, endpoint, tmp_path, *args, state="st", stdin=None,
           protocol=IETF):
    return subprocess.run(
        [cli, "--endpoint", endpoint, "--state-dir", str(tmp_path / state),
         "--json", *protocol, *args], capture_output=True, timeout=120,
        stdin=stdin)


def events(p):
    return [json.loads(x) for x in p.stdout.decode().splitlines()
            if x.strip()]


def done(p):
    assert p.returncode == 0, (p.stdout.decode()[-2000:],
                               p.stderr.decode()[-2000:])
    [d] = [e for e in events(p) if e["event"] == "done"]
    return d


def error(p):
    assert p.returncode != 0, p.stdout.decode()[-1000:]
    return [e for e in events(p) if "error" in e][-1]["error"]


def check_stored(server, d, path):
    digest = sha256_file(path)
    assert d["sha256"] == digest
    assert server.stored_sha256(d["url"]) == digest
    record_scenario("test_ietf_upload", "verified upload", 1,
                    os.path.getsize(path))


def header(request, name):
    """A header of a request the proxy saw, or None."""
    for k, v in request["headers"]:
        if k.lower() == name:
            return v
    return None


def via(proxy, server):
    return proxy.url(urllib.parse.urlsplit(server.endpoint).path)


@pytest.mark.parametrize("compress", ["off", "auto"])
@pytest.mark.parametrize("size", [0, 1, 1_000_003, 5 * 1024 * 1024 + 3])
def test_every_size(size, compress, ietf, cli, tmp_path):
    server = ietf()
    src = (write_text if compress == "auto" else write_random)(
        tmp_path / "f.bin", size, size)
    d = done(upload(cli, server.endpoint, tmp_path, "--compress", compress,
                    "--chunk-size", "1M", src))
    check_stored(server, d, src)
    made = server.creation(d["url"])
    assert made["interop"] == 8
    assert made["contentDisposition"] == 'attachment; filename="f.bin"'
    zstd = d["encoding"] == "zstd"
    assert made["contentEncoding"] == ("zstd" if zstd else None)
    # Text of a megabyte or more compresses; nothing smaller is worth it.
    assert zstd == (compress == "auto" and size >= 1_000_003)


def test_a_small_file_is_one_request(ietf, cli, fault_proxy, tmp_path):
    """Even in a fresh process (interop version not yet settled), a file
    under 64 KiB is one creation that completes it."""
    server = ietf()
    proxy = fault_proxy(server.endpoint)
    src = write_random(tmp_path / "s.bin", 60_000, 13)
    d = done(upload(cli, via(proxy, server), tmp_path, src))
    check_stored(server, d, src)
    assert [r["method"] for r in proxy.requests()] == ["OPTIONS", "POST"]


@pytest.mark.parametrize("compress", ["off", "3"])
def test_stream_of_unknown_length(compress, ietf, cli, tmp_path):
    server = ietf()
    src = write_text(tmp_path / "s.txt", 3 * 1024 * 1024 + 7, 5)
    with open(src, "rb") as f:
        d = done(upload(cli, server.endpoint, tmp_path, "--compress",
                        compress, "--chunk-size", "256K", "--name", "s.txt",
                        "-", stdin=f))
    check_stored(server, d, src)


def test_python_binding(ietf, tmp_path):
    server = ietf()
    src = write_random(tmp_path / "p.bin", 2 * 1024 * 1024 + 1, 9)
    seen = []
    with ferry.Client(server.endpoint, protocol="ietf", chunk_size=1 << 20,
                      state_dir=str(tmp_path / "st")) as c:
        result = c.upload(src, on_event=lambda e: seen.append(e.type))
    assert result.sha256 == sha256_file(src)
    assert server.stored_sha256(result.url) == sha256_file(src)
    assert "created" in seen
    with pytest.raises(ValueError):
        ferry.Client(server.endpoint, protocol="tus2")


@pytest.mark.parametrize("compress", ["off", "auto"])
def test_max_append_size_splits_every_request(compress, ietf, cli,
                                              fault_proxy, tmp_path):
    """The server refuses (413) any request carrying more than 65,536
    bytes; ferry reads the limit from OPTIONS and splits its appends."""
    server = ietf("--max-append-size", "65536")
    proxy = fault_proxy(server.endpoint)
    src = write_text(tmp_path / "a.txt", 1_000_003, 3)
    d = done(upload(cli, via(proxy, server), tmp_path, "--compress", compress,
                    "--chunk-size", "256K", src))
    check_stored(server, d, src)
    patches = proxy.requests("PATCH")
    assert len(patches) >= d["wire_bytes"] // 65536
    assert not [e for e in events(upload(cli, via(proxy, server), tmp_path,
                                         "--compress", compress, src))
                if e["event"] == "retry"]


def test_a_max_append_size_learnt_from_a_413(ietf, cli, fault_proxy,
                                             tmp_path):
    """A server that does not announce its limits in OPTIONS refuses the
    creation's first chunk (413 with Upload-Limit): the upload is created
    again without content, and the appends are split by the limit."""
    server = ietf("--max-append-size", "65536")
    proxy = fault_proxy(server.endpoint, [
        Fault("rewrite", method="OPTIONS", times=0,
              remove_headers=["Upload-Limit"])])
    # The tiny file first settles the interop version (a creation carries
    # at most 64 KiB before): creations carry a chunk from then on.
    tiny = write_random(tmp_path / "t.bin", 10, 10)
    src = write_random(tmp_path / "l.bin", 1_000_003, 11)
    p = upload(cli, via(proxy, server), tmp_path, "--compress", "off",
               "--chunk-size", "256K", "--parallel", "1", tiny, src)
    assert p.returncode == 0, p.stdout.decode()[-2000:]
    finished = {e["file"]: e for e in events(p) if e["event"] == "done"}
    check_stored(server, finished[src], src)
    check_stored(server, finished[tiny], tiny)
    posts = [header(r, "content-length") for r in proxy.requests("POST")]
    assert posts == ["10", str(256 * 1024), "0"]


@pytest.mark.parametrize("compress", ["off", "auto"])
def test_content_digest_with_every_append_when_wanted(compress, ietf, cli,
                                                      fault_proxy, tmp_path):
    """A server that announces Want-Content-Digest (and refuses content
    without one) gets a sha-256 Content-Digest with every request."""
    server = ietf("--want-content-digest", "--max-append-size", "300000")
    proxy = fault_proxy(server.endpoint)
    src = write_text(tmp_path / "d.txt", 2_000_001, 4)
    d = done(upload(cli, via(proxy, server), tmp_path, "--compress", compress,
                    "--chunk-size", "512K", src))
    check_stored(server, d, src)
    with_content = [r for r in proxy.requests()
                    if r["method"] in ("POST", "PATCH") and
                    header(r, "content-length") != "0"]
    assert with_content
    assert all(header(r, "content-digest") for r in with_content)


def test_min_append_size(ietf, cli, tmp_path):
    """Requests but the last carry at least min-append-size: ferry's
    streaming appends do; one chunk per request (with digests) cannot, and
    is refused before a byte is sent."""
    server = ietf("--min-append-size", "300000")
    src = write_text(tmp_path / "m.txt", 2_000_001, 6)
    for compress in ("off", "auto"):
        d = done(upload(cli, server.endpoint, tmp_path, "--compress",
                        compress, "--chunk-size", "256K", src))
        check_stored(server, d, src)
    strict = ietf("--min-append-size", "300000", "--want-content-digest")
    p = upload(cli, strict.endpoint, tmp_path, "--chunk-size", "256K", src)
    e = error(p)
    assert e["code"] == "invalid_argument"
    assert "min-append-size" in e["message"] and e["limit"] == 300000
    assert strict.uploads() == []


def test_max_size_refused_before_a_byte(ietf, cli, tmp_path):
    server = ietf("--max-size", "4096")
    src = write_random(tmp_path / "big.bin", 5000, 1)
    e = error(upload(cli, server.endpoint, tmp_path, src))
    assert e["code"] == "file_too_large" and e["limit"] == 4096
    assert server.uploads() == []


def test_policy_refusals_are_typed(ietf, cli, tmp_path):
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({
        "blocked_extensions": [".exe"], "max_file_bytes": 100000,
        "tokens": {"tok-a": {"user": "alice"}},
        "scan_marker": "FERRY-TEST-MALWARE"}))
    server = ietf("--policy", str(policy))
    auth = ("-H", "Authorization: Bearer tok-a")
    ok = write_random(tmp_path / "ok.bin", 5000, 2)
    assert error(upload(cli, server.endpoint, tmp_path, ok))["code"] == \
        "unauthenticated"
    exe = write_random(tmp_path / "setup.exe", 100, 3)
    assert error(upload(cli, server.endpoint, tmp_path, *auth,
                        exe))["code"] == "file_type_blocked"
    big = write_random(tmp_path / "big.bin", 100001, 4)
    assert error(upload(cli, server.endpoint, tmp_path, *auth,
                        big))["code"] == "file_too_large"
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"a" * 3000 + b"FERRY-TEST-MALWARE" + b"b" * 3000)
    assert error(upload(cli, server.endpoint, tmp_path, *auth,
                        str(bad)))["code"] == "content_rejected"
    check_stored(server, done(upload(cli, server.endpoint, tmp_path, *auth,
                                     ok)), ok)


@pytest.mark.parametrize("profile,code", [
    ({"quota_bytes": 150000}, "quota_exceeded"),
    ({"rate_limit": {"requests": 1, "window_ms": 5000}}, "rate_limited"),
    ({"maintenance": {"for_ms": 600000}}, "server_maintenance"),
    ({"clock_offset_s": 3600, "max_request_skew_s": 300}, "clock_skew"),
    ({"tokens": {"old": {"user": "ann", "ttl_ms": 0}}},
     "credentials_expired"),
])
def test_service_refusals_are_typed(profile, code, ietf, cli, tmp_path):
    """The rest of the policy profile, through the draft: each refusal is
    its typed error, in bounded time."""
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(profile))
    server = ietf("--policy", str(policy))
    src = write_random(tmp_path / "q.bin", 200_000, 5)
    started = time.monotonic()
    p = upload(cli, server.endpoint, tmp_path, "--max-retries", "0",
               "-H", "Authorization: Bearer old", src)
    assert error(p)["code"] == code
    assert time.monotonic() - started < 60


def test_kill_and_resume_trials(cli, ietf, fault_proxy, tmp_path):
    """Seeded SIGKILLs at random moments, then a resume from the journal:
    every stored byte checked, the bytes sent twice bounded by a chunk (as
    for tus: test_kill_trials.py)."""
    seed = SEED + 2
    results = kill_and_resume_trials(cli, ietf(), fault_proxy, tmp_path,
                                     TRIALS, seed, protocol=IETF,
                                     group="test_ietf_upload")
    killed = [r for r in results if r["killed"]]
    assert len(killed) >= TRIALS // 2
    assert any(r["resumed_from"] > 0 for r in killed), results
    RELIABILITY["kill_trials_ietf"] = trials_summary(seed, results)


def test_killed_during_creation_resumes_from_the_104(ietf, cli, tmp_path):
    """The creation request carries the first chunk; the 104 names the
    upload before the chunk is sent, so a process killed mid-creation
    resumes that upload instead of starting again. (The first, tiny file
    settles the interop version: a creation carries a whole chunk from
    then on, 64 KiB before.)"""
    server = ietf()
    tiny = write_random(tmp_path / "a.bin", 10, 1)
    big = write_random(tmp_path / "b.bin", 6 * 1024 * 1024, 2)
    args = [cli, "--endpoint", server.endpoint, "--state-dir",
            str(tmp_path / "st"), "--json", *IETF, "--chunk-size", "4M",
            "--max-send-rate", "1M", tiny, big]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = list((tmp_path / "st").glob("*.fj")) \
            if (tmp_path / "st").exists() else []
        if state:
            break
        time.sleep(0.05)
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert state, "no resume state was written during the creation"
    [upload_id] = [p.name for p in server.uploads() if p.name != ""
                   and os.path.getsize(p) != 10]
    held = os.path.getsize(server.store / upload_id)
    assert 0 < held < 4 * 1024 * 1024  # inside the creation's chunk
    p = subprocess.run(args[:-2] + [big], capture_output=True, timeout=120)
    d = done(p)
    assert d["resumed_from"] == held
    assert d["url"].endswith(upload_id)
    check_stored(server, d, big)


def fails(cli, endpoint, tmp_path, src, *extra):
    started = time.monotonic()
    p = upload(cli, endpoint, tmp_path, "-H", f"Authorization: {SECRET}",
               "--max-retries", "2", "--retry-base", "20ms",
               "--chunk-size", "256K", *extra, src)
    assert time.monotonic() - started < 60
    assert SECRET.split()[1].encode() not in p.stdout + p.stderr
    return error(p)


@pytest.mark.parametrize("method,nth,value", [
    ("PATCH", 1, "99999999999999"),  # beyond what was sent
    ("PATCH", 2, "0"),               # going back
    ("PATCH", 1, "-5"),              # not a non-negative Integer
    ("PATCH", 1, "1.5"),             # a Decimal, not an Integer
    ("POST", 1, "99999999"),         # creation: more than it carried
])
def test_absurd_upload_offset(method, nth, value, ietf, cli, fault_proxy,
                              tmp_path):
    server = ietf("--max-append-size", "300000")
    proxy = fault_proxy(server.endpoint, [
        Fault("rewrite", method=method, nth=nth,
              set_headers={"Upload-Offset": value})])
    src = write_random(tmp_path / "h.bin", 1_000_003, 3)
    e = fails(cli, via(proxy, server), tmp_path, src, "--compress", "off",
              "--parallel", "1")
    assert e["code"] == "unexpected_response", e
    assert proxy.fired("rewrite") == 1


def test_a_104_naming_another_origin_is_refused(ietf, cli, fault_proxy,
                                                tmp_path):
    """A 104 whose Location is on another origin: the request is dropped
    at once, nothing goes there, and the error says why."""
    server = ietf()
    elsewhere = "http://127.0.0.2:9/uploads/stolen"
    proxy = fault_proxy(server.endpoint, [
        Fault("rewrite", method="POST", times=0,
              interim_headers={"Location": elsewhere})])
    src = write_random(tmp_path / "o.bin", 100_000, 4)
    e = fails(cli, via(proxy, server), tmp_path, src)
    assert e["code"] == "redirect_refused"
    assert "another origin" in e["message"]
    # Discovery and the creation only: nothing followed the 104's URL.
    assert {r["method"] for r in proxy.requests()} <= {"OPTIONS", "POST"}
    assert all(r["path"] == "/uploads/" for r in proxy.requests())


@pytest.mark.parametrize("remove,says", [
    ((), "does not fit Upload-Length"),      # its own headers disagree
    (("Upload-Length",), "complete at"),     # short of the file
])
def test_a_server_that_completes_early_is_not_believed(
        remove, says, ietf, cli, fault_proxy, tmp_path):
    """HEAD after an interrupted append says the upload is complete at an
    offset short of the file: ferry stops with a typed error rather than
    report a whole upload."""
    server = ietf("--max-append-size", "300000")
    proxy = fault_proxy(server.endpoint, [
        Fault("reset", method="PATCH", nth=2, after=1000),
        Fault("rewrite", method="HEAD", times=0,
              set_headers={"Upload-Complete": "?1"},
              remove_headers=remove)])
    src = write_random(tmp_path / "c.bin", 1_000_003, 5)
    e = fails(cli, via(proxy, server), tmp_path, src, "--compress", "off")
    assert e["code"] == "unexpected_response", e
    assert says in e["message"]


def test_a_wrong_repr_digest_fails_the_upload(ietf, cli, fault_proxy,
                                              tmp_path):
    """The last append asks for the server's digest of what it stored
    (Want-Repr-Digest); one that is not the file's is integrity_failed."""
    server = ietf()
    wrong = "sha-256=:" + base64.b64encode(b"\0" * 32).decode() + ":"
    proxy = fault_proxy(server.endpoint, [
        Fault("rewrite", method="PATCH", times=0,
              set_headers={"Repr-Digest": wrong})])
    src = write_random(tmp_path / "r.bin", 300_000, 6)
    e = fails(cli, via(proxy, server), tmp_path, src, "--compress", "off")
    assert e["code"] == "integrity_failed"
    # Without the rewrite the server's digest is the file's: accepted.
    d = done(upload(cli, server.endpoint, tmp_path, "--compress", "off", src,
                    state="st2"))
    check_stored(server, d, src)


def draft_problem(kind, **members):
    body = json.dumps({"type": "https://iana.org/assignments/"
                               "http-problem-types#" + kind,
                       "title": kind, **members}).encode()
    return {"Content-Type": "application/problem+json"}, body


@pytest.mark.parametrize("status,kind,members,cured", [
    (409, "mismatching-upload-offset",
     {"expected-offset": 0, "provided-offset": 300000}, True),
    (400, "completed-upload", {}, True),
    (400, "inconsistent-upload-length", {}, False),
])
def test_the_drafts_problem_types(status, kind, members, cured, ietf, cli,
                                  fault_proxy, tmp_path):
    """An append answered with one of the draft's problem types: the offset
    ones are offset_mismatch, so ferry asks the server's offset (HEAD) and
    goes on from there; an inconsistent length ends the upload, typed."""
    server = ietf("--max-append-size", "300000")
    headers, body = draft_problem(kind, **members)
    proxy = fault_proxy(server.endpoint, [
        Fault("status", method="PATCH", nth=2, status=status,
              headers=headers, body=body)])
    src = write_random(tmp_path / "m.bin", 1_000_003, 7)
    p = upload(cli, via(proxy, server), tmp_path, "--compress", "off",
               "--retry-base", "20ms", src)
    assert proxy.fired("status") == 1
    if cured:
        d = done(p)
        check_stored(server, d, src)
        retries = [e for e in events(p) if e["event"] == "retry"]
        assert [r["code"] for r in retries] == ["offset_mismatch"]
        heads = [r for r in proxy.requests("HEAD")]
        assert len(heads) == 1
    else:
        e = error(p)
        assert e["code"] == "unexpected_response"
        assert e["server_code"] == kind


def test_negotiates_the_servers_interop_version(ietf, cli, tmp_path):
    """A server of draft -05 only (interop version 6, tusd's and
    tus-js-client's): ferry's first request tries 8, then 7, then 6, and
    keeps 6 for the rest; -05's limits (its "expires") are read too."""
    server = ietf("--interop-versions", "6", "--max-append-size", "100000",
                  "--max-age", "3600")
    src = write_random(tmp_path / "v.bin", 1_000_003, 10)
    d = done(upload(cli, server.endpoint, tmp_path, src))
    check_stored(server, d, src)
    assert server.creation(d["url"])["interop"] == 6
    only8 = ietf("--interop-versions", "8")
    d = done(upload(cli, only8.endpoint, tmp_path, src, state="st2"))
    assert only8.creation(d["url"])["interop"] == 8
    check_stored(only8, d, src)


def test_protocol_auto_picks_from_the_endpoint(ietf, tus_server, cli,
                                               tmp_path):
    server = ietf()
    src = write_random(tmp_path / "x.bin", 300_000, 8)
    d = done(upload(cli, server.endpoint, tmp_path, src,
                    protocol=("--protocol", "auto")))
    check_stored(server, d, src)
    d = done(upload(cli, tus_server.endpoint, tmp_path, src, state="st2",
                    protocol=("--protocol", "auto")))
    assert tus_server.stored_sha256(d["url"]) == sha256_file(src)
    # tus asked of a draft-only endpoint explains what it does speak.
    e = error(upload(cli, server.endpoint, tmp_path, src, state="st3",
                     protocol=("--protocol", "tus")))
    assert e["code"] == "protocol_unsupported"
    assert "protocol ietf" in e["message"]
    # ... and the draft asked of a tus endpoint: its creation is tried (a
    # server may speak both without saying so), and its refusal names tus.
    e = error(upload(cli, tus_server.endpoint, tmp_path, src, state="st4"))
    assert e["code"] == "protocol_unsupported"
    assert "speaks tus 1.0" in e["message"]
    assert "protocol tus" in e["message"]
    doctor = subprocess.run(
        [str(BUILD_DIR / "samples" / "ferry-doctor"), "--json", "--protocol",
         "ietf", tus_server.endpoint], capture_output=True, text=True,
        timeout=60)
    checks = {c["check"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert checks["server"]["status"] == "warn"
    assert checks["upload"]["status"] == "fail"


def test_doctor_with_protocol_ietf(ietf, tmp_path):
    server = ietf("--max-append-size", "65536")
    p = subprocess.run(
        [str(BUILD_DIR / "samples" / "ferry-doctor"), "--json", "--protocol",
         "ietf", server.endpoint], capture_output=True, text=True,
        timeout=60)
    checks = {c["check"]: c for c in json.loads(p.stdout)["checks"]}
    assert checks["server"]["status"] == "ok", checks
    assert "appends up to 65536" in checks["server"]["detail"]
    assert checks["draft"]["status"] == "ok"
    assert checks["upload"]["status"] == "ok", checks["upload"]
    assert "interop version 8" in checks["upload"]["detail"]
    assert server.uploads() == []


def test_pending_and_discard(ietf, cli, tmp_path):
    """An interrupted upload is listed as pending under protocol ietf and
    removed from the server (DELETE) when forgotten with discard_remote."""
    server = ietf()
    src = write_random(tmp_path / "k.bin", 4 * 1024 * 1024, 9)
    proc = subprocess.Popen(
        [cli, "--endpoint", server.endpoint, "--state-dir",
         str(tmp_path / "st"), "--json", *IETF, "--max-send-rate", "1M",
         "--chunk-size", "256K", src], stdout=subprocess.PIPE)
    time.sleep(1.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert len(server.uploads()) == 1
    with ferry.Client(server.endpoint, protocol="ietf",
                      state_dir=str(tmp_path / "st")) as c:
        [pending] = c.pending()
        assert pending.protocol == "ietf"
        c.forget(pending, discard_remote=True)
    assert server.uploads() == []
