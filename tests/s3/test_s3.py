# SPDX-License-Identifier: Apache-2.0
"""ferry's S3 multipart path against a real Ceph RGW: every upload ends with
the stored object read back (signed by curl, not by ferry) and compared with
the source's SHA-256."""

import datetime
import hashlib
import json
import urllib.parse
import os
import pathlib
import random
import re
import signal
import subprocess
import time

import pytest

from conftest import CLI, QUOTA_ACCESS, QUOTA_SECRET

import ferry

MiB = 1 << 20
BUCKET = "ferry-tests"


def write_random(path, size, seed):
    rng = random.Random(seed)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, MiB)
            f.write(rng.randbytes(n))
            left -= n
    return str(path)


def write_text(path, size, seed):
    """Compressible, but not trivially: words drawn at random."""
    rng = random.Random(seed)
    words = [bytes(rng.choice(b"abcdefghijklmnop") for _ in range(rng.randint(2, 9)))
             for _ in range(5000)]
    out = bytearray()
    while len(out) < size:
        out += b" ".join(rng.choice(words) for _ in range(2000)) + b"\n"
    with open(path, "wb") as f:
        f.write(out[:size])
    return str(path)


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def run_cli(rgw, tmp, *args, bucket=BUCKET, access=None, secret=None,
            popen=False):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=access or rgw.access,
               AWS_SECRET_ACCESS_KEY=secret or rgw.secret,
               AWS_REGION=rgw.region)
    cmd = [str(CLI), "--protocol", "s3", "--endpoint", rgw.endpoint,
           "--bucket", bucket, "--state-dir", str(tmp / "state"), "--json",
           *args]
    if popen:
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True,
                                env=env)
    p = subprocess.run(cmd, capture_output=True, text=True, env=env,
                       timeout=600)
    lines = [json.loads(line) for line in p.stdout.splitlines()
             if line.startswith("{")]
    return p, lines


def done_of(lines):
    done = [line for line in lines if line["event"] == "done"]
    assert done, lines[-3:]
    return done[-1]


def error_of(lines):
    errors = [line for line in lines if line["event"] == "error"]
    assert errors, lines[-3:]
    return errors[-1]["error"]


@pytest.mark.parametrize("size", [0, 1, 5 * MiB - 1, 5 * MiB, 5 * MiB + 1,
                                  3 * 5 * MiB + 7])
def test_sizes_stored_exactly(rgw, tmp_path, size):
    src = write_random(tmp_path / "f.bin", size, size)
    key = f"sizes/{size}.bin"
    p, lines = run_cli(rgw, tmp_path, "--part-size", "5M", "--compress", "off",
                       "--key", key, src)
    assert p.returncode == 0, p.stdout + p.stderr
    done = done_of(lines)
    assert done["sha256"] == sha256_file(src)
    assert done["bytes"] == size and done["encoding"] == "identity"
    assert done["url"] == f"{rgw.endpoint}/{BUCKET}/{key}"
    assert rgw.stored_sha256(BUCKET, key) == sha256_file(src)
    # Nothing is left to resume.
    assert not list((tmp_path / "state").glob("*.fj"))


def test_parallel_parts_from_python(rgw, tmp_path):
    src = write_random(tmp_path / "p.bin", 41 * MiB + 3, 7)
    client = ferry.Client(rgw.endpoint, protocol="s3", bucket=BUCKET,
                          access_key_id=rgw.access,
                          secret_access_key=rgw.secret, region=rgw.region,
                          state_dir=str(tmp_path / "state"), compress="off",
                          part_size=5 * MiB, parallel_parts=4)
    seen = []
    result = client.upload(src, key="parallel.bin",
                           on_progress=lambda p: seen.append(p.bytes_done))
    assert result.sha256 == sha256_file(src)
    assert result.wire_bytes == 41 * MiB + 3
    assert seen == sorted(seen) and seen[-1] == 41 * MiB + 3
    assert rgw.stored_sha256(BUCKET, "parallel.bin") == sha256_file(src)


def through_proxy(rgw, tmp_path, proxy, *args):
    """The CLI signing for the proxy's origin (which passes requests on to
    RGW as they are), so what was sent can be looked at."""
    env = dict(os.environ, AWS_ACCESS_KEY_ID=rgw.access,
               AWS_SECRET_ACCESS_KEY=rgw.secret, AWS_REGION=rgw.region)
    return subprocess.run(
        [str(CLI), "--protocol", "s3", "--endpoint", proxy.origin, "--bucket",
         BUCKET, "--state-dir", str(tmp_path / "state"), "--json", *args],
        capture_output=True, text=True, env=env, timeout=600)


def header_of(entry, name):
    return dict((k.lower(), v) for k, v in entry["headers"]).get(name)


def test_unsigned_payload(rgw, tmp_path):
    from fault_proxy import FaultProxy
    src = write_random(tmp_path / "u.bin", 6 * MiB, 8)
    for unsigned in (True, False):
        proxy = FaultProxy(rgw.endpoint)
        try:
            key = f"unsigned-{unsigned}.bin"
            p = through_proxy(rgw, tmp_path, proxy, "--compress", "off",
                              "--part-size", "5M", "--multipart-threshold",
                              "0", "--key", key, src,
                              *(["--unsigned-payload"] if unsigned else []))
            assert p.returncode == 0, p.stdout + p.stderr
            parts = proxy.requests("PUT")
        finally:
            proxy.stop()
        assert len(parts) == 2
        for part in parts:
            # What the option is about, as sent: the payload hash is not
            # signed, and Content-MD5 checks each part instead; a signed
            # part's SHA-256 is its whole check.
            sha = header_of(part, "x-amz-content-sha256")
            assert (sha == "UNSIGNED-PAYLOAD") == unsigned, sha
            assert bool(header_of(part, "content-md5")) == unsigned
        assert rgw.stored_sha256(BUCKET, key) == sha256_file(src)


def test_compressed_object_decodes_with_zstd(rgw, tmp_path):
    src = write_text(tmp_path / "t.txt", 24 * MiB + 5, 3)
    p, lines = run_cli(rgw, tmp_path, "--compress", "3", "--part-size", "5M",
                       "--key", "text.zst", src)
    assert p.returncode == 0, p.stdout + p.stderr
    done = done_of(lines)
    assert done["encoding"] == "zstd"
    assert done["wire_bytes"] < (24 * MiB) // 2
    assert rgw.stored_sha256(BUCKET, "text.zst", zstd=True) == sha256_file(src)
    head = rgw.head(BUCKET, "text.zst")
    assert head.get("x-amz-meta-encoding") == "zstd"
    assert head.get("x-amz-meta-original-length") == str(24 * MiB + 5)


def test_auto_sends_incompressible_as_identity(rgw, tmp_path):
    src = write_random(tmp_path / "r.bin", 6 * MiB, 9)
    p, lines = run_cli(rgw, tmp_path, "--key", "auto.bin", src)
    assert p.returncode == 0, p.stdout + p.stderr
    assert any(line["event"] == "compression_off" for line in lines)
    assert done_of(lines)["encoding"] == "identity"
    assert rgw.stored_sha256(BUCKET, "auto.bin") == sha256_file(src)


def test_wrong_secret_is_a_typed_signature_error(rgw, tmp_path):
    src = write_random(tmp_path / "w.bin", 1000, 10)
    secret = "not-the-secret-" + "x" * 25
    p, lines = run_cli(rgw, tmp_path, "--key", "wrong.bin", src,
                       secret=secret)
    assert p.returncode != 0
    err = error_of(lines)
    assert err["code"] == "unauthenticated"
    assert err["server_code"] == "SignatureDoesNotMatch"
    assert err["action"] == "sign_in" and err["retryable"] is False
    assert secret not in p.stdout + p.stderr


def test_skewed_clock_is_corrected(rgw, tmp_path):
    # The signer believes the device is an hour behind: RGW answers
    # RequestTimeTooSkewed, ferry takes the offset from its Date and signs
    # again.
    from fault_proxy import FaultProxy
    src = write_random(tmp_path / "s.bin", 6 * MiB, 11)
    proxy = FaultProxy(rgw.endpoint)
    try:
        p = through_proxy(rgw, tmp_path, proxy, "--clock-offset", "-1h",
                          "--compress", "off", "--multipart-threshold", "0",
                          "--key", "skew.bin", src)
        assert p.returncode == 0, p.stdout + p.stderr
        creates = proxy.requests("POST")[:2]
    finally:
        proxy.stop()
    # The first CreateMultipartUpload was signed an hour behind and refused;
    # the same request went again, signed with the server's clock.
    dates = [header_of(c, "x-amz-date") for c in creates]
    first, second = (datetime.datetime.strptime(d, "%Y%m%dT%H%M%SZ")
                     for d in dates)
    assert 3500 <= (second - first).total_seconds() <= 3700, dates
    assert rgw.stored_sha256(BUCKET, "skew.bin") == sha256_file(src)


def test_a_server_clock_days_away_is_not_followed(rgw, tmp_path):
    # Past a day, ferry does not move its clock to the server's: typed
    # clock_skew, no second signature.
    from fault_proxy import FaultProxy
    src = write_random(tmp_path / "d.bin", 1 * MiB, 12)
    proxy = FaultProxy(rgw.endpoint)
    try:
        p = through_proxy(rgw, tmp_path, proxy, "--clock-offset", "-48h",
                          "--compress", "off", "--multipart-threshold", "0",
                          "--key", "days.bin", src)
        creates = proxy.requests("POST")
    finally:
        proxy.stop()
    assert p.returncode == 1, p.stdout + p.stderr
    err = [json.loads(x) for x in p.stdout.splitlines()][-1]["error"]
    assert err["code"] == "clock_skew", err
    assert len(creates) == 1


def test_user_quota_is_quota_exceeded(rgw, tmp_path):
    src = write_random(tmp_path / "q.bin", 9 * MiB, 12)
    p, lines = run_cli(rgw, tmp_path, "--compress", "off", src,
                       bucket="ferry-quota", access=QUOTA_ACCESS,
                       secret=QUOTA_SECRET)
    assert p.returncode != 0
    err = error_of(lines)
    assert err["code"] == "quota_exceeded"
    assert err["action"] == "free_quota"


def kill_when_acked(proc, at_least):
    """Reads the CLI's JSON progress and SIGKILLs it once the server has
    acknowledged `at_least` bytes; returns the last acknowledged count."""
    acked = 0
    for line in proc.stdout:
        if not line.startswith("{"):
            continue
        event = json.loads(line)
        if event["event"] == "progress":
            acked = event["acked"]
            if acked >= at_least:
                proc.send_signal(signal.SIGKILL)
                break
        assert event["event"] != "done", "finished before the kill"
    proc.wait(timeout=60)
    return acked


@pytest.mark.parametrize("compress", ["off", "3"])
def test_sigkill_then_resume_via_list_parts(rgw, tmp_path, compress):
    size = 40 * MiB + 11
    src = (write_random if compress == "off" else write_text)(
        tmp_path / "k.bin", size, 13)
    args = ["--part-size", "5M", "--parallel-parts", "2", "--compress",
            compress, "--key", f"killed-{compress}.bin"]
    proc = run_cli(rgw, tmp_path, "--max-send-rate", "4M", *args, src,
                   popen=True)
    acked = kill_when_acked(proc, 10 * MiB if compress == "off" else 5 * MiB)
    assert acked > 0
    p, lines = run_cli(rgw, tmp_path, *args, src)
    assert p.returncode == 0, p.stdout + p.stderr
    resumed = [line for line in lines if line["event"] == "resumed"]
    assert resumed and resumed[0]["offset"] > 0
    done = done_of(lines)
    assert done["resumed_from"] == resumed[0]["offset"]
    assert done["sha256"] == sha256_file(src)
    # Only what the server did not hold went again.
    if compress == "off":
        assert done["wire_bytes"] == size - done["resumed_from"]
    assert rgw.stored_sha256(BUCKET, f"killed-{compress}.bin",
                             zstd=compress != "off") == sha256_file(src)


def test_file_changed_in_place_after_kill(rgw, tmp_path):
    src = write_random(tmp_path / "c.bin", 30 * MiB, 14)
    args = ["--part-size", "5M", "--parallel-parts", "1", "--compress", "off",
            "--key", "changed.bin"]
    proc = run_cli(rgw, tmp_path, "--max-send-rate", "4M", *args, src,
                   popen=True)
    assert kill_when_acked(proc, 5 * MiB) > 0
    # Same size, same mtime: only the bytes tell.
    st = os.stat(src)
    with open(src, "r+b") as f:
        f.seek(100)
        f.write(b"changed")
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))
    p, lines = run_cli(rgw, tmp_path, *args, src)
    assert p.returncode != 0
    assert error_of(lines)["code"] == "file_changed"
    # With --on-change restart it starts over and stores the new bytes.
    p, lines = run_cli(rgw, tmp_path, "--on-change", "restart", *args, src)
    assert p.returncode == 0, p.stdout + p.stderr
    assert any(line["event"] == "restarted" for line in lines)
    assert rgw.stored_sha256(BUCKET, "changed.bin") == sha256_file(src)


def test_cancel_with_discard_aborts(rgw, tmp_path):
    src = write_random(tmp_path / "d.bin", 20 * MiB, 15)
    client = ferry.Client(rgw.endpoint, protocol="s3", bucket=BUCKET,
                          access_key_id=rgw.access,
                          secret_access_key=rgw.secret,
                          state_dir=str(tmp_path / "state"), compress="off",
                          part_size=5 * MiB, parallel_parts=1,
                          max_send_bytes_per_sec=4 * MiB)
    with pytest.raises(ferry.Cancelled):
        client.upload(src, key="discarded.bin", discard_on_cancel=True,
                      on_progress=lambda p: p.bytes_acked > 0)
    assert not list((tmp_path / "state").glob("*.fj"))
    # The multipart upload itself is gone from RGW, not only forgotten here.
    listing = rgw.curl(f"{rgw.endpoint}/{BUCKET}?uploads").decode()
    assert "<Key>discarded.bin</Key>" not in listing, listing
    events = []
    fast = ferry.Client(rgw.endpoint, protocol="s3", bucket=BUCKET,
                        access_key_id=rgw.access,
                        secret_access_key=rgw.secret,
                        state_dir=str(tmp_path / "state"), compress="off",
                        part_size=5 * MiB)
    result = fast.upload(src, key="discarded.bin",
                         on_event=lambda e: events.append(e.type))
    assert "resumed" not in events and result.resumed_from == 0
    assert rgw.stored_sha256(BUCKET, "discarded.bin") == sha256_file(src)


def test_missing_credentials_refused_before_sending(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    p = subprocess.run([str(CLI), "--protocol", "s3", "--endpoint",
                        "http://127.0.0.1:9", "--bucket", "b", "--json",
                        str(tmp_path)], capture_output=True, text=True,
                       env=env, timeout=60)
    assert p.returncode != 0
    assert "invalid_argument" in p.stdout + p.stderr
    assert "AWS_ACCESS_KEY_ID" in p.stdout + p.stderr


# ---- presigned mode: the app's backend signs, ferry holds no secret ----

BOTO3_OPS = {"upload_part": "upload_part", "list_parts": "list_parts",
             "complete": "complete_multipart_upload",
             "abort": "abort_multipart_upload"}


class Backend:
    """What an app's server does in presigned mode: boto3 presigns each
    request ferry asks for with the secret only it holds. `via`: the origin
    the URLs point to (default the RGW itself)."""

    def __init__(self, rgw, expires=3600, delay=0.0, via=None, secret=None):
        import boto3
        from botocore.config import Config
        self.s3 = boto3.client(
            "s3", endpoint_url=via or rgw.endpoint,
            aws_access_key_id=rgw.access,
            aws_secret_access_key=secret or rgw.secret,
            region_name=rgw.region,
            config=Config(signature_version="s3v4"))
        self.expires, self.delay = expires, delay
        self.calls = []
        self.urls = []

    def __call__(self, req):
        self.calls.append(req)
        params = {"Bucket": req.bucket, "Key": req.key}
        if req.op == "create":
            params["Metadata"] = {
                k[len("x-amz-meta-"):]: v for k, v in req.headers.items()
                if k.lower().startswith("x-amz-meta-")}
            url = self.s3.generate_presigned_url(
                "create_multipart_upload", Params=params,
                ExpiresIn=self.expires)
            self.urls.append(url)
            return url
        params["UploadId"] = req.upload_id
        if req.op == "upload_part":
            params["PartNumber"] = req.part_number
        if req.op == "list_parts" and req.part_number:
            params["PartNumberMarker"] = req.part_number
        url = self.s3.generate_presigned_url(
            BOTO3_OPS[req.op], Params=params, ExpiresIn=self.expires)
        time.sleep(self.delay)
        self.urls.append(url)
        return url

    def ops(self):
        return [(c.op, c.part_number) for c in self.calls]


@pytest.fixture
def no_aws_env(monkeypatch):
    for k in list(os.environ):
        if k.startswith("AWS_"):
            monkeypatch.delenv(k)


def presigned_client(rgw, tmp_path, backend, **kw):
    opts = dict(protocol="s3", bucket=BUCKET, presign=backend,
                state_dir=str(tmp_path / "state"), compress="off",
                part_size=5 * MiB)
    opts.update(kw)
    return ferry.Client(rgw.endpoint, **opts)


def test_presigned_upload_holds_no_secret(rgw, tmp_path, no_aws_env):
    src = write_random(tmp_path / "ps.bin", 13 * MiB + 3, 31)
    backend = Backend(rgw)
    client = presigned_client(rgw, tmp_path, backend, parallel_parts=3)
    result = client.upload(src, key="presigned.bin",
                           metadata={"owner": "ann"})
    assert result.sha256 == sha256_file(src)
    ops = backend.ops()
    assert ops[0] == ("create", 0) and ops[-1] == ("complete", 0)
    assert sorted(ops[1:-1]) == [("upload_part", n) for n in (1, 2, 3)]
    create = backend.calls[0]
    assert create.method == "POST" and create.upload_id == ""
    assert create.headers["x-amz-meta-filename"] == "ps.bin"
    assert create.headers["x-amz-meta-owner"] == "ann"
    # Every part carries its MD5 (the server checks it: BadDigest otherwise).
    for c in backend.calls[1:-1]:
        assert c.method == "PUT" and len(c.headers["Content-MD5"]) == 24
    assert rgw.stored_sha256(BUCKET, "presigned.bin") == sha256_file(src)
    assert rgw.head(BUCKET, "presigned.bin")["x-amz-meta-owner"] == "ann"


def test_presigned_resume_lists_parts(rgw, tmp_path, no_aws_env):
    src = write_random(tmp_path / "pr.bin", 21 * MiB, 32)
    first = Backend(rgw)
    slow = presigned_client(rgw, tmp_path, first, parallel_parts=1,
                            max_send_bytes_per_sec=4 * MiB)
    with pytest.raises(ferry.Cancelled):
        slow.upload(src, key="presigned-resume.bin",
                    on_progress=lambda p: p.bytes_acked > 0)
    sent_first = {n for op, n in first.ops() if op == "upload_part"}
    second = Backend(rgw)
    result = presigned_client(rgw, tmp_path, second).upload(
        src, key="presigned-resume.bin")
    assert ("list_parts", 0) in second.ops()
    assert not any(op == "create" for op, _ in second.ops())
    assert result.resumed_from >= 5 * MiB
    sent_second = {n for op, n in second.ops() if op == "upload_part"}
    assert 1 in sent_first and 1 not in sent_second
    assert sent_second == set(range(result.resumed_from // (5 * MiB) + 1, 6))
    assert rgw.stored_sha256(BUCKET, "presigned-resume.bin") == \
        sha256_file(src)


def test_presigned_refusals_are_typed(rgw, tmp_path, no_aws_env):
    src = write_random(tmp_path / "pf.bin", 6 * MiB, 33)
    # The app's callback declines: cancelled, nothing sent.
    with pytest.raises(ferry.Cancelled):
        presigned_client(rgw, tmp_path, lambda req: None).upload(
            src, key="declined.bin")

    # An exception in the callback reaches the caller as itself.
    def broken(req):
        raise KeyError("backend down")
    with pytest.raises(KeyError):
        presigned_client(rgw, tmp_path, broken).upload(src, key="broken.bin")
    # An expired URL: the server's 403, typed, with the presigned hint, and
    # no signature in the message.
    expired = Backend(rgw, expires=1, delay=2.5)
    with pytest.raises(ferry.PermissionDenied) as info:
        presigned_client(rgw, tmp_path / "x", expired).upload(
            src, key="expired.bin")
    assert info.value.http_status == 403
    assert "presigned mode" in str(info.value)
    assert "X-Amz-Signature" not in str(info.value) + info.value.url
    # A server that echoes the signed request in its refusal, as AWS's
    # SignatureDoesNotMatch does (CanonicalRequest): the URL's secrets are
    # scrubbed from everything the error says.
    from fault_proxy import Fault, FaultProxy
    echoed = {"sig": "5ec7e75ec7e75ec7e75ec7e7", "cred": "AKIAECHOEDCRED",
              "token": "echoed-session-token-7f7f"}
    body = ("<Error><Code>SignatureDoesNotMatch</Code><Message>signature "
            f"for X-Amz-Signature={echoed['sig']}&amp;X-Amz-Credential="
            f"{echoed['cred']}%2F20261201%2Fus-east-1 does not match"
            "</Message><CanonicalRequest>POST /b/k uploads=&amp;"
            f"X-Amz-Security-Token={echoed['token']}</CanonicalRequest>"
            "</Error>").encode()
    proxy = FaultProxy(rgw.endpoint, [Fault(
        "status", method="POST", times=0, status=403, body=body,
        headers={"Content-Type": "application/xml"})])
    try:
        with pytest.raises(ferry.Error) as info:
            presigned_client(rgw, tmp_path / "y", Backend(
                rgw, via=proxy.origin)).upload(src, key="echo.bin")
    finally:
        proxy.stop()
    said = json.dumps(vars(info.value), default=str) + str(info.value)
    assert info.value.http_status == 403
    assert not [v for v in echoed.values() if v in said], said
    # Without a presigner or keys, S3 refuses before sending.
    with pytest.raises(ferry.InvalidArgument):
        ferry.Client(rgw.endpoint, protocol="s3", bucket=BUCKET)


def test_presigned_cli_with_a_backend_command(rgw, tmp_path):
    src = write_text(tmp_path / "quote'd.txt", 12 * MiB + 9, 34)
    log = tmp_path / "backend.log"
    # The backend is a plain Python: no sanitizer runtime preloaded into it
    # (the CLI links its own).
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k != "LD_PRELOAD"}
    env.update(FERRY_BACKEND_ENDPOINT=rgw.endpoint,
               FERRY_BACKEND_ACCESS_KEY=rgw.access,
               FERRY_BACKEND_SECRET_KEY=rgw.secret,
               FERRY_BACKEND_LOG=str(log))  # FERRY_*: passed to commands
    backend = pathlib.Path(__file__).with_name("presign_backend.py")
    p = subprocess.run(
        [str(CLI), "--protocol", "s3", "--endpoint", rgw.endpoint, "--bucket",
         BUCKET, "--state-dir", str(tmp_path / "state"), "--json",
         "--compress", "3", "--part-size", "5M", "--presign-command",
         f"/usr/bin/python3 {backend}", src], capture_output=True,
        text=True, env=env, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    calls = log.read_text().split("\n")
    assert calls[0] == "create 0" and calls[-2] == "complete 0"
    assert "X-Amz-Signature" not in p.stdout + p.stderr
    # The key (the file's name, quote included) survived the shell.
    assert rgw.stored_sha256(BUCKET, "quote%27d.txt", zstd=True) == \
        sha256_file(src)


@pytest.mark.parametrize("same_origin", [False, True])
def test_presigned_app_headers_stay_on_the_endpoint_origin(
        rgw, tmp_path, no_aws_env, same_origin):
    from fault_proxy import FaultProxy
    proxy = FaultProxy(rgw.endpoint)
    try:
        src = write_random(tmp_path / "po.bin", 6 * MiB, 35)
        backend = Backend(rgw, via=proxy.origin)
        # The URLs lead to the proxy's origin; the endpoint is either that
        # same origin or the RGW's own (another one).
        endpoint = proxy.origin if same_origin else rgw.endpoint
        client = ferry.Client(
            endpoint, protocol="s3", bucket=BUCKET, presign=backend,
            state_dir=str(tmp_path / "state"), compress="off",
            part_size=5 * MiB, headers={"X-App-Token": "app-token-123456"})
        client.upload(src, key=f"origin-{same_origin}.bin")
        seen = [dict((k.lower(), v) for k, v in e["headers"])
                for e in proxy.log]
        assert len(seen) == 4  # create, two parts, complete
        sent = [h.get("x-app-token") for h in seen]
        assert sent == (["app-token-123456"] * 4 if same_origin
                        else [None] * 4)
        assert not any("authorization" in h for h in seen)
        assert rgw.stored_sha256(BUCKET, f"origin-{same_origin}.bin") == \
            sha256_file(src)
    finally:
        proxy.stop()



NO_SUCH_UPLOAD = (b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>"
                  b"NoSuchUpload</Code><Message>The specified upload does not"
                  b" exist.</Message></Error>")


def lose_completion(rgw, tmp_path, key, src, retry_answer=None):
    """Uploads src as 3 parts through a proxy that loses the answer to the
    completion (the 2nd POST; RGW did complete it). retry_answer, when
    given, rewrites the answer to the retried completion (the 3rd POST).
    Returns the CLI's run, its JSON lines and the HEADs it sent."""
    from fault_proxy import Fault, FaultProxy
    faults = [Fault("truncate", method="POST", nth=2, keep=0)]
    if retry_answer:
        faults.append(Fault("rewrite", method="POST", nth=3, **retry_answer))
    proxy = FaultProxy(rgw.endpoint, faults)
    try:
        p = through_proxy(rgw, tmp_path, proxy, "--compress", "off",
                          "--part-size", "5M", "--key", key, src)
        posts = [e["path"] for e in proxy.requests("POST")]
        heads = proxy.requests("HEAD")
    finally:
        proxy.stop()
    assert proxy.fired() == len(faults)
    assert len(posts) == 3 and "uploadId=" in posts[2], posts
    lines = [json.loads(x) for x in p.stdout.splitlines() if x.startswith("{")]
    return p, lines, heads


def test_a_lost_completion_retried_on_rgw(rgw, tmp_path):
    # RGW answers a completion sent again with 200: the retry is enough.
    src = write_random(tmp_path / "lost.bin", 11 * MiB, 31)
    p, lines, heads = lose_completion(rgw, tmp_path, "lost.bin", src)
    assert p.returncode == 0, p.stdout + p.stderr
    assert heads == []
    assert rgw.stored_sha256(BUCKET, "lost.bin") == sha256_file(src)


def test_a_lost_completion_then_no_such_upload_is_confirmed_by_etag(
        rgw, tmp_path):
    """AWS S3 answers a completion sent again with NoSuchUpload (the upload
    became the object), which the proxy plays on RGW's real answer. ferry
    asks for the object: its ETag, the MD5 of the parts' MD5s and -3, is
    the one ferry's parts make: a success, not upload_expired."""
    src = write_random(tmp_path / "lost.bin", 11 * MiB, 33)
    p, lines, heads = lose_completion(
        rgw, tmp_path, "lost-nsu.bin", src,
        {"status": 404, "body": NO_SUCH_UPLOAD})
    assert p.returncode == 0, p.stdout + p.stderr
    assert len(heads) == 1 and heads[0]["path"].endswith("/lost-nsu.bin")
    assert rgw.head(BUCKET, "lost-nsu.bin")["etag"].endswith('-3"')
    assert rgw.stored_sha256(BUCKET, "lost-nsu.bin") == sha256_file(src)
    assert not os.listdir(tmp_path / "state")  # the upload counts as done


def test_a_lost_completion_over_another_object_stays_an_error(rgw, tmp_path):
    """The same, but by the time ferry asks, the key holds someone else's
    object: its ETag is not the one ferry's parts make, so nothing is
    claimed: upload_expired, that object untouched, the state kept."""
    src = write_random(tmp_path / "lost.bin", 11 * MiB, 34)
    other = tmp_path / "other.bin"
    other.write_bytes(b"someone else's object")

    def overwrite(response):
        rgw.curl("-T", str(other), f"{rgw.endpoint}/{BUCKET}/lost-other.bin")
        response.status = 404
        response.body = NO_SUCH_UPLOAD

    p, lines, heads = lose_completion(rgw, tmp_path, "lost-other.bin", src,
                                      {"fn": overwrite})
    assert p.returncode == 1, p.stdout + p.stderr
    assert error_of(lines)["code"] == "upload_expired"
    assert len(heads) == 1
    assert rgw.get(BUCKET, "lost-other.bin") == other.read_bytes()


@pytest.mark.parametrize("addressing", ["virtual", "path"])
def test_addressing_styles(rgw, tmp_path, addressing):
    """Virtual-hosted requests go to BUCKET.localhost (RGW's rgw_dns_name;
    libcurl maps *.localhost to the loopback address, no system file is
    touched), path-style ones to localhost/BUCKET; both store the object,
    read back path-style and compared; the proxy shows the Host and the
    path each request went with."""
    from fault_proxy import FaultProxy
    src = write_random(tmp_path / "a.bin", 6 * MiB + 1, 41)
    proxy = FaultProxy(rgw.endpoint)
    key = f"styles/{addressing}.bin"
    env = dict(os.environ, AWS_ACCESS_KEY_ID=rgw.access,
               AWS_SECRET_ACCESS_KEY=rgw.secret, AWS_REGION=rgw.region)
    try:
        p = subprocess.run(
            [str(CLI), "--protocol", "s3", "--endpoint",
             f"http://localhost:{proxy.port}", "--bucket", BUCKET,
             "--addressing", addressing, "--state-dir",
             str(tmp_path / "state"), "--json", "--compress", "off",
             "--part-size", "5M", "--key", key, src],
            capture_output=True, text=True, env=env, timeout=300)
        sent = proxy.requests()
    finally:
        proxy.stop()
    assert p.returncode == 0, p.stdout + p.stderr
    hosts = {header_of(e, "host") for e in sent}
    paths = {e["path"].split("?")[0] for e in sent}
    if addressing == "virtual":
        assert hosts == {f"{BUCKET}.localhost:{proxy.port}"}
        assert paths == {f"/{key}"}
    else:
        assert hosts == {f"localhost:{proxy.port}"}
        assert paths == {f"/{BUCKET}/{key}"}
    assert rgw.stored_sha256(BUCKET, key) == sha256_file(src)


def test_virtual_addressing_refuses_a_bucket_that_is_no_host_name(tmp_path):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
               AWS_SECRET_ACCESS_KEY="secret")
    src = write_random(tmp_path / "n.bin", 10, 42)
    p = subprocess.run(
        [str(CLI), "--protocol", "s3", "--endpoint", "https://s3.example",
         "--bucket", "Not_A_Host", "--addressing", "virtual", "--json",
         "--state-dir", str(tmp_path / "state"), src],
        capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 2
    assert "host name label" in p.stdout + p.stderr


def test_object_settings_are_sent_on_create_and_kept(rgw, tmp_path):
    """Content-Type, Cache-Control, Content-Disposition, a storage class and
    metadata go with CreateMultipartUpload (seen at the proxy) and are the
    object's (a HEAD of it on RGW)."""
    from fault_proxy import FaultProxy
    src = write_random(tmp_path / "settings.bin", 6 * MiB, 51)
    proxy = FaultProxy(rgw.endpoint)
    try:
        p = through_proxy(
            rgw, tmp_path, proxy, "--compress", "off", "--key",
            "settings.bin", "--multipart-threshold", "0",
            "--content-type", "application/x-ferry-test",
            "--cache-control", "max-age=60",
            "--content-disposition", 'attachment; filename="s.bin"',
            "--storage-class", "STANDARD", "--metadata", "owner=tests",
            "--object-header", "Content-Language: en", src)
        create = proxy.requests("POST")[0]
    finally:
        proxy.stop()
    assert p.returncode == 0, p.stdout + p.stderr
    assert header_of(create, "x-amz-storage-class") == "STANDARD"
    head = rgw.head(BUCKET, "settings.bin")
    assert head["content-type"] == "application/x-ferry-test"
    assert head["cache-control"] == "max-age=60"
    assert head["content-disposition"] == 'attachment; filename="s.bin"'
    assert head["content-language"] == "en"
    assert head["x-amz-meta-owner"] == "tests"
    assert rgw.stored_sha256(BUCKET, "settings.bin") == sha256_file(src)


@pytest.mark.parametrize("threshold", ["0", "8M"])
def test_server_side_encryption_headers_take_effect(rgw, tmp_path,
                                                    threshold):
    """--sse aws:kms and --sse-kms-key-id reach RGW (its test key store,
    configured by rgw_server.sh) on CreateMultipartUpload and on a single
    PutObject: the object is stored encrypted with that key (a HEAD says
    so) and reads back as the source. Under SSE-KMS part ETags are not
    MD5s; the upload must not take that for a corrupted part."""
    src = write_random(tmp_path / "sse.bin", 6 * MiB + 11, 53)
    key = f"sse/{threshold}.bin"
    p, lines = run_cli(rgw, tmp_path, "--compress", "off", "--key", key,
                       "--multipart-threshold", threshold, "--sse",
                       "aws:kms", "--sse-kms-key-id", "ferry-test-key", src)
    assert p.returncode == 0, p.stdout + p.stderr
    head = rgw.head(BUCKET, key)
    assert head["x-amz-server-side-encryption"] == "aws:kms"
    assert head["x-amz-server-side-encryption-aws-kms-key-id"] == \
        "ferry-test-key"
    assert ("-" in head["etag"]) == (threshold == "0")
    assert rgw.stored_sha256(BUCKET, key) == sha256_file(src)
    # An unknown key is the server's refusal, typed, nothing stored.
    p, lines = run_cli(rgw, tmp_path, "--compress", "off", "--key",
                       key + ".nokey", "--multipart-threshold", threshold,
                       "--sse", "aws:kms", "--sse-kms-key-id", "no-such-key",
                       src)
    assert p.returncode != 0
    refused = error_of(lines)
    assert refused["code"] not in ("internal_error", "protocol_violation"), \
        refused
    assert refused["origin"] == "server", refused
    assert not rgw.head(BUCKET, key + ".nokey").get("etag")


def test_content_type_guessed_from_the_name(rgw, tmp_path):
    src = tmp_path / "report.json"
    src.write_bytes(b'{"rows": 3}\n' * 1000)
    p, lines = run_cli(rgw, tmp_path, "--guess-content-type", "--key",
                       "guess/report.json", str(src))
    assert p.returncode == 0, p.stdout + p.stderr
    assert rgw.head(BUCKET, "guess/report.json")["content-type"] == \
        "application/json"
    # Without asking, no guess: RGW's default.
    p, lines = run_cli(rgw, tmp_path, "--key", "guess/plain.json", str(src))
    assert p.returncode == 0
    assert rgw.head(BUCKET, "guess/plain.json")["content-type"] != \
        "application/json"


def test_object_settings_from_python(rgw, tmp_path):
    src = write_random(tmp_path / "py.bin", MiB, 52)
    with ferry.Client(rgw.endpoint, protocol="s3", bucket=BUCKET,
                      access_key_id=rgw.access, secret_access_key=rgw.secret,
                      region=rgw.region, state_dir=str(tmp_path / "st"),
                      compress="off") as c:
        r = c.upload(src, key="py/settings.bin", content_type="image/x-test",
                     object_headers={"Cache-Control": "no-store"})
        with pytest.raises(ferry.InvalidArgument):
            c.upload(src, key="py/refused.bin",
                     object_headers={"Authorization": "x"})
    head = rgw.head(BUCKET, "py/settings.bin")
    assert head["content-type"] == "image/x-test"
    assert head["cache-control"] == "no-store"
    assert rgw.stored_sha256(BUCKET, "py/settings.bin") == r.sha256


@pytest.mark.parametrize("compress", ["off", "3"])
def test_small_objects_go_in_one_put(rgw, tmp_path, compress):
    """Below --multipart-threshold (default 8 MiB) a file is one PutObject
    (with its signed SHA-256, its metadata and settings): one request where
    multipart takes three; compressed, it is the same zstd stream with its
    seek table. Its bytes are read back and compared."""
    from fault_proxy import FaultProxy
    src = write_text(tmp_path / "small.txt", 3 * MiB + 5, 61)
    key = f"small/{compress}.txt"
    proxy = FaultProxy(rgw.endpoint)
    try:
        p = through_proxy(rgw, tmp_path, proxy, "--compress", compress,
                          "--key", key, "--content-type", "text/plain",
                          "--metadata", "owner=tests", src)
        sent = proxy.requests()
    finally:
        proxy.stop()
    assert p.returncode == 0, p.stdout + p.stderr
    assert [(e["method"], e["path"].split("?")[0]) for e in sent] == \
        [("PUT", f"/{BUCKET}/{key}")]
    signed = header_of(sent[0], "x-amz-content-sha256") or ""
    assert re.fullmatch("[0-9a-f]{64}", signed), signed
    assert not header_of(sent[0], "content-md5")  # the SHA-256 checks it
    if compress == "off":
        assert signed == sha256_file(src)
    head = rgw.head(BUCKET, key)
    assert head["content-type"] == "text/plain"
    assert head["x-amz-meta-owner"] == "tests"
    assert "-" not in head["etag"]  # not a multipart object
    assert rgw.stored_sha256(BUCKET, key, zstd=compress != "off") == \
        sha256_file(src)
    assert not os.listdir(tmp_path / "state")  # nothing to resume


def test_multipart_threshold_zero_always_goes_multipart(rgw, tmp_path):
    src = write_random(tmp_path / "tiny.bin", 1000, 62)
    p, lines = run_cli(rgw, tmp_path, "--multipart-threshold", "0", "--key",
                       "small/multipart.bin", src)
    assert p.returncode == 0, p.stdout + p.stderr
    assert rgw.head(BUCKET, "small/multipart.bin")["etag"].endswith('-1"')
    assert rgw.stored_sha256(BUCKET, "small/multipart.bin") == \
        sha256_file(src)


def test_a_batch_of_small_files_runs_them_at_once(rgw, tmp_path):
    """A small file takes its own bytes' share of the memory budget, not a
    whole part's: a batch of 64 KiB files runs several at once (it ran them
    one by one while each counted 8 MiB parts x 5 against 64 MiB)."""
    folder = tmp_path / "many"
    folder.mkdir()
    paths = [write_random(folder / f"m{i:02}.bin", 64 << 10, 70 + i)
             for i in range(12)]
    most = [0]

    def progress(p):
        most[0] = max(most[0], p.files_active)

    with ferry.Client(rgw.endpoint, protocol="s3", bucket=BUCKET,
                      access_key_id=rgw.access, secret_access_key=rgw.secret,
                      region=rgw.region, state_dir=str(tmp_path / "st"),
                      compress="off", multipart_threshold=0) as c:
        out = c.upload_batch(paths, concurrency=4, on_progress=progress)
    assert most[0] >= 2, most[0]
    for path, r in zip(paths, out):
        assert isinstance(r, ferry.UploadResult), r
        key = os.path.basename(path)
        assert rgw.stored_sha256(BUCKET, key) == sha256_file(path)
