# SPDX-License-Identifier: Apache-2.0
"""TLS failures against the real tus server serving certificates this test
makes (python3-cryptography): untrusted, expired, not yet valid, another
name; each is its typed error before any file byte leaves. Verification is
only turned off by the explicitly named option, which warns."""

import datetime
import ipaddress
import json
import subprocess

import pytest

import ferry
from conftest import record_scenario, sha256_file, write_random

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write(path, obj):
    if isinstance(obj, x509.Certificate):
        path.write_bytes(obj.public_bytes(serialization.Encoding.PEM))
    else:
        path.write_bytes(obj.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
    return str(path)


class Pki:
    """A test CA and leaf certificates for 127.0.0.1."""

    def __init__(self, dir):
        self.dir = dir
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        self.ca = (x509.CertificateBuilder()
                   .subject_name(_name("ferry test CA"))
                   .issuer_name(_name("ferry test CA"))
                   .public_key(self.ca_key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(NOW - 10 * DAY)
                   .not_valid_after(NOW + 10 * DAY)
                   .add_extension(x509.BasicConstraints(ca=True,
                                                        path_length=None),
                                  critical=True)
                   .sign(self.ca_key, hashes.SHA256()))
        self.ca_file = _write(dir / "ca.pem", self.ca)

    def leaf(self, label, *, names=("127.0.0.1",), start=-1, end=30,
             self_signed=False):
        key = ec.generate_private_key(ec.SECP256R1())
        sans = [x509.IPAddress(ipaddress.ip_address(n)) if n[0].isdigit()
                else x509.DNSName(n) for n in names]
        issuer_key = key if self_signed else self.ca_key
        cert = (x509.CertificateBuilder()
                .subject_name(_name(names[0]))
                .issuer_name(_name(names[0]) if self_signed else
                             self.ca.subject)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(NOW + start * DAY)
                .not_valid_after(NOW + end * DAY)
                .add_extension(x509.SubjectAlternativeName(sans),
                               critical=False)
                .sign(issuer_key, hashes.SHA256()))
        return (_write(self.dir / f"{label}.pem", cert),
                _write(self.dir / f"{label}.key", key))


@pytest.fixture
def pki(tmp_path):
    return Pki(tmp_path)


@pytest.fixture
def https_server(pki, tus_server_factory):
    def make(label, **kw):
        cert, key = pki.leaf(label, **kw)
        server = tus_server_factory("--tls-cert", cert, "--tls-key", key)
        assert server.endpoint.startswith("https://127.0.0.1:")
        server.cert = cert
        return server
    return make


def upload_cli(cli, server, tmp_path, *extra):
    f = write_random(tmp_path / "t.bin", 300_000, 8)
    p = subprocess.run(
        [cli, "--endpoint", server.endpoint, "--state-dir",
         str(tmp_path / "st"), "--json", "--max-retries", "0", *extra, f],
        capture_output=True, text=True, timeout=60)
    lines = [json.loads(x) for x in p.stdout.splitlines() if x.strip()]
    return f, p, lines


def error_of(lines):
    errors = [x for x in lines if x["event"] == "error"]
    assert len(errors) == 1, lines
    return errors[0]["error"]


@pytest.mark.parametrize("label,kw,code", [
    ("selfsigned", {"self_signed": True}, "certificate_untrusted"),
    ("expired", {"start": -20, "end": -2}, "certificate_expired"),
    ("notyet", {"start": 2, "end": 30}, "certificate_expired"),
    ("othername", {"names": ("files.example.com",)},
     "certificate_name_mismatch"),
])
def test_bad_certificate_is_a_typed_error_before_any_byte(
        label, kw, code, cli, https_server, pki, tmp_path):
    server = https_server(label, **kw)
    ca = [] if kw.get("self_signed") else ["--ca-file", pki.ca_file]
    _, p, lines = upload_cli(cli, server, tmp_path, *ca)
    assert p.returncode == 1, p.stderr
    e = error_of(lines)
    assert e["code"] == code and e["category"] == "tls"
    assert e["retryable"] is False and e["action"]
    assert server.uploads() == []  # nothing was created, nothing sent
    record_scenario("test_tls", code + " (" + label + ")")


def test_self_signed_succeeds_with_its_certificate_as_ca_file(
        cli, https_server, tmp_path):
    server = https_server("pinned", self_signed=True)
    f, p, lines = upload_cli(cli, server, tmp_path, "--ca-file", server.cert)
    assert p.returncode == 0, p.stderr
    done = [x for x in lines if x["event"] == "done"][0]
    assert done["sha256"] == sha256_file(f) == server.stored_sha256(
        done["url"])
    assert "WARNING" not in p.stderr
    record_scenario("test_tls", "self-signed + --ca-file", 1, 300_000)


def test_ca_signed_certificate_with_the_ca_file(cli, https_server, pki,
                                                tmp_path):
    server = https_server("good")
    f, p, lines = upload_cli(cli, server, tmp_path, "--ca-file", pki.ca_file)
    assert p.returncode == 0, p.stderr
    done = [x for x in lines if x["event"] == "done"][0]
    assert server.stored_sha256(done["url"]) == sha256_file(f)
    record_scenario("test_tls", "CA-signed + --ca-file", 1, 300_000)


def test_verification_off_only_by_the_named_option_and_it_warns(
        cli, https_server, tmp_path):
    server = https_server("expired2", start=-20, end=-2)
    f, p, lines = upload_cli(cli, server, tmp_path,
                             "--insecure-skip-tls-verify")
    assert p.returncode == 0, p.stderr
    assert "WARNING: TLS verification is OFF" in p.stderr
    # ... and the upload itself says so (every upload, every API).
    assert [x["event"] for x in lines if x["event"] != "progress"][0] == \
        "tls_unverified"
    done = [x for x in lines if x["event"] == "done"][0]
    assert server.stored_sha256(done["url"]) == sha256_file(f)
    # The Python binding warns too.
    with pytest.warns(ferry.SecurityWarning):
        ferry.Client(server.endpoint, insecure_skip_tls_verify=True,
                     state_dir=str(tmp_path / "st2")).close()
    record_scenario("test_tls", "verification off, with a warning", 1,
                    300_000)


def test_tls_floor_is_1_2_and_can_be_raised(cli, pki, tus_server_factory,
                                           tmp_path):
    cert, key = pki.leaf("tls12only")
    server = tus_server_factory("--tls-cert", cert, "--tls-key", key,
                                "--tls-max", "TLSv1.2")
    f, p, lines = upload_cli(cli, server, tmp_path, "--ca-file", pki.ca_file)
    assert p.returncode == 0, p.stderr  # TLS 1.2 is accepted by default
    done = [x for x in lines if x["event"] == "done"][0]
    assert server.stored_sha256(done["url"]) == sha256_file(f)
    _, p, lines = upload_cli(cli, server, tmp_path, "--ca-file", pki.ca_file,
                             "--tls-min-version", "1.3")
    assert p.returncode == 1, p.stderr
    e = error_of(lines)
    assert e["category"] == "tls", e
    assert len(server.uploads()) == 1  # the refused run created nothing

