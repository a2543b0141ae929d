# SPDX-License-Identifier: Apache-2.0
"""Every refusal explained: the sample server's policy profile refuses the
way real file services do; ferry must name each cause exactly."""

import json
import subprocess

import pytest

import ferry
from conftest import sha256_file, write_random


def client_for(server, tmp_path, **kw):
    # These tests are about naming refusals: uncompressed, so every size the
    # server sees is the file's (test_compression.py covers zstd).
    kw.setdefault("compress", "off")
    kw.setdefault("retry_base", 0.02)
    kw.setdefault("retry_max", 0.2)
    return ferry.Client(server.endpoint, state_dir=str(tmp_path / "st"), **kw)


def expect(err, code, category, origin, action, retryable):
    assert (err.code, err.category, err.origin, err.action, err.retryable) == \
        (code, category, origin, action, retryable), err.to_dict()
    assert err.message


def upload_expecting(client, path, cls, **kw):
    with pytest.raises(cls) as info:
        client.upload(path, **kw)
    return info.value


def test_blocked_file_type(policy_server, tmp_path):
    server = policy_server({"blocked_extensions": [".exe", ".bat", ".lnk"]})
    f = write_random(tmp_path / "setup.EXE", 1000, 1)
    e = upload_expecting(client_for(server, tmp_path), f, ferry.FileTypeBlocked)
    expect(e, "file_type_blocked", "policy", "server", "package_file", False)
    assert e.http_status == 403 and ".exe" in e.server_message
    assert server.uploads() == []


def test_per_file_size_cap_413(policy_server, tmp_path):
    server = policy_server({"max_file_bytes": 50000})
    f = write_random(tmp_path / "big.bin", 50001, 2)
    e = upload_expecting(client_for(server, tmp_path), f, ferry.FileTooLarge)
    expect(e, "file_too_large", "policy", "server", "split_file", False)
    assert e.http_status == 413


def test_quota(policy_server, tmp_path):
    server = policy_server({"quota_bytes": 150000})
    client = client_for(server, tmp_path)
    first = write_random(tmp_path / "a.bin", 100000, 3)
    r = client.upload(first)
    assert server.stored_sha256(r.url) == sha256_file(first)
    second = write_random(tmp_path / "b.bin", 100000, 4)
    e = upload_expecting(client, second, ferry.QuotaExceeded)
    expect(e, "quota_exceeded", "quota", "server", "free_quota", False)
    assert e.http_status == 507


def test_rate_limit_is_waited_out(policy_server, tmp_path):
    server = policy_server({"rate_limit": {"requests": 3, "window_ms": 1000}})
    f = write_random(tmp_path / "r.bin", 6 * 65536, 5)
    events = []
    r = client_for(server, tmp_path, chunk_size=65536).upload(
        f, on_event=events.append)
    assert server.stored_sha256(r.url) == sha256_file(f)
    retries = [e for e in events if e.type == "retry"]
    assert retries and all(e.code == "rate_limited" for e in retries)
    assert all(e.delay_ms >= 1000 for e in retries)  # Retry-After honoured


def test_rate_limit_without_retries_is_typed(policy_server, tmp_path):
    server = policy_server({"rate_limit": {"requests": 1, "window_ms": 5000}})
    f = write_random(tmp_path / "r.bin", 1000, 6)
    e = upload_expecting(client_for(server, tmp_path, max_retries=0), f,
                         ferry.RateLimited)
    expect(e, "rate_limited", "throttle", "server", "wait_and_retry", True)
    assert e.http_status == 429 and e.retry_after >= 1


def test_short_maintenance_is_waited_out(policy_server, tmp_path):
    server = policy_server({"maintenance": {"for_ms": 1500}})
    f = write_random(tmp_path / "m.bin", 1000, 7)
    events = []
    r = client_for(server, tmp_path).upload(f, on_event=events.append)
    assert server.stored_sha256(r.url) == sha256_file(f)
    assert [e.code for e in events if e.type == "retry"][0] == \
        "server_maintenance"


def test_long_maintenance_is_typed_with_retry_after(policy_server, tmp_path):
    server = policy_server({"maintenance": {"for_ms": 600000}})
    f = write_random(tmp_path / "m.bin", 1000, 8)
    client = client_for(server, tmp_path, retry_deadline=2.0)
    e = upload_expecting(client, f, ferry.ServerMaintenance)
    expect(e, "server_maintenance", "server", "server", "wait_and_retry", True)
    assert e.http_status == 503 and e.retry_after > 500


def test_expired_token_is_refreshed_and_the_upload_continues(
        policy_server, tmp_path):
    server = policy_server({"tokens": {"old": {"user": "ann", "ttl_ms": 300},
                                       "new": {"user": "ann"}}})
    f = write_random(tmp_path / "t.bin", 30 * 65536, 9)
    asked = []

    def refresh(error):
        asked.append(error.code)
        return {"Authorization": "Bearer new"}

    client = client_for(server, tmp_path, chunk_size=65536,
                        headers={"Authorization": "Bearer old"},
                        max_send_bytes_per_sec=2 * 1024 * 1024,
                        on_refresh_credentials=refresh)
    events = []
    r = client.upload(f, on_event=events.append)
    assert server.stored_sha256(r.url) == sha256_file(f)
    assert asked == ["credentials_expired"]
    assert [e.code for e in events if e.type == "retry"] == \
        ["credentials_expired"]
    assert r.resumed_from == 0 and r.wire_bytes < 2 * r.bytes  # not restarted


def test_expired_token_without_refresh(policy_server, tmp_path):
    server = policy_server({"tokens": {"old": {"user": "ann", "ttl_ms": 0}}})
    f = write_random(tmp_path / "t.bin", 1000, 10)
    client = client_for(server, tmp_path, headers={"Authorization": "Bearer old"})
    client.upload(f)  # first use starts the token's clock... and ends in time
    import time
    time.sleep(0.05)
    e = upload_expecting(client, f, ferry.CredentialsExpired)
    expect(e, "credentials_expired", "auth", "server", "refresh_credentials",
           False)
    assert e.http_status == 401


def test_unknown_token_is_unauthenticated(policy_server, tmp_path):
    server = policy_server({"tokens": {"good": {"user": "ann"}}})
    f = write_random(tmp_path / "u.bin", 1000, 11)
    client = client_for(server, tmp_path, headers={"Authorization": "Bearer bad"})
    e = upload_expecting(client, f, ferry.Unauthenticated)
    expect(e, "unauthenticated", "auth", "server", "sign_in", False)


def test_skewed_clock_is_named_with_the_measured_offset(policy_server, tmp_path):
    server = policy_server({"clock_offset_s": 3600, "max_request_skew_s": 300})
    f = write_random(tmp_path / "c.bin", 1000, 12)
    e = upload_expecting(client_for(server, tmp_path), f, ferry.ClockSkew)
    expect(e, "clock_skew", "auth", "client", "sync_clock", False)
    assert 3590 <= e.clock_skew <= 3610


def test_blocked_recipient(policy_server, tmp_path):
    server = policy_server({"blocked_pairs": [{"sender": "anonymous",
                                               "recipient": "mallory"}]})
    f = write_random(tmp_path / "gift.bin", 1000, 13)
    client = client_for(server, tmp_path)
    e = upload_expecting(client, f, ferry.RecipientRejected,
                         metadata={"recipient": "mallory"})
    expect(e, "recipient_rejected", "recipient", "recipient",
           "contact_recipient", False)
    r = client.upload(f, metadata={"recipient": "bob"})  # others still work
    assert server.stored_sha256(r.url) == sha256_file(f)


def test_content_scan(policy_server, tmp_path):
    server = policy_server({"scan_marker": "FERRY-TEST-MALWARE"})
    f = tmp_path / "doc.txt"
    f.write_bytes(b"hello " * 1000 + b"FERRY-TEST-MALWARE" + b" bye" * 100)
    e = upload_expecting(client_for(server, tmp_path), f, ferry.ContentRejected)
    expect(e, "content_rejected", "policy", "server", "contact_admin", False)
    assert e.http_status == 422


def test_preflight_refuses_before_any_request(policy_server, tmp_path):
    server = policy_server({"blocked_extensions": [".exe"]})
    client = client_for(server, tmp_path, blocked_extensions=[".exe", "bat"],
                        max_files_per_batch=2)
    e = upload_expecting(client, write_random(tmp_path / "x.bat", 10, 14),
                         ferry.FileTypeBlocked)
    expect(e, "file_type_blocked", "policy", "server", "package_file", False)
    assert e.http_status == 0 and "before sending" in e.message
    with pytest.raises(ferry.TooManyFiles) as info:
        client.check_batch(3)
    expect(info.value, "too_many_files", "policy", "server", "reduce_batch",
           False)
    assert info.value.limit == 2
    client.check_batch(2)


RULES = {"rules": [
    {"match": {"json": {"pointer": "/error/code", "equals": 50001}},
     "code": "clock_skew", "action": "sync_clock",
     "message": "The device clock is out of sync"},
    {"match": {"status": 400, "json": {"pointer": "/error/code",
                                        "equals": 10001}},
     "code": "file_type_blocked"},
    {"match": {"body_contains": "\"code\":10002"},
     "code": "recipient_rejected", "origin": "recipient"},
]}


def test_numeric_codes_need_rules(policy_server, cli, tmp_path):
    server = policy_server({"numeric_codes": True,
                            "blocked_extensions": [".exe"],
                            "blocked_pairs": [{"sender": "anonymous",
                                               "recipient": "eve"}],
                            "clock_offset_s": -7200,
                            "max_request_skew_s": 300})
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps(RULES))
    f = write_random(tmp_path / "a.exe", 100, 15)

    def run(*args):
        p = subprocess.run([cli, "--endpoint", server.endpoint, "--state-dir",
                            str(tmp_path / "st"), "--json", *args],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 1, p.stdout + p.stderr
        return json.loads(p.stdout.splitlines()[-1])["error"]

    # Without rules: a bare 400 with a server code ferry cannot interpret.
    plain = run(f)
    assert plain["code"] == "unexpected_response"
    assert plain["server_code"] == "50001" and plain["http_status"] == 400
    # With the rules file each numeric code becomes its typed error.
    e = run("--rules", str(rules), f)
    assert (e["code"], e["action"], e["server_code"]) == \
        ("clock_skew", "sync_clock", "50001")
    assert "out of sync" in e["message"]
    assert -7210000 <= e["clock_skew_ms"] <= -7190000


def test_rules_map_each_numeric_code(policy_server, tmp_path):
    server = policy_server({"numeric_codes": True,
                            "blocked_extensions": [".exe"],
                            "blocked_pairs": [{"sender": "anonymous",
                                               "recipient": "eve"}]})
    client = client_for(server, tmp_path, rules=RULES["rules"])
    e = upload_expecting(client, write_random(tmp_path / "a.exe", 10, 16),
                         ferry.FileTypeBlocked)
    assert e.server_code == "10001" and e.http_status == 400
    e = upload_expecting(client, write_random(tmp_path / "a.bin", 10, 17),
                         ferry.RecipientRejected, metadata={"recipient": "eve"})
    assert e.origin == "recipient"


def test_bad_rules_are_invalid_arguments(cli, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"rules": [{"match": {}, "code": "clock_skew"}]}')
    p = subprocess.run([cli, "--endpoint", "http://127.0.0.1:9/", "--rules",
                        str(bad), str(bad)], capture_output=True, text=True)
    assert p.returncode == 2 and "condition" in p.stderr
