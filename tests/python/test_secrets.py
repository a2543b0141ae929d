# SPDX-License-Identifier: Apache-2.0
"""Secrets never leave in logs, events or error messages: Authorization
headers, tokens in query strings (signed URLs from the app and from the
server) and user info in URLs are grepped for in everything ferry-upload,
ferry-doctor and the Python binding print or raise, on success and on
failure."""

import json
import os
import pathlib
import subprocess
import urllib.parse

import pytest

import ferry
from conftest import sha256_file, BUILD_DIR, record_scenario, write_random
from fault_proxy import Fault

TOKEN = "tok-4c1d-SECRET-9e2b"
SIGNATURE = "sig-77aa-SECRET-0f13"
SERVER_SIG = "srvsig-5d5d-SECRET-e0e0"
PASSWORD = "pw-SECRET-3141"
SECRETS = [TOKEN, SIGNATURE, SERVER_SIG, PASSWORD]


def assert_clean(*texts):
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"{secret} leaked in: {text[:2000]}"


def assert_state_clean(state_dir):
    """No client secret at rest: the endpoint is stored redacted, headers
    never. (The upload URL the server gave stays: it is the resume
    capability, in a 0600 file.)"""
    files = list(pathlib.Path(state_dir).glob("*")) if os.path.isdir(
        state_dir) else []
    for f in files:
        text = f.read_bytes().decode("utf-8", "replace")
        for secret in (TOKEN, SIGNATURE, PASSWORD):
            assert secret not in text, f"{secret} at rest in {f.name}"
        assert SIGNATURE not in f.name and TOKEN not in f.name
    return files


def signed(url):
    """The endpoint with a signature in its query, as apps get them."""
    return url + f"?X-Amz-Signature={SIGNATURE}&token={TOKEN}"


def with_userinfo(url):
    u = urllib.parse.urlsplit(url)
    return u._replace(netloc=f"user:{PASSWORD}@{u.netloc}").geturl()


def run_cli(cli, endpoint, tmp_path, *extra, size=200_000):
    f = write_random(tmp_path / "s.bin", size, 11)
    out = []
    for fmt in ([], ["--json"]):
        p = subprocess.run(
            [cli, "--endpoint", endpoint, "--state-dir", str(tmp_path / "st"),
             "--header", f"Authorization: Bearer {TOKEN}", "--max-retries",
             "1", "--retry-base-ms", "10", "--chunk-size", "64K", *fmt,
             *extra, f],
            capture_output=True, text=True, timeout=60)
        out.append(p)
    return out


def server_signs_upload_urls():
    """Rewrites the server's Location into a signed URL."""
    return Fault("rewrite", method="POST", times=0, set_headers={
        "Location": lambda old: old + f"?sig={SERVER_SIG}"})


@pytest.mark.parametrize("scenario", [
    "success", "unauthorized", "refused", "other_origin", "too_large",
    "server_error", "hostile_offset",
])
def test_cli_output_never_carries_a_secret(scenario, cli, tus_server,
                                           tus_server_factory, fault_proxy,
                                           tmp_path):
    path = urllib.parse.urlsplit(tus_server.endpoint).path
    faults = [server_signs_upload_urls()]
    upstream = tus_server.endpoint
    if scenario == "unauthorized":
        faults.append(Fault("status", method="PATCH", times=0, status=401,
                            headers={"WWW-Authenticate": "Bearer"},
                            body=f"bad token {TOKEN}".encode()))
    elif scenario == "other_origin":
        faults = [Fault("rewrite", method="POST", times=0, set_headers={
            "Location": f"http://127.0.0.2:9/files/x?sig={SERVER_SIG}"})]
    elif scenario == "too_large":
        upstream = tus_server_factory("--max-size", "1000").endpoint
    elif scenario == "server_error":
        faults.append(Fault("status", method="PATCH", times=0, status=500))
    elif scenario == "hostile_offset":
        faults.append(Fault("rewrite", method="PATCH", times=0, set_headers={
            "Upload-Offset": "999999999999"}))
    # Both runs (human, then --json) meet the same faults.
    proxy = fault_proxy(upstream, faults, strip_query=True)
    endpoint = signed(proxy.url(path))
    if scenario == "refused":
        proxy.stop()
    human, machine = run_cli(cli, endpoint, tmp_path)
    # Exit status: 0 ok, 3 when the failure is retryable (try later), else 1.
    expect = {"success": 0, "refused": 3, "server_error": 3}.get(scenario, 1)
    assert human.returncode == expect, human.stderr
    assert machine.returncode == expect, machine.stderr
    assert_clean(human.stdout, human.stderr, machine.stdout, machine.stderr)
    assert_state_clean(str(tmp_path / "st"))
    lines = [json.loads(x) for x in machine.stdout.splitlines() if x.strip()]
    assert lines  # there was output to check
    if scenario != "refused":
        # The secret did reach the server, where it belongs.
        seen = [dict((k.lower(), v) for k, v in r["headers"])
                for r in proxy.requests()]
        assert any(h.get("authorization") == f"Bearer {TOKEN}" for h in seen)
    record_scenario("test_secrets", "CLI: " + scenario)


def test_no_secret_at_rest_after_a_killed_run_and_a_rotated_signature(
        cli, tus_server, tmp_path):
    """The state directory after a SIGKILL mid-upload holds no client
    secret, and a new signature (and password) on the same endpoint resumes
    the same entry instead of orphaning it."""
    f = write_random(tmp_path / "k.bin", 4 << 20, 13)
    state = str(tmp_path / "st")
    endpoint = with_userinfo(signed(tus_server.endpoint))
    proc = subprocess.Popen(
        [cli, "--endpoint", endpoint, "--state-dir", state, "--json",
         "--chunk-size", "64K", "--max-send-rate", "1M", "-H",
         f"Authorization: Bearer {TOKEN}", f],
        stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        e = json.loads(line)
        if e["event"] == "progress" and e["acked"] > 0:
            proc.kill()
            break
    proc.wait(timeout=30)
    entries = [p for p in assert_state_clean(state) if p.suffix == ".fj"]
    assert len(entries) == 1
    rotated = tus_server.endpoint.replace("://", "://user:other-pw@") + \
        "?X-Amz-Signature=rotated&token=rotated"
    p = subprocess.run([cli, "--endpoint", rotated, "--state-dir", state,
                        "--json", "--chunk-size", "64K", f],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    done = json.loads(p.stdout.splitlines()[-1])
    assert done["resumed_from"] > 0  # the same entry, found again
    assert tus_server.stored_sha256(done["url"]) == sha256_file(f)


def test_userinfo_in_the_endpoint_is_redacted(cli, tus_server, tmp_path):
    # The sample server does not check it; the point is what is printed.
    endpoint = with_userinfo(tus_server.endpoint)
    for p in run_cli(cli, endpoint, tmp_path):
        assert_clean(p.stdout, p.stderr)
    record_scenario("test_secrets", "user info in the endpoint")


def test_python_errors_and_events_never_carry_a_secret(tus_server,
                                                       fault_proxy, tmp_path):
    path = urllib.parse.urlsplit(tus_server.endpoint).path
    proxy = fault_proxy(tus_server.endpoint, [
        server_signs_upload_urls(),
        Fault("status", method="PATCH", nth=2, status=503,
              headers={"Retry-After": "0"}),
        Fault("status", method="PATCH", nth=3, times=0, status=403,
              body=f"token {TOKEN} is not allowed".encode())],
        strip_query=True)
    f = write_random(tmp_path / "p.bin", 200_000, 12)
    events = []
    with ferry.Client(signed(proxy.url(path)),
                      headers={"Authorization": f"Bearer {TOKEN}"},
                      state_dir=str(tmp_path / "st"), chunk_size=65536,
                      retry_base=0.01, max_retries=1) as c:
        with pytest.raises(ferry.FerryError) as info:
            c.upload(f, on_event=events.append)
    e = info.value
    assert events and any(ev.type == "retry" for ev in events)
    assert_clean(str(e), repr(e), json.dumps(vars(e), default=str),
                 *[repr(ev) for ev in events])
    record_scenario("test_secrets", "Python errors and events")


def test_doctor_output_never_carries_a_secret(tus_server, tmp_path):
    doctor = BUILD_DIR / "samples" / "ferry-doctor"
    for fmt in ([], ["--json"]):
        p = subprocess.run(
            [str(doctor), signed(with_userinfo(tus_server.endpoint)),
             "--header", f"Authorization: Bearer {TOKEN}", *fmt],
            capture_output=True, text=True, timeout=60)
        assert p.stdout
        assert_clean(p.stdout, p.stderr)
    record_scenario("test_secrets", "ferry-doctor")
