# SPDX-License-Identifier: Apache-2.0
"""A minimal PEP 517 / PEP 660 backend for the ferry package (no index, no
requirements: Debian's Python is enough).

- build_wheel: a wheel that stands alone: the ferry/ package and a copy of
  the built libferry.so (FERRY_LIBRARY, or the source tree's build/), whose
  RUNPATH is $ORIGIN, tagged for this platform. Without a built library it
  is a pure wheel that loads a system-installed libferry.
- build_editable (pip install -e): a .pth pointing at this folder; the
  package then finds the source tree's build/sdk/libferry.so.
- The version is the one project version, read from the top-level
  CMakeLists.txt (or from PKG-INFO in an sdist).
"""

import base64
import hashlib
import io
import os
import pathlib
import re
import subprocess
import sysconfig
import tarfile
import tempfile
import zipfile

NAME = "ferry"
HERE = pathlib.Path(__file__).resolve().parent.parent
ROOT = HERE.parent.parent  # the source tree, when building from it


def _version():
    cmake = ROOT / "CMakeLists.txt"
    if cmake.exists():
        m = re.search(r"project\(ferry VERSION ([0-9.]+)", cmake.read_text())
        if m:
            return m.group(1)
    pkg_info = HERE / "PKG-INFO"
    if pkg_info.exists():
        m = re.search(r"^Version: (.+)$", pkg_info.read_text(), re.M)
        if m:
            return m.group(1).strip()
    raise RuntimeError("cannot find ferry's version (CMakeLists.txt)")


VERSION = _version()
DIST_INFO = f"{NAME}-{VERSION}.dist-info"


def _metadata():
    readme = HERE / "README.md"
    body = readme.read_text() if readme.exists() else ""
    return (f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\n"
            "Summary: Resumable, verified uploads (tus, S3) with typed errors\n"
            "License: Apache-2.0\n"
            "Classifier: License :: OSI Approved :: Apache Software License\n"
            "Classifier: Operating System :: POSIX :: Linux\n"
            "Classifier: Typing :: Typed\n"
            "Requires-Python: >=3.9\n"
            "Description-Content-Type: text/markdown\n\n" + body)


def _library():
    env = os.environ.get("FERRY_LIBRARY")
    if env and os.path.exists(env):
        return pathlib.Path(env).resolve()
    built = ROOT / "build" / "sdk" / "libferry.so"
    return built.resolve() if built.exists() else None


def _stripped(lib):
    """The library without its debug sections (a tenth of the size), when
    binutils' strip is there; else as built."""
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "libferry.so"
        try:
            subprocess.run(["strip", "--strip-debug", "-o", str(out),
                            str(lib)], check=True, capture_output=True)
            return out.read_bytes()
        except (OSError, subprocess.CalledProcessError):
            return lib.read_bytes()


def _package_files():
    for path in sorted((HERE / NAME).rglob("*")):
        if path.is_file() and path.suffix in (".py", ".typed") and \
                path.name != "_libpath.py" and "__pycache__" not in path.parts:
            yield f"{NAME}/{path.relative_to(HERE / NAME).as_posix()}", \
                path.read_bytes()


def _record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest())
    return f"{name},sha256={digest.rstrip(b'=').decode()},{len(data)}"


def _write_wheel(wheel_directory, tag, entries, purelib):
    wheel_name = f"{NAME}-{VERSION}-{tag}.whl"
    wheel = (f"Wheel-Version: 1.0\nGenerator: ferry_build\n"
             f"Root-Is-Purelib: {'true' if purelib else 'false'}\n"
             f"Tag: {tag}\n")
    records = []
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w",
                         zipfile.ZIP_DEFLATED) as zf:
        entries = list(entries) + [
            (f"{DIST_INFO}/METADATA", _metadata().encode()),
            (f"{DIST_INFO}/WHEEL", wheel.encode())]
        for name, data in entries:
            if name.endswith(".so"):
                info = zipfile.ZipInfo(name)
                info.external_attr = 0o755 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
            else:
                zf.writestr(name, data)
            records.append(_record_line(name, data))
        records.append(f"{DIST_INFO}/RECORD,,")
        zf.writestr(f"{DIST_INFO}/RECORD", "\n".join(records) + "\n")
    return wheel_name


def _platform_tag():
    return "py3-none-" + sysconfig.get_platform().replace("-", "_").replace(
        ".", "_")


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    lib = _library()
    entries = list(_package_files())
    if lib is None:
        return _write_wheel(wheel_directory, "py3-none-any", entries, True)
    # The library travels inside the package: no build tree, no variables.
    entries.append((f"{NAME}/libferry.so", _stripped(lib)))
    return _write_wheel(wheel_directory, _platform_tag(), entries, False)


def build_editable(wheel_directory, config_settings=None,
                   metadata_directory=None):
    pth = f"{HERE}\n".encode()
    return _write_wheel(wheel_directory, "py3-none-any",
                        [(f"__editable__.{NAME}.pth", pth)], True)


def build_sdist(sdist_directory, config_settings=None):
    base = f"{NAME}-{VERSION}"
    name = f"{base}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as tf:
        for rel in ["pyproject.toml", "README.md", "_build/ferry_build.py"] + [
                p.relative_to(HERE).as_posix()
                for p in sorted((HERE / NAME).rglob("*"))
                if p.is_file() and p.suffix in (".py", ".typed")
                and p.name != "_libpath.py"
                and "__pycache__" not in p.parts]:
            data = (HERE / rel).read_bytes()
            info = tarfile.TarInfo(f"{base}/{rel}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        meta = _metadata().encode()
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size = len(meta)
        tf.addfile(info, io.BytesIO(meta))
    return name
