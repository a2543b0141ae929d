# SPDX-License-Identifier: Apache-2.0
"""The ctypes structures of the binding against the C header: a C program
made from the ctypes field names is compiled against ferry.h and prints
each struct's size and each field's offset. A field renamed, moved, added
or dropped on either side fails here (unknown names do not compile; a
field the binding lacks shows in the size)."""

import ctypes
import json
import subprocess

import pytest

from conftest import BUILD_DIR, SOURCE_DIR
from ferry import _native

STRUCTS = {
    "ferry_code_info": _native.CodeInfo,
    "ferry_s3_presign_request": _native.PresignRequest,
    "ferry_client_options": _native.ClientOptions,
    "ferry_progress": _native.Progress,
    "ferry_event": _native.Event,
    "ferry_kv": _native.KV,
    "ferry_upload_options": _native.UploadOptions,
    "ferry_batch_progress": _native.BatchProgress,
    "ferry_batch_options": _native.BatchOptions,
    "ferry_upload_status": _native.UploadStatus,
    "ferry_pending_entry": _native.PendingEntry,
}


@pytest.fixture(scope="module")
def c_layout(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("abi")
    lines = ["#include <stddef.h>", "#include <stdio.h>",
             '#include "ferry/ferry.h"', "int main(void) {",
             '  printf("{");']
    first = True
    for cname, cls in STRUCTS.items():
        sep = "" if first else ","
        first = False
        lines.append(f'  printf("{sep}\\"{cname}\\": {{\\"(sizeof)\\": %zu", '
                     f"sizeof({cname}));")
        for field, _ in cls._fields_:
            lines.append(f'  printf(", \\"{field}\\": %zu", '
                         f"offsetof({cname}, {field}));")
        lines.append('  printf("}");')
    lines += ['  printf("}\\n");', "  return 0;", "}"]
    src = tmp / "layout.c"
    src.write_text("\n".join(lines) + "\n")
    exe = tmp / "layout"
    subprocess.run(["cc", "-std=c99", "-Wall", "-Werror", "-I",
                    str(SOURCE_DIR / "sdk" / "include"), "-I",
                    str(BUILD_DIR / "sdk" / "include"),  # ferry_version.h
                    "-o", str(exe), str(src)], check=True,
                   capture_output=True)
    return json.loads(subprocess.run([str(exe)], check=True,
                                     capture_output=True).stdout)


@pytest.mark.parametrize("cname", sorted(STRUCTS))
def test_ctypes_struct_matches_the_c_header(cname, c_layout):
    cls = STRUCTS[cname]
    want = c_layout[cname]
    assert ctypes.sizeof(cls) == want["(sizeof)"], cname
    for field, _ in cls._fields_:
        assert getattr(cls, field).offset == want[field], (cname, field)
