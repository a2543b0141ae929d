# SPDX-License-Identifier: Apache-2.0
"""ferry-doctor (executable, library call, Python call) and TLS failures,
against the real local server, a closed port, an unresolvable name, a
self-signed HTTPS server and a server whose clock is off."""

import json
import subprocess

import pytest

import ferry
from conftest import BUILD_DIR, sha256_file, write_random

DOCTOR = str(BUILD_DIR / "samples" / "ferry-doctor")


def doctor(*args):
    p = subprocess.run([DOCTOR, "--json", *args], capture_output=True,
                       text=True, timeout=120)
    return p.returncode, json.loads(p.stdout)


def by_check(report):
    return {c["check"]: c for c in report["checks"]}


def make_cert(dir, name, san, days=30):
    cert, key = dir / f"{name}.pem", dir / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", str(days),
                    "-subj", f"/CN={name}", "-addext", f"subjectAltName={san}"],
                   check=True, capture_output=True)
    return str(cert), str(key)


@pytest.fixture
def tls_server(tus_server_factory, tmp_path):
    def make(san="IP:127.0.0.1", days=30):
        cert, key = make_cert(tmp_path, f"c{len(list(tmp_path.iterdir()))}",
                              san, days)
        server = tus_server_factory("--tls-cert", cert, "--tls-key", key)
        server.ca_file = cert  # self-signed: the certificate is its own CA
        return server
    return make


def test_healthy_server(tus_server):
    rc, report = doctor(tus_server.endpoint)
    assert rc == 0 and report["ok"] is True
    checks = by_check(report)
    for name in ("dns", "tcp", "clock", "server", "auth", "upload"):
        assert checks[name]["status"] == "ok", checks[name]
    assert checks["tls"]["status"] == "skipped"
    assert "checksum" in checks["server"]["detail"]
    assert tus_server.uploads() == []  # the probe was removed again


def test_closed_port():
    rc, report = doctor("http://127.0.0.1:9/files/")
    assert rc == 1 and report["ok"] is False
    tcp = by_check(report)["tcp"]
    assert tcp["status"] == "fail"
    assert tcp["error"]["code"] == "connection_refused"
    assert tcp["error"]["action"] == "check_network"


def test_unresolvable_name():
    rc, report = doctor("http://ferry-doctor-test.invalid/files/")
    assert rc == 1
    dns = by_check(report)["dns"]
    assert dns["status"] == "fail" and dns["error"]["code"] == "dns_failure"
    assert "tcp" not in by_check(report)  # it stops at the first broken layer


def test_self_signed_certificate(tls_server):
    server = tls_server()
    rc, report = doctor(server.endpoint)
    assert rc == 1
    tls = by_check(report)["tls"]
    assert tls["status"] == "fail"
    assert tls["error"]["code"] == "certificate_untrusted"
    assert tls["error"]["action"] == "update_ca_bundle"
    rc, report = doctor(server.endpoint, "--ca-file", server.ca_file)
    assert rc == 0, report
    tls = by_check(report)["tls"]
    assert tls["status"] == "ok" and "TLSv1." in tls["detail"]


def test_certificate_expiring_soon_is_a_warning(tls_server):
    server = tls_server(days=3)
    rc, report = doctor(server.endpoint, "--ca-file", server.ca_file)
    assert rc == 0  # a warning, not a failure: uploads still work today
    tls = by_check(report)["tls"]
    assert tls["status"] == "warn"
    assert tls["error"]["code"] == "certificate_expired"
    assert "within 14 days" in tls["detail"]


def test_skewed_server_clock(policy_server):
    server = policy_server({"clock_offset_s": 3600})
    rc, report = doctor(server.endpoint)
    assert rc == 1
    clock = by_check(report)["clock"]
    assert clock["status"] == "fail"
    assert clock["error"]["code"] == "clock_skew"
    assert clock["error"]["action"] == "sync_clock"
    assert 3590000 <= clock["error"]["clock_skew_ms"] <= 3610000


def test_human_output_says_what_to_do():
    p = subprocess.run([DOCTOR, "http://127.0.0.1:9/files/"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1
    assert "FAIL tcp" in p.stdout and "connection_refused" in p.stdout
    assert "what to do (check_network)" in p.stdout
    assert subprocess.run([DOCTOR], capture_output=True).returncode == 2


def test_python_doctor_call(tus_server, tmp_path):
    report = ferry.doctor(tus_server.endpoint, state_dir=str(tmp_path / "st"))
    assert report["ok"] is True and "uploads to this endpoint" in report["text"]
    bad = ferry.doctor("http://127.0.0.1:9/files/", state_dir=str(tmp_path))
    assert bad["ok"] is False
    assert by_check(bad)["tcp"]["error"]["code"] == "connection_refused"


def test_uploads_over_tls(tls_server, tmp_path):
    server = tls_server()
    f = write_random(tmp_path / "t.bin", 300000, 1)
    untrusted = ferry.Client(server.endpoint, state_dir=str(tmp_path / "st"),
                             max_retries=3)
    with pytest.raises(ferry.CertificateUntrusted) as info:
        untrusted.upload(f)
    e = info.value
    assert (e.category, e.retryable, e.action) == ("tls", False,
                                                   "update_ca_bundle")
    trusted = ferry.Client(server.endpoint, state_dir=str(tmp_path / "st"),
                           ca_file=server.ca_file)
    r = trusted.upload(f)
    assert server.stored_sha256(r.url) == sha256_file(f)


def test_certificate_for_another_name(tls_server, tmp_path):
    server = tls_server(san="DNS:files.example.com")
    client = ferry.Client(server.endpoint, state_dir=str(tmp_path / "st"),
                          ca_file=server.ca_file)
    with pytest.raises(ferry.CertificateNameMismatch):
        client.upload(write_random(tmp_path / "n.bin", 10, 2))
