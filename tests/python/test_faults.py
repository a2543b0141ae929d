# SPDX-License-Identifier: Apache-2.0
"""Every retry path through the fault proxy, in front of the real @tus/server.

Each test scripts one kind of network or server failure, checks that the
fault really fired and that ferry reported the retry it made, and ends with
the stored bytes compared with the source's SHA-256.
"""


import pytest

import ferry
from conftest import endpoint_via, write_random
from fault_proxy import Fault

CHUNK = 256 * 1024
SIZE = 5 * CHUNK + 123  # six PATCHes


def upload(proxy, server, tmp_path, name="f.bin", size=SIZE, seed=1, **opts):
    path = write_random(tmp_path / name, size, seed)
    events = []
    options = dict(state_dir=str(tmp_path / "st"), chunk_size=CHUNK,
                   compress="off", retry_base=0.02,
                   retry_max=0.2)
    options.update(opts)
    with ferry.Client(endpoint_via(proxy, server), **options) as client:
        result = client.upload(path, on_event=events.append)
    return path, result, events


def retries(events):
    return [e.code for e in events if e.type == "retry"]


def assert_recovered_from_dead_connections(proxy, events, result, faults,
                                           size=SIZE):
    """A connection killed mid-body is retried either by ferry (a retry
    event, then HEAD for the server's offset) or, when it was a reused
    keep-alive connection that died before any response byte, by libcurl
    itself on a fresh connection. Both show as a new connection, and the
    bytes sent twice are counted in wire_bytes."""
    assert set(retries(events)) <= {"connection_reset"}
    assert proxy.connections >= 1 + faults
    assert result.wire_bytes > size


@pytest.mark.parametrize("action", ["reset", "close"])
def test_connection_dies_in_the_middle_of_a_patch(
        action, tus_server, fault_proxy, verify, tmp_path):
    proxy = fault_proxy(tus_server.endpoint,
                        [Fault(action, method="PATCH", nth=2, after=100_000)])
    path, r, ev = upload(proxy, tus_server, tmp_path)
    assert proxy.fired(action) == 1
    assert_recovered_from_dead_connections(proxy, ev, r, 1)
    assert r.wire_bytes <= SIZE + CHUNK
    verify(tus_server, r, path)


def test_reset_on_every_other_patch(tus_server, fault_proxy, verify,
                                    tmp_path):
    faults = [Fault("reset", method="PATCH", nth=n, after=50_000)
              for n in (1, 3, 5, 7)]
    proxy = fault_proxy(tus_server.endpoint, faults)
    path, r, ev = upload(proxy, tus_server, tmp_path)
    assert proxy.fired("reset") == 4
    assert_recovered_from_dead_connections(proxy, ev, r, 4)
    verify(tus_server, r, path)


def test_stalled_patch_ends_by_the_stall_timeout_and_resumes(
        tus_server, fault_proxy, verify, tmp_path):
    proxy = fault_proxy(tus_server.endpoint,
                        [Fault("stall", method="PATCH", nth=3, after=10_000)])
    path, r, ev = upload(proxy, tus_server, tmp_path, stall_timeout=2)
    assert proxy.fired("stall") == 1
    assert retries(ev) == ["timeout"]
    verify(tus_server, r, path)


def test_slow_drip_above_the_stall_floor_is_not_a_failure(
        tus_server, fault_proxy, verify, tmp_path):
    proxy = fault_proxy(tus_server.endpoint,
                        [Fault("drip", method="PATCH", nth=2, rate=200_000)])
    path, r, ev = upload(proxy, tus_server, tmp_path, stall_timeout=2)
    assert proxy.fired("drip") == 1
    assert retries(ev) == []
    assert r.wire_bytes == SIZE
    verify(tus_server, r, path)


@pytest.mark.parametrize("method", ["PATCH", "POST", "HEAD"])
def test_truncated_response(method, tus_server, fault_proxy, verify,
                            tmp_path):
    # Cut inside the header block: a response began, then the peer left.
    faults = [Fault("truncate", method=method, keep=40)]
    if method == "HEAD":
        # A HEAD follows a failed PATCH: make one.
        faults.append(Fault("status", method="PATCH", nth=2, status=503))
    proxy = fault_proxy(tus_server.endpoint, faults)
    path, r, ev = upload(proxy, tus_server, tmp_path)
    assert proxy.fired("truncate") == 1
    assert "connection_reset" in retries(ev)
    verify(tus_server, r, path)


@pytest.mark.parametrize("method,status,code", [
    ("PATCH", 503, "server_unavailable"),
    ("PATCH", 500, "server_error"),
    ("POST", 502, "server_unavailable"),
    ("OPTIONS", 504, "server_unavailable"),
    ("HEAD", 500, "server_error"),
])
def test_burst_of_5xx(method, status, code, tus_server, fault_proxy, verify,
                      tmp_path):
    faults = [Fault("status", method=method, times=3, status=status,
                    body=b"upstream trouble")]
    if method == "HEAD":
        faults.insert(0, Fault("status", method="PATCH", nth=2, status=503))
    proxy = fault_proxy(tus_server.endpoint, faults)
    path, r, ev = upload(proxy, tus_server, tmp_path)
    assert proxy.fired("status") == 3 + (method == "HEAD")
    assert retries(ev).count(code) == 3
    verify(tus_server, r, path)


def test_rate_limited_with_retry_after(tus_server, fault_proxy, verify,
                                       tmp_path):
    proxy = fault_proxy(tus_server.endpoint, [
        Fault("status", method="PATCH", nth=2, status=429,
              headers={"Retry-After": "1"})])
    path, r, ev = upload(proxy, tus_server, tmp_path)
    retry = [e for e in ev if e.type == "retry"]
    assert [e.code for e in retry] == ["rate_limited"]
    assert retry[0].delay_ms >= 1000  # Retry-After was honoured
    verify(tus_server, r, path)


def test_a_series_of_different_faults_in_one_upload(
        tus_server, fault_proxy, verify, tmp_path):
    proxy = fault_proxy(tus_server.endpoint, [
        Fault("reset", method="PATCH", nth=1, after=70_000),
        Fault("status", method="HEAD", nth=1, status=503),
        Fault("truncate", method="PATCH", nth=3, keep=40),
        Fault("stall", method="PATCH", nth=5, after=1),
        Fault("close", method="PATCH", nth=7, after=200_000),
    ])
    path, r, ev = upload(proxy, tus_server, tmp_path, size=8 * CHUNK + 5,
                         stall_timeout=2)
    assert proxy.fired() == 5
    # The reset and the close may be re-sent by libcurl on a fresh
    # connection without ferry seeing them (see above); the others are
    # ferry's retries.
    assert {"server_unavailable", "connection_reset", "timeout"} <= \
        set(retries(ev))
    assert 3 <= len(retries(ev)) <= 5
    verify(tus_server, r, path)


def test_compressed_upload_survives_resets(tus_server, fault_proxy, verify,
                                           tmp_path):
    # Text-like data compresses: frames, not file bytes, cross the wire.
    path = tmp_path / "text.txt"
    path.write_bytes(b"".join(b"line %08d of a log that compresses\n" % i
                              for i in range(120_000)))
    proxy = fault_proxy(tus_server.endpoint, [
        Fault("reset", method="PATCH", nth=n, after=20_000) for n in (1, 2)])
    with ferry.Client(endpoint_via(proxy, tus_server),
                      state_dir=str(tmp_path / "st"), chunk_size=CHUNK,
                      compress=3, retry_base=0.02) as client:
        ev = []
        r = client.upload(str(path), on_event=ev.append)
    assert r.encoding == "zstd"
    assert proxy.fired("reset") == 2
    assert set(retries(ev)) <= {"connection_reset"}
    assert proxy.connections >= 3
    verify(tus_server, r, str(path))


def test_gives_up_with_a_typed_error_when_faults_never_stop(
        tus_server, fault_proxy, tmp_path):
    proxy = fault_proxy(tus_server.endpoint, [
        Fault("reset", method="PATCH", times=0, after=1000)])
    with pytest.raises(ferry.ConnectionReset) as info:
        upload(proxy, tus_server, tmp_path, max_retries=3)
    assert info.value.retryable is True
    # The first try and three retries, each possibly re-sent once by libcurl
    # on a fresh connection.
    assert 4 <= proxy.fired("reset") <= 8
    # Nothing wrong was stored: what the server holds is a prefix (or none).
    assert len(proxy.requests("POST")) == 1
