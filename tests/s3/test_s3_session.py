# SPDX-License-Identifier: Apache-2.0
"""What S3 gets from the one upload session, against a real Ceph RGW: the
credential-refresh hook (keys rotated mid-upload, the upload going on where
it was), retry events that carry the offset (through the fault proxy), and ferry-doctor for S3 (CLI,
which is C++ over the C ABI, and Python). Every upload is read back and
compared with the source's SHA-256."""

import json
import os
import subprocess

import ferry

from conftest import BUILD_DIR, CLI
from test_s3 import BUCKET, MiB, sha256_file, write_random

DOCTOR = BUILD_DIR / "samples" / "ferry-doctor"
ROTATE_UID = "ferry-rotate"
KEY_A = ("FERRYROTATEKEYA00001", "ferry-rotate-secret-a-0123456789abcdefgh")
KEY_B = ("FERRYROTATEKEYB00002", "ferry-rotate-secret-b-0123456789abcdefgh")


def test_keys_rotated_mid_upload_are_refreshed(rgw, tmp_path):
    rgw.admin("user", "create", f"--uid={ROTATE_UID}", "--display-name=r",
              f"--access-key={KEY_A[0]}", f"--secret={KEY_A[1]}")
    bucket = "ferry-rotate"
    rgw.make_bucket(bucket, *KEY_A)
    src = write_random(tmp_path / "rot.bin", 26 * MiB + 5, 31)
    client = ferry.Client(rgw.endpoint, protocol="s3", bucket=bucket,
                          access_key_id=KEY_A[0], secret_access_key=KEY_A[1],
                          region=rgw.region, state_dir=str(tmp_path / "st"),
                          compress="off", part_size=5 * MiB, parallel_parts=1,
                          on_refresh_credentials=lambda why: refreshed(why))
    asked = []
    rotated = []

    def refreshed(why):
        asked.append(why.code)
        return ferry.S3Credentials(*KEY_B)

    def on_progress(p):
        if p.bytes_acked >= 5 * MiB and not rotated:
            # Key A stops working; key B is what the app's backend hands out.
            rgw.admin("key", "create", f"--uid={ROTATE_UID}",
                      f"--access-key={KEY_B[0]}", f"--secret={KEY_B[1]}")
            rgw.admin("key", "rm", f"--uid={ROTATE_UID}",
                      f"--access-key={KEY_A[0]}")
            rotated.append(p.bytes_acked)

    events = []
    result = client.upload(src, key="rotated.bin", on_progress=on_progress,
                           on_event=events.append)
    assert rotated, "the keys were never rotated"
    assert asked and asked[0] == "unauthenticated", asked
    retries = [e for e in events if e.type == "retry"]
    assert any("credentials refreshed" in e.message for e in retries)
    # Went on where it was: no new multipart upload, nothing resumed.
    assert [e.type for e in events].count("created") == 1
    assert not [e for e in events if e.type == "restarted"]
    assert result.sha256 == sha256_file(src)
    assert rgw.curl(f"{rgw.endpoint}/{bucket}/rotated.bin",
                    access=KEY_B[0], secret=KEY_B[1]) == open(src, "rb").read()


def test_without_a_refresh_hook_rotated_keys_end_typed(rgw, tmp_path):
    uid = "ferry-rotate-2"
    a = ("FERRYROTATEKEYC00003", "ferry-rotate-secret-c-0123456789abcdefgh")
    b = ("FERRYROTATEKEYD00004", "ferry-rotate-secret-d-0123456789abcdefgh")
    rgw.admin("user", "create", f"--uid={uid}", "--display-name=r2",
              f"--access-key={a[0]}", f"--secret={a[1]}")
    rgw.make_bucket("ferry-rotate-2", *a)
    src = write_random(tmp_path / "r2.bin", 16 * MiB, 32)
    client = ferry.Client(rgw.endpoint, protocol="s3", bucket="ferry-rotate-2",
                          access_key_id=a[0], secret_access_key=a[1],
                          region=rgw.region, state_dir=str(tmp_path / "st"),
                          compress="off", part_size=5 * MiB, parallel_parts=1)
    rotated = []

    def on_progress(p):
        if p.bytes_acked >= 5 * MiB and not rotated:
            rgw.admin("key", "create", f"--uid={uid}", f"--access-key={b[0]}",
                      f"--secret={b[1]}")
            rgw.admin("key", "rm", f"--uid={uid}", f"--access-key={a[0]}")
            rotated.append(True)

    try:
        client.upload(src, key="r2.bin", on_progress=on_progress)
        raise AssertionError("uploaded with a removed key")
    except ferry.FerryError as e:
        assert e.code == "unauthenticated", e.code
        assert e.server_code == "InvalidAccessKeyId"
    # The resume state is kept: with key B the upload continues.
    client_b = ferry.Client(rgw.endpoint, protocol="s3",
                            bucket="ferry-rotate-2", access_key_id=b[0],
                            secret_access_key=b[1], region=rgw.region,
                            state_dir=str(tmp_path / "st"), compress="off",
                            part_size=5 * MiB, parallel_parts=1)
    result = client_b.upload(src, key="r2.bin")
    assert result.resumed_from >= 5 * MiB
    assert result.sha256 == sha256_file(src)


def test_retry_events_carry_the_offset(rgw, tmp_path):
    # Through the fault proxy to the real RGW: the second part's PUT and the
    # completion POST each get one 503 first. The part's retry says where
    # the part begins; the session's retry of Complete says all is acked.
    from fault_proxy import Fault, FaultProxy
    proxy = FaultProxy(rgw.endpoint, [
        Fault("status", method="PUT", nth=2, status=503, body=b"busy"),
        Fault("status", method="POST", nth=2, status=503, body=b"busy"),
    ])
    try:
        size = 3 * 5 * MiB + 11
        src = write_random(tmp_path / "o.bin", size, 33)
        client = ferry.Client(proxy.origin, protocol="s3", bucket=BUCKET,
                              access_key_id=rgw.access,
                              secret_access_key=rgw.secret, region=rgw.region,
                              state_dir=str(tmp_path / "st"), compress="off",
                              part_size=5 * MiB, parallel_parts=1,
                              retry_base=0.001, retry_max=0.002)
        events = []
        result = client.upload(src, key="offsets.bin", on_event=events.append)
        assert proxy.fired("status") == 2
        retries = [e for e in events if e.type == "retry"]
        assert [e.offset for e in retries] == [5 * MiB, size], [
            (e.offset, e.message) for e in retries]
        assert retries[0].message.startswith("part 2:")
        assert result.sha256 == sha256_file(src)
        assert rgw.stored_sha256(BUCKET, "offsets.bin") == sha256_file(src)
    finally:
        proxy.stop()


def doctor_cli(rgw, *args, access=None, secret=None):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=access or rgw.access,
               AWS_SECRET_ACCESS_KEY=secret or rgw.secret,
               AWS_REGION=rgw.region)
    p = subprocess.run([str(DOCTOR), rgw.endpoint, "--protocol", "s3",
                        "--json", *args], capture_output=True, text=True,
                       env=env, timeout=120)
    return p, json.loads(p.stdout)


def test_doctor_s3_cli_passes_against_rgw(rgw):
    p, doc = doctor_cli(rgw, "--bucket", BUCKET)
    assert p.returncode == 0, p.stdout + p.stderr
    checks = {c["check"]: c for c in doc["checks"]}
    for name in ("dns", "tcp", "clock", "auth", "bucket", "upload"):
        assert checks[name]["status"] == "ok", (name, checks)
    assert "created and aborted" in checks["upload"]["detail"]
    # No OPTIONS with Tus-Resumable: the S3 probe asked S3 questions.
    assert "tus" not in checks["auth"]["detail"]
    # The probe left no multipart upload behind.
    listing = rgw.curl(f"{rgw.endpoint}/{BUCKET}?uploads").decode()
    assert "ferry-doctor-probe" not in listing


def test_doctor_s3_cli_names_a_wrong_secret(rgw):
    secret = "not-the-secret-" + "y" * 25
    p, doc = doctor_cli(rgw, "--bucket", BUCKET, secret=secret)
    assert p.returncode == 1
    checks = {c["check"]: c for c in doc["checks"]}
    assert checks["auth"]["status"] == "fail"
    assert checks["auth"]["error"]["code"] == "unauthenticated"
    assert secret not in p.stdout + p.stderr


def test_doctor_s3_cli_names_a_missing_bucket(rgw):
    p, doc = doctor_cli(rgw, "--bucket", "no-such-bucket-here")
    assert p.returncode == 1
    checks = {c["check"]: c for c in doc["checks"]}
    assert checks["bucket"]["status"] == "fail"
    assert checks["bucket"]["error"]["server_code"] == "NoSuchBucket"


def test_doctor_s3_from_python(rgw):
    report = ferry.doctor(rgw.endpoint, protocol="s3", bucket=BUCKET,
                          access_key_id=rgw.access,
                          secret_access_key=rgw.secret, region=rgw.region)
    assert report["ok"], report["text"]
    names = [c["check"] for c in report["checks"]]
    assert "bucket" in names and "upload" in names


def test_a_part_held_after_a_gap_is_not_sent_again(rgw, tmp_path):
    # Part 1 stalls in the fault proxy while later parts are acknowledged;
    # the CLI is killed then. The resume finds those on the server (not
    # part 1) and sends only what is missing.
    from fault_proxy import Fault, FaultProxy
    from test_s3 import kill_when_acked
    proxy = FaultProxy(rgw.endpoint, [
        Fault("stall", method="PUT", nth=1, after=64 * 1024, seconds=20)])
    try:
        size = 3 * 5 * MiB + 7
        src = write_random(tmp_path / "gap.bin", size, 36)
        env = dict(os.environ, AWS_ACCESS_KEY_ID=rgw.access,
                   AWS_SECRET_ACCESS_KEY=rgw.secret, AWS_REGION=rgw.region)
        cmd = [str(CLI), "--protocol", "s3", "--endpoint", proxy.origin,
               "--bucket", BUCKET, "--state-dir", str(tmp_path / "state"),
               "--json", "--part-size", "5M", "--parallel-parts", "2",
               "--compress", "off", "--key", "gap.bin", src]
        first = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True,
                                 env=env)
        # Parts 2 and 3 go through while part 1 hangs.
        acked = kill_when_acked(first, 5 * MiB)
        assert 5 * MiB <= acked < size
        assert proxy.fired("stall") == 1
        p = subprocess.run(cmd, capture_output=True, text=True, env=env,
                           timeout=300)
        assert p.returncode == 0, p.stdout + p.stderr
        lines = [json.loads(line) for line in p.stdout.splitlines()
                 if line.startswith("{")]
        resumed = [e for e in lines if e["event"] == "resumed"]
        # Everything acknowledged before the kill is held, part 1 is not.
        assert resumed and acked <= resumed[0]["offset"] <= size - 5 * MiB
        done = [e for e in lines if e["event"] == "done"][-1]
        assert done["resumed_from"] == resumed[0]["offset"]
        assert done["wire_bytes"] == size - done["resumed_from"]
        assert done["sha256"] == sha256_file(src)
        assert rgw.stored_sha256(BUCKET, "gap.bin") == sha256_file(src)
    finally:
        proxy.stop()


def test_doctor_s3_virtual_hosted_with_a_profile(rgw, tmp_path):
    """ferry-doctor takes --addressing and --profile as ferry-upload does:
    keys from a profile of the shared credentials file (none in the
    environment), requests to BUCKET.localhost."""
    creds = tmp_path / "credentials"
    creds.write_text(f"[probe]\naws_access_key_id = {rgw.access}\n"
                     f"aws_secret_access_key = {rgw.secret}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_SHARED_CREDENTIALS_FILE=str(creds),
               AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_REGION=rgw.region)
    port = rgw.endpoint.rsplit(":", 1)[1].rstrip("/")
    p = subprocess.run([str(DOCTOR), f"http://localhost:{port}", "--protocol",
                        "s3", "--bucket", BUCKET, "--addressing", "virtual",
                        "--profile", "probe", "--json"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    checks = {c["check"]: c for c in json.loads(p.stdout)["checks"]}
    assert checks["bucket"]["status"] == "ok"
    assert checks["upload"]["status"] == "ok"
