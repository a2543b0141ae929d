# SPDX-License-Identifier: Apache-2.0
"""S3 credentials found as the AWS CLI finds them, against a real RGW: a
profile of the shared credentials file and its region in the config file,
and a credential_process whose keys expire: fetched again before they do,
and at once when the server says ExpiredToken. No AWS_ACCESS_KEY_ID in the
environment of any of these runs."""

import hashlib
import json
import os
import random
import stat
import subprocess

import pytest

from conftest import CLI

MiB = 1 << 20
BUCKET = "ferry-tests"


def write_random(path, size, seed):
    path.write_bytes(random.Random(seed).randbytes(size))
    return str(path)


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def clean_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = str(tmp_path / "home")  # no ~/.aws of the machine's
    env.update(extra)
    return env


def upload(endpoint, tmp_path, env, *args):
    p = subprocess.run(
        [str(CLI), "--protocol", "s3", "--endpoint", endpoint, "--bucket",
         BUCKET, "--state-dir", str(tmp_path / "state"), "--json",
         "--compress", "off", *args],
        capture_output=True, text=True, env=env, timeout=300)
    lines = [json.loads(x) for x in p.stdout.splitlines() if x.startswith("{")]
    return p, lines


def test_profile_from_shared_files(rgw, tmp_path):
    creds = tmp_path / "credentials"
    creds.write_text(f"[default]\naws_access_key_id = WRONG\n"
                     f"aws_secret_access_key = wrong\n\n[uploader]\n"
                     f"aws_access_key_id = {rgw.access}\n"
                     f"aws_secret_access_key = {rgw.secret}\n")
    config = tmp_path / "config"
    config.write_text(f"[profile uploader]\nregion = {rgw.region}\n")
    src = write_random(tmp_path / "p.bin", 6 * MiB + 5, 1)
    env = clean_env(tmp_path, AWS_SHARED_CREDENTIALS_FILE=str(creds),
                    AWS_CONFIG_FILE=str(config))
    p, lines = upload(rgw.endpoint, tmp_path, env, "--profile", "uploader",
                      "--key", "profile.bin", src)
    assert p.returncode == 0, p.stdout + p.stderr
    assert rgw.stored_sha256(BUCKET, "profile.bin") == sha256_file(src)
    # The same through AWS_PROFILE.
    p, lines = upload(rgw.endpoint, tmp_path,
                      dict(env, AWS_PROFILE="uploader"), "--key",
                      "profile2.bin", src)
    assert p.returncode == 0, p.stdout + p.stderr
    # The default profile's keys are the wrong ones: refused by the server.
    p, lines = upload(rgw.endpoint, tmp_path, env, "--key", "default.bin",
                      src)
    assert p.returncode == 1
    assert lines[-1]["error"]["category"] == "auth"
    # A profile with no keys anywhere: refused before anything is sent.
    env["AWS_PROFILE"] = "nobody"
    p, lines = upload("http://127.0.0.1:9/", tmp_path, env, src)
    assert p.returncode == 2  # the client cannot be made: a usage error
    error = lines[-1]["error"]
    assert error["code"] == "invalid_argument"
    assert "profile nobody" in error["message"]


def test_profile_option_from_python(rgw, tmp_path, monkeypatch):
    """Client(profile=...) reads that profile's keys and region, and wins
    over AWS_PROFILE (here naming a profile with wrong keys)."""
    import ferry
    creds = tmp_path / "credentials"
    creds.write_text(f"[wrong]\naws_access_key_id = WRONG\n"
                     f"aws_secret_access_key = wrong\n\n[uploader]\n"
                     f"aws_access_key_id = {rgw.access}\n"
                     f"aws_secret_access_key = {rgw.secret}\n")
    config = tmp_path / "config"
    config.write_text(f"[profile uploader]\nregion = {rgw.region}\n")
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_PROFILE", "wrong")
    src = write_random(tmp_path / "py.bin", MiB + 3, 4)
    with ferry.Client(rgw.endpoint, protocol="s3", bucket=BUCKET,
                      profile="uploader", compress="off",
                      state_dir=str(tmp_path / "st")) as c:
        r = c.upload(src, key="py-profile.bin")
    assert r.sha256 == sha256_file(src)
    assert rgw.stored_sha256(BUCKET, "py-profile.bin") == sha256_file(src)
    # Without it, AWS_PROFILE's wrong keys: the server refuses them.
    with ferry.Client(rgw.endpoint, protocol="s3", bucket=BUCKET,
                      compress="off", state_dir=str(tmp_path / "st")) as c:
        with pytest.raises(ferry.Error) as refused:
            c.upload(src, key="py-wrong.bin")
    assert refused.value.category == "auth", refused.value
    # A profile that gives no keys: refused before anything is sent.
    with pytest.raises(ferry.InvalidArgument, match="profile nobody"):
        ferry.Client("http://127.0.0.1:9/", protocol="s3", bucket=BUCKET,
                     profile="nobody")


PROCESS = r"""#!/usr/bin/python3
# A credential_process: keys that expire EXPIRES seconds from now.
import datetime, json, sys
log, access, secret, expires = sys.argv[1:5]
with open(log, "a") as f:
    f.write("called\n")
when = (datetime.datetime.now(datetime.timezone.utc) +
        datetime.timedelta(seconds=int(expires)))
print(json.dumps({"Version": 1, "AccessKeyId": access,
                  "SecretAccessKey": secret,
                  "Expiration": when.strftime("%Y-%m-%dT%H:%M:%SZ")}))
"""


def write_process(tmp_path, rgw, expires_s):
    script = tmp_path / "get-keys"
    script.write_text(PROCESS)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "calls.log"
    config = tmp_path / "config"
    config.write_text(
        f"[default]\nregion = {rgw.region}\n"
        f"credential_process = {script} {log} {rgw.access} {rgw.secret} "
        f"{expires_s}\n")
    return config, log


def calls(log):
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_credential_process_keys_are_renewed_before_they_expire(
        rgw, tmp_path):
    # Keys that expire 10 min + 2 s after each fetch: inside ferry's 10 min
    # window 2 s later, so a ~6 s upload must fetch them again, mid-upload.
    config, log = write_process(tmp_path, rgw, 10 * 60 + 2)
    src = write_random(tmp_path / "c.bin", 12 * MiB, 2)
    env = clean_env(tmp_path, AWS_CONFIG_FILE=str(config),
                    AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))
    p, lines = upload(rgw.endpoint, tmp_path, env, "--key", "process.bin",
                      "--part-size", "5M", "--max-send-rate", "2M", src)
    assert p.returncode == 0, p.stdout + p.stderr
    assert calls(log) >= 2, calls(log)
    assert rgw.stored_sha256(BUCKET, "process.bin") == sha256_file(src)
    assert rgw.secret not in p.stdout + p.stderr


def test_expired_token_renews_process_keys_and_goes_on(rgw, tmp_path):
    """The server says ExpiredToken (played by the proxy on the second
    part's real answer): ferry runs the credential_process again and sends
    that part again; the upload goes on where it was."""
    from fault_proxy import Fault, FaultProxy  # tests/support (conftest)
    config, log = write_process(tmp_path, rgw, 3600)
    src = write_random(tmp_path / "e.bin", 11 * MiB, 3)
    expired = (b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>"
               b"ExpiredToken</Code><Message>The provided token has expired."
               b"</Message></Error>")
    proxy = FaultProxy(rgw.endpoint, [Fault("rewrite", method="PUT", nth=2,
                                            status=400, body=expired)])
    env = clean_env(tmp_path, AWS_CONFIG_FILE=str(config),
                    AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))
    try:
        p, lines = upload(proxy.origin, tmp_path, env, "--key", "expired.bin",
                          "--part-size", "5M", "--parallel-parts", "1", src)
        puts = proxy.requests("PUT")
    finally:
        proxy.stop()
    assert proxy.fired("rewrite") == 1
    assert p.returncode == 0, p.stdout + p.stderr
    assert calls(log) == 2  # once at the start, once on ExpiredToken
    assert len(puts) == 4  # three parts, the second twice
    assert puts[1]["path"] == puts[2]["path"]
    assert rgw.stored_sha256(BUCKET, "expired.bin") == sha256_file(src)
