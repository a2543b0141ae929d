# SPDX-License-Identifier: Apache-2.0
"""Fixtures: a real Ceph RGW (tests/support/rgw_server.sh) for the whole
session, the ferry CLI and Python binding pointed at it, and signed reads of
what it stored (curl's own SigV4, independent of ferry's signer)."""

import hashlib
import os
import pathlib
import socket
import subprocess
import sys

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get(
    "FERRY_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
BUILD_DIR = pathlib.Path(os.environ.get("FERRY_BUILD_DIR", SOURCE_DIR / "build"))
sys.path.insert(0, str(SOURCE_DIR / "bindings" / "python"))
sys.path.insert(0, str(SOURCE_DIR / "tests" / "support"))
CLI = BUILD_DIR / "samples" / "ferry-upload"

QUOTA_ACCESS = "FERRYQUOTAKEY0000001"
QUOTA_SECRET = "ferry-quota-secret-0123456789abcdefghij"


class Rgw:
    def __init__(self, tmp):
        self.dir = tmp / "rgw"
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        out = subprocess.run(
            [str(SOURCE_DIR / "tests/support/rgw_server.sh"), "start",
             str(self.dir), str(port)], check=True, capture_output=True,
            text=True, env=env, timeout=240).stdout
        vals = dict(line.split("=", 1) for line in out.splitlines()
                    if line.startswith("FERRY_"))
        self.endpoint = vals["FERRY_S3_ENDPOINT"]
        self.access = vals["FERRY_S3_ACCESS_KEY"]
        self.secret = vals["FERRY_S3_SECRET_KEY"]
        self.region = vals["FERRY_S3_REGION"]
        self.conf = vals["FERRY_RGW_CONF"]
        self.env = env

    def admin(self, *args):
        subprocess.run(["radosgw-admin", "-c", self.conf, *args], check=True,
                       capture_output=True, env=self.env, timeout=60)

    def curl(self, *args, access=None, secret=None):
        return subprocess.run(
            ["curl", "-sS", "--aws-sigv4", f"aws:amz:{self.region}:s3",
             "--user", f"{access or self.access}:{secret or self.secret}",
             "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", *args],
            check=True, capture_output=True, timeout=120, env=self.env).stdout

    def make_bucket(self, name, access=None, secret=None):
        self.curl("-X", "PUT", f"{self.endpoint}/{name}", access=access,
                  secret=secret)

    def get(self, bucket, key):
        return self.curl(f"{self.endpoint}/{bucket}/{key}")

    def head(self, bucket, key):
        """The object's response headers, lower-cased names."""
        raw = self.curl("-I", f"{self.endpoint}/{bucket}/{key}").decode()
        return {k.strip().lower(): v.strip() for k, v in
                (line.split(":", 1) for line in raw.splitlines()
                 if ":" in line)}

    def stored_sha256(self, bucket, key, zstd=False):
        data = self.get(bucket, key)
        if zstd:
            data = subprocess.run(["zstd", "-dc"], input=data, check=True,
                                  capture_output=True, env=self.env).stdout
        return hashlib.sha256(data).hexdigest()

    def stop(self):
        subprocess.run([str(SOURCE_DIR / "tests/support/rgw_server.sh"),
                        "stop", str(self.dir)], env=self.env, timeout=60)


@pytest.fixture(scope="session")
def rgw(tmp_path_factory):
    server = Rgw(tmp_path_factory.mktemp("ceph"))
    server.make_bucket("ferry-tests")
    # A second user whose quota (4 MiB) is smaller than one part.
    server.admin("user", "create", "--uid=ferry-quota", "--display-name=q",
                 f"--access-key={QUOTA_ACCESS}", f"--secret={QUOTA_SECRET}")
    server.admin("quota", "set", "--quota-scope=user", "--uid=ferry-quota",
                 "--max-size=4194304")
    server.admin("quota", "enable", "--quota-scope=user", "--uid=ferry-quota")
    server.make_bucket("ferry-quota", QUOTA_ACCESS, QUOTA_SECRET)
    yield server
    server.stop()
