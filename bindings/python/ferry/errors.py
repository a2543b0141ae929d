"""ferry's typed errors as Python exceptions.

One class per code of the C library's error table (generated at import, so
Python can never drift from C): ferry.FileTooLarge, ferry.RateLimited, ...
All derive from ferry.FerryError.
"""

import ctypes
import json

from ferry._native import CodeInfo, lib


def _s(b):
    return b.decode("utf-8", "replace") if b is not None else ""


class FerryError(Exception):
    """A typed ferry error.

    Attributes: code, category, origin, retryable, retry_after (seconds or
    None), action, action_description, message, http_status, server_code,
    server_message, request_id, limit (or None), url (redacted),
    clock_skew (server clock minus this device's, seconds, or None).
    """

    code = "unknown"

    def __init__(self, message="", **fields):
        super().__init__(message)
        self.message = message
        info = CODES.get(fields.get("code", self.code), {})
        self.code = fields.get("code", self.code)
        self.category = fields.get("category", info.get("category", ""))
        self.origin = fields.get("origin", info.get("origin", ""))
        self.retryable = fields.get("retryable", info.get("retryable", False))
        self.retry_after = fields.get("retry_after")
        self.action = fields.get("action", info.get("action", ""))
        self.http_status = fields.get("http_status", 0)
        self.server_code = fields.get("server_code", "")
        self.server_message = fields.get("server_message", "")
        self.request_id = fields.get("request_id", "")
        self.limit = fields.get("limit")
        self.url = fields.get("url", "")
        self.clock_skew = fields.get("clock_skew")

    @property
    def action_description(self):
        return ACTION_DESCRIPTIONS.get(self.action, "")

    def to_dict(self):
        return {k: getattr(self, k) for k in (
            "code", "category", "origin", "retryable", "retry_after", "action",
            "message", "http_status", "server_code", "server_message",
            "request_id", "limit", "url", "clock_skew")}

    def __str__(self):
        return f"{self.code}: {self.message} (action: {self.action})"


def _class_name(code):
    return "".join(part.capitalize() for part in code.split("_"))


CODES = {}
ERROR_CLASSES = {}
ACTION_DESCRIPTIONS = {}

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
    cls = type(_class_name(name), (FerryError,),
               {"code": name, "__doc__": _s(info.meaning)})
    ERROR_CLASSES[name] = cls
    globals()[cls.__name__] = cls

_a = 0
while lib.ferry_action_name(_a) is not None:
    ACTION_DESCRIPTIONS[_s(lib.ferry_action_name(_a))] = _s(
        lib.ferry_action_description(_a))
    _a += 1


def _from_doc(doc):
    retry_after_ms = doc.get("retry_after_ms")
    skew_ms = doc.get("clock_skew_ms")
    cls = ERROR_CLASSES.get(doc["code"], FerryError)
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


def borrowed(err):
    """The exception for a ferry_error* the caller does not own."""
    return _from_doc(json.loads(_s(lib.ferry_error_json(err))))


def from_native(err, code_value):
    """Builds the exception for a ferry_error* (may be NULL) and frees it."""
    if not err:
        name = _s(lib.ferry_code_name(code_value)) or "internal_error"
        return ERROR_CLASSES.get(name, FerryError)(name, code=name)
    try:
        return borrowed(err)
    finally:
        lib.ferry_error_free(err)
