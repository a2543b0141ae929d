"""A minimal PEP 517 backend for the pure-Python ferry package.

It writes a py3-none-any wheel of the ferry/ folder. When it can find a
built libferry (FERRY_LIBRARY, or the source tree's build/), it records that
path in ferry/_libpath.py so the installed package loads that library; an
installed system library (ldconfig) is found without it.
"""

import base64
import hashlib
import io
import os
import pathlib
import tarfile
import zipfile

NAME, VERSION = "ferry", "0.1.0"
HERE = pathlib.Path(__file__).resolve().parent.parent
DIST_INFO = f"{NAME}-{VERSION}.dist-info"
METADATA = (f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\n"
            "Summary: Resumable, verified uploads with typed errors\n"
            "Requires-Python: >=3.9\n")
WHEEL = ("Wheel-Version: 1.0\nGenerator: ferry_build\nRoot-Is-Purelib: true\n"
         "Tag: py3-none-any\n")


def _library():
    env = os.environ.get("FERRY_LIBRARY")
    if env and os.path.exists(env):
        return os.path.abspath(env)
    built = HERE.parent.parent / "build" / "sdk" / "libferry.so"
    return str(built) if built.exists() else None


def _files():
    for path in sorted((HERE / NAME).rglob("*.py")):
        if path.name != "_libpath.py":
            yield f"{NAME}/{path.relative_to(HERE / NAME).as_posix()}", \
                path.read_bytes()
    lib = _library()
    if lib:
        yield f"{NAME}/_libpath.py", f"LIBRARY = {lib!r}\n".encode()


def _record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest())
    return f"{name},sha256={digest.rstrip(b'=').decode()},{len(data)}"


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    wheel_name = f"{NAME}-{VERSION}-py3-none-any.whl"
    records = []
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w",
                         zipfile.ZIP_DEFLATED) as zf:
        entries = list(_files()) + [(f"{DIST_INFO}/METADATA", METADATA.encode()),
                                    (f"{DIST_INFO}/WHEEL", WHEEL.encode())]
        for name, data in entries:
            zf.writestr(name, data)
            records.append(_record_line(name, data))
        records.append(f"{DIST_INFO}/RECORD,,")
        zf.writestr(f"{DIST_INFO}/RECORD", "\n".join(records) + "\n")
    return wheel_name


def build_sdist(sdist_directory, config_settings=None):
    base = f"{NAME}-{VERSION}"
    name = f"{base}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as tf:
        for rel in ["pyproject.toml", "_build/ferry_build.py"] + [
                p.relative_to(HERE).as_posix()
                for p in sorted((HERE / NAME).rglob("*.py"))
                if p.name != "_libpath.py"]:
            data = (HERE / rel).read_bytes()
            info = tarfile.TarInfo(f"{base}/{rel}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size = len(METADATA)
        tf.addfile(info, io.BytesIO(METADATA.encode()))
    return name
