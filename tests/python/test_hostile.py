# SPDX-License-Identifier: Apache-2.0
"""Hostile and broken servers: the real @tus/server's answers rewritten by the
fault proxy into absurd offsets, missing headers, huge headers and bodies,
other-origin Locations, redirect loops, error bodies behind a 200, and
silence. Each ends in its typed error, in bounded time, without a crash,
and without a request (or a credential) going where it should not."""

import json
import time
import urllib.parse

import pytest

import ferry
from conftest import endpoint_via, record_scenario, write_random
from fault_proxy import Fault

CHUNK = 256 * 1024
SIZE = 3 * CHUNK + 11
SECRET = "Bearer hostile-test-secret-7f3a"


def client_for(url, tmp_path, **opts):
    options = dict(state_dir=str(tmp_path / "st"), chunk_size=CHUNK,
                   compress="off", retry_base=0.02,
                   retry_max=0.1, max_retries=2,
                   headers={"Authorization": SECRET})
    options.update(opts)
    return ferry.Client(url, **options)


def fails_with(exc_class, proxy, server, tmp_path, **opts):
    path = write_random(tmp_path / "h.bin", SIZE, 3)
    started = time.monotonic()
    with client_for(endpoint_via(proxy, server), tmp_path, **opts) as c:
        with pytest.raises(exc_class) as info:
            c.upload(path)
    elapsed = time.monotonic() - started
    assert elapsed < 60
    assert SECRET not in str(info.value)
    assert SECRET.split()[1] not in json.dumps(info.value.__dict__,
                                               default=str)
    return info.value


@pytest.mark.parametrize("method,nth,value", [
    ("PATCH", 1, "99999999999999"),   # beyond the file
    ("PATCH", 2, "-5"),               # negative
    ("PATCH", 1, "12abc"),            # not a number
    ("PATCH", 2, "0"),                # going backwards
    ("PATCH", 1, "18446744073709551616"),  # 2^64
    ("POST", 1, "99999999"),          # creation-with-upload: more than sent
])
def test_absurd_upload_offset(method, nth, value, tus_server, fault_proxy,
                              tmp_path):
    proxy = fault_proxy(tus_server.endpoint, [
        Fault("rewrite", method=method, nth=nth,
              set_headers={"Upload-Offset": value})])
    e = fails_with(ferry.UnexpectedResponse, proxy, tus_server, tmp_path)
    assert proxy.fired("rewrite") == 1
    assert "Upload-Offset" in str(e) and e.retryable is False
    record_scenario("test_hostile", f"offset {value} on {method}")


def test_head_claims_more_than_was_sent(tus_server, fault_proxy, tmp_path):
    # A failed PATCH makes ferry ask; the answer is past what it sent.
    proxy = fault_proxy(tus_server.endpoint, [
        Fault("status", method="PATCH", nth=2, status=503),
        Fault("rewrite", method="HEAD", set_headers={
            "Upload-Offset": str(10 * SIZE)})])
    e = fails_with(ferry.UnexpectedResponse, proxy, tus_server, tmp_path)
    assert "past what was sent" in str(e)
    record_scenario("test_hostile", "HEAD offset beyond what was sent")


@pytest.mark.parametrize("method,header,exc", [
    ("PATCH", "Upload-Offset", ferry.UnexpectedResponse),
    ("HEAD", "Upload-Offset", ferry.UnexpectedResponse),
    ("POST", "Location", ferry.UnexpectedResponse),
    ("OPTIONS", "Tus-Version", ferry.ProtocolUnsupported),
    ("OPTIONS", "Tus-Extension", ferry.ProtocolUnsupported),
])
def test_missing_required_header(method, header, exc, tus_server,
                                 fault_proxy, tmp_path):
    faults = [Fault("rewrite", method=method, remove_headers=[header])]
    if method == "HEAD":
        faults.append(Fault("status", method="PATCH", nth=2, status=503))
    proxy = fault_proxy(tus_server.endpoint, faults)
    fails_with(exc, proxy, tus_server, tmp_path)
    assert proxy.fired("rewrite") == 1
    record_scenario("test_hostile", f"{method} without {header}")


@pytest.mark.parametrize("method,fault", [
    ("PATCH", {"pad_header": 1 << 20}),
    ("OPTIONS", {"pad_header": 1 << 20}),
    ("POST", {"body_size": 100 << 20}),
    ("PATCH", {"body_size": 100 << 20, "status": 500}),
])
def test_huge_headers_and_bodies_are_capped(method, fault, tus_server,
                                            fault_proxy, tmp_path):
    proxy = fault_proxy(tus_server.endpoint, [
        Fault("rewrite", method=method, times=0, **fault)])
    e = fails_with(ferry.UnexpectedResponse, proxy, tus_server, tmp_path,
                   max_retries=0)
    assert "size cap" in str(e)
    record_scenario("test_hostile", f"{method} {sorted(fault)[0]} capped")


def test_location_on_another_origin_is_refused_before_anything_is_sent(
        tus_server, fault_proxy, tmp_path):
    elsewhere = fault_proxy(tus_server.endpoint)
    proxy = fault_proxy(tus_server.endpoint, [
        Fault("rewrite", method="POST", set_headers={
            "Location": lambda old: elsewhere.origin +
            urllib.parse.urlsplit(old).path})])
    e = fails_with(ferry.RedirectRefused, proxy, tus_server, tmp_path)
    assert elsewhere.origin in str(e)
    assert elsewhere.requests() == []  # not a byte, not a credential
    record_scenario("test_hostile", "Location on another origin refused")


def test_location_on_an_allowlisted_origin_is_followed(
        tus_server, fault_proxy, verify, tmp_path):
    elsewhere = fault_proxy(tus_server.endpoint)
    proxy = fault_proxy(tus_server.endpoint, [
        Fault("rewrite", method="POST", set_headers={
            "Location": lambda old: elsewhere.origin +
            urllib.parse.urlsplit(old).path})])
    path = write_random(tmp_path / "a.bin", SIZE, 4)
    with client_for(endpoint_via(proxy, tus_server), tmp_path,
                    allowed_origins=[elsewhere.origin]) as c:
        r = c.upload(path)
    assert r.url.startswith(elsewhere.origin)
    patches = elsewhere.requests("PATCH")
    assert patches and all(dict((k.lower(), v) for k, v in p["headers"])
                           ["authorization"] == SECRET for p in patches)
    verify(tus_server, r, path)


def test_redirect_to_another_origin_is_refused(tus_server, fault_proxy,
                                               tmp_path):
    elsewhere = fault_proxy(tus_server.endpoint)
    proxy = fault_proxy(tus_server.endpoint, [
        Fault("redirect", method="PATCH", nth=2, status=308,
              location=elsewhere.origin + "/files/x")])
    e = fails_with(ferry.RedirectRefused, proxy, tus_server, tmp_path)
    assert "another origin" in str(e)
    assert elsewhere.requests() == []
    record_scenario("test_hostile", "redirect to another origin refused")


def test_a_same_origin_redirect_is_followed(tus_server, fault_proxy, verify,
                                            tmp_path):
    proxy = fault_proxy(tus_server.endpoint, [
        Fault("redirect", method="PATCH", nth=2, status=307)])  # to itself
    path = write_random(tmp_path / "s.bin", SIZE, 5)
    with client_for(endpoint_via(proxy, tus_server), tmp_path) as c:
        r = c.upload(path)
    assert proxy.fired("redirect") == 1
    verify(tus_server, r, path)


@pytest.mark.parametrize("method", ["OPTIONS", "PATCH"])
def test_redirect_loop_ends(method, tus_server, fault_proxy, tmp_path):
    proxy = fault_proxy(tus_server.endpoint, [
        Fault("redirect", method=method, times=0, status=307)])
    e = fails_with(ferry.RedirectRefused, proxy, tus_server, tmp_path)
    assert "redirects in a row" in str(e)
    assert proxy.fired("redirect") == 6  # the request and 5 hops
    record_scenario("test_hostile", f"redirect loop on {method}")


@pytest.mark.parametrize("content_type,body,exc,code", [
    ("application/problem+json",
     {"type": "about:blank", "title": "Quota", "code": "quota_exceeded",
      "detail": "user quota used up"}, ferry.QuotaExceeded, "quota_exceeded"),
    ("application/json", {"error": {"code": "E_DISK", "message": "disk"}},
     ferry.UnexpectedResponse, "E_DISK"),
])
def test_a_200_that_carries_an_error_body(content_type, body, exc, code,
                                          tus_server, fault_proxy, tmp_path):
    proxy = fault_proxy(tus_server.endpoint, [
        Fault("rewrite", method="PATCH", nth=2, status=200,
              remove_headers=["Upload-Offset"],
              set_headers={"Content-Type": content_type},
              body=json.dumps(body).encode())])
    e = fails_with(exc, proxy, tus_server, tmp_path)
    assert code in (e.code, e.server_code)
    assert "error body" in str(e)
    record_scenario("test_hostile", f"200 with an error body ({code})")


def test_a_server_that_never_answers(tus_server, fault_proxy, tmp_path):
    proxy = fault_proxy(tus_server.endpoint, [
        Fault("hang", method="PATCH", times=0)])
    e = fails_with(ferry.Timeout, proxy, tus_server, tmp_path,
                   stall_timeout=1, max_retries=1)
    # Counted, not timed: the first PATCH and one retry, each ended by the
    # stall timeout, and no third.
    assert len(proxy.requests("PATCH")) == 2
    assert e.retryable is True
    record_scenario("test_hostile", "server never answers")


def test_resume_onto_an_upload_of_other_content_restarts(
        tus_server, fault_proxy, verify, tmp_path):
    import base64
    path = write_random(tmp_path / "m.bin", SIZE, 6)
    proxy = fault_proxy(tus_server.endpoint)
    # The check needs the SHA-256 in the upload's metadata.
    with client_for(endpoint_via(proxy, tus_server), tmp_path,
                    announce_sha256=True) as c:
        with pytest.raises(ferry.Cancelled):
            c.upload(path, on_progress=lambda p: p.bytes_acked > 0)
    # The saved address now answers for other content.
    other = base64.b64encode(b"0" * 64).decode()
    proxy.faults.append(Fault("rewrite", method="HEAD", set_headers={
        "Upload-Metadata": "filename bS5iaW4=,sha256 " + other}))
    events = []
    with client_for(endpoint_via(proxy, tus_server), tmp_path,
                    announce_sha256=True) as c:
        r = c.upload(path, on_event=events.append)
    restarted = [e for e in events if e.type == "restarted"]
    assert len(restarted) == 1 and "other content" in restarted[0].message
    assert r.resumed_from == 0
    verify(tus_server, r, path)
