# SPDX-License-Identifier: Apache-2.0
"""The wheel stands alone: built offline from bindings/python, installed
into a fresh virtual environment in another directory, it uploads to the
real tus server with no build tree in sight and no environment variable.
`pip install -e` works for development."""

import hashlib
import os
import subprocess
import sys
import zipfile

from conftest import BUILD_DIR, SOURCE_DIR, write_random


def run(*cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                       **kw)
    assert p.returncode == 0, p.stdout + p.stderr
    return p


def clean_env():
    # No FERRY_LIBRARY, no PYTHONPATH: only what the wheel carries. (A
    # sanitizer runtime preloaded by the test stage stays.)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FERRY_", "PYTHON"))}
    env["PIP_NO_INDEX"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def test_the_wheel_carries_libferry_and_works_in_a_fresh_venv(
        tus_server, tmp_path):
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "pip", "wheel", "--no-build-isolation",
        "--no-index", "--no-deps", "-w", str(dist),
        str(SOURCE_DIR / "bindings" / "python"),
        env=dict(clean_env(),
                 FERRY_LIBRARY=str(BUILD_DIR / "sdk" / "libferry.so")))
    wheels = list(dist.glob("ferry-*.whl"))
    assert len(wheels) == 1
    wheel = wheels[0]
    version = (SOURCE_DIR / "CMakeLists.txt").read_text().split(
        "project(ferry VERSION ")[1].split()[0]
    assert wheel.name == f"ferry-{version}-py3-none-linux_x86_64.whl"
    names = zipfile.ZipFile(wheel).namelist()
    assert "ferry/libferry.so" in names and "ferry/py.typed" in names
    meta = zipfile.ZipFile(wheel).read(
        f"ferry-{version}.dist-info/METADATA").decode()
    assert "License: Apache-2.0" in meta

    venv = tmp_path / "elsewhere" / "venv"
    run(sys.executable, "-m", "venv", str(venv))
    py = str(venv / "bin" / "python")
    run(py, "-m", "pip", "install", "--no-index", str(wheel), env=clean_env())
    src = write_random(tmp_path / "f.bin", 3 << 20, 5)
    script = (
        "import ferry, hashlib, sys\n"
        "assert 'venv' in ferry.__file__, ferry.__file__\n"
        "c = ferry.Client(sys.argv[1], state_dir=sys.argv[2])\n"
        "r = c.upload(sys.argv[3])\n"
        "print(r.sha256, r.url)\n")
    # From another directory: the source tree's build/ is not reachable.
    out = run(py, "-c", script, tus_server.endpoint, str(tmp_path / "st"),
              src, cwd=str(tmp_path / "elsewhere"), env=clean_env())
    digest, url = out.stdout.split()
    with open(src, "rb") as f:
        assert digest == hashlib.sha256(f.read()).hexdigest()
    assert tus_server.stored_sha256(url) == digest
    # The library it loaded is the wheel's own.
    out = run(py, "-c", "import ferry._native as n; print(n.lib._name)",
              cwd=str(tmp_path / "elsewhere"), env=clean_env())
    assert str(venv) in out.stdout


def test_editable_install_uses_the_source_tree(tmp_path):
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", str(venv))
    py = str(venv / "bin" / "python")
    run(py, "-m", "pip", "install", "--no-index", "--no-build-isolation",
        "-e", str(SOURCE_DIR / "bindings" / "python"), env=clean_env())
    out = run(py, "-c", "import ferry; print(ferry.__file__)",
              cwd=str(tmp_path), env=clean_env())
    assert str(SOURCE_DIR / "bindings" / "python" / "ferry") in out.stdout
