# SPDX-License-Identifier: Apache-2.0
"""ferry's typed errors as Python exceptions.

ferry.Error > one base per category (ferry.PolicyError, NetworkError, ...)
> one class per code (ferry.FileTooLarge, RateLimited, ...), with builtin
bases where code already catches those (FileNotFound is a
FileNotFoundError, Timeout a TimeoutError, ConnectionRefused a
ConnectionRefusedError, every NetworkError a ConnectionError). The classes
are generated from the C library's error table into _error_classes.py; a
test fails when they differ from the library's table.
"""

import ctypes
import json
from typing import Any, Dict, Optional

from ferry import _error_classes
from ferry._error_base import Error
from ferry._error_classes import *  # noqa: F401,F403
from ferry._error_classes import CATEGORY_CLASSES, ERROR_CLASSES
from ferry._error_classes import FileUnreadable
from ferry._native import CodeInfo, lib

__all__ = ["Error", "FerryError", "FilePermissionDenied", "CODES",
           "ACTION_DESCRIPTIONS", "borrowed", "from_native"]
__all__ += _error_classes.__all__


def _s(b: Optional[bytes]) -> str:
    return b.decode("utf-8", "replace") if b is not None else ""


FerryError = Error  # the name before 0.2, kept


class FilePermissionDenied(FileUnreadable, PermissionError):
    """file_unreadable because this user may not read the file (EACCES)."""


# The table as the loaded library has it (values, defaults, meanings).
CODES: Dict[str, Dict[str, Any]] = {}
ACTION_DESCRIPTIONS: Dict[str, str] = {}

for value in range(1, lib.ferry_code_max() + 1):
    info = CodeInfo()
    info.struct_size = ctypes.sizeof(CodeInfo)
    if not lib.ferry_code_info_get(value, ctypes.byref(info)):
        continue
    name = _s(info.name)
    CODES[name] = {
        "value": value,
        "category": _s(lib.ferry_category_name(info.category)),
        "origin": _s(lib.ferry_origin_name(info.origin)),
        "retryable": bool(info.retryable),
        "action": _s(lib.ferry_action_name(info.action)),
        "meaning": _s(info.meaning),
    }

_a = 0
while lib.ferry_action_name(_a) is not None:
    ACTION_DESCRIPTIONS[_s(lib.ferry_action_name(_a))] = _s(
        lib.ferry_action_description(_a))
    _a += 1


def _from_doc(doc: Dict[str, Any]) -> Error:
    retry_after_ms = doc.get("retry_after_ms")
    skew_ms = doc.get("clock_skew_ms")
    cls: type[Error] = ERROR_CLASSES.get(doc["code"], Error)
    if cls is FileUnreadable and "Permission denied" in doc.get("message", ""):
        cls = FilePermissionDenied
    e = cls(
        doc.get("message", ""),
        code=doc["code"], category=doc["category"], origin=doc["origin"],
        retryable=doc["retryable"],
        retry_after=None if retry_after_ms is None else retry_after_ms / 1000,
        action=doc["action"], http_status=doc["http_status"],
        server_code=doc["server_code"], server_message=doc["server_message"],
        request_id=doc["request_id"], limit=doc["limit"], url=doc["url"])
    e.clock_skew = None if skew_ms is None else skew_ms / 1000
    return e


def borrowed(err: Any) -> Error:
    """The exception for a ferry_error* the caller does not own."""
    return _from_doc(json.loads(_s(lib.ferry_error_json(err))))


def from_native(err: Any, code_value: int) -> Error:
    """Builds the exception for a ferry_error* (may be NULL) and frees it."""
    if not err:
        name = _s(lib.ferry_code_name(code_value)) or "internal_error"
        return ERROR_CLASSES.get(name, Error)(name, code=name)
    try:
        return borrowed(err)
    finally:
        lib.ferry_error_free(err)
