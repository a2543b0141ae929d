# SPDX-License-Identifier: Apache-2.0
"""ferry.Error, the base of every ferry exception (the classes themselves
are generated from the C library's error table: _error_classes.py)."""

from typing import Any, Dict, Optional


class Error(Exception):
    """A typed ferry error.

    Attributes: code, category, origin, retryable, retry_after (seconds or
    None), action, action_description, message, http_status, server_code,
    server_message, request_id, limit (or None), url (redacted),
    clock_skew (server clock minus this device's, seconds, or None).
    Errors pickle with every field.
    """

    code = "unknown"
    category = ""

    def __init__(self, message: str = "", **fields: Any) -> None:
        super().__init__(message)
        from ferry.errors import CODES  # the table's defaults for the code
        self.message = message
        self.code = fields.get("code", type(self).code)
        info = CODES.get(self.code, {})
        self.category = fields.get("category",
                                   info.get("category", type(self).category))
        self.origin: str = fields.get("origin", info.get("origin", ""))
        self.retryable: bool = fields.get("retryable",
                                          info.get("retryable", False))
        self.retry_after: Optional[float] = fields.get("retry_after")
        self.action: str = fields.get("action", info.get("action", ""))
        self.http_status: int = fields.get("http_status", 0)
        self.server_code: str = fields.get("server_code", "")
        self.server_message: str = fields.get("server_message", "")
        self.request_id: str = fields.get("request_id", "")
        self.limit: Optional[int] = fields.get("limit")
        self.url: str = fields.get("url", "")
        self.clock_skew: Optional[float] = fields.get("clock_skew")

    @property
    def action_description(self) -> str:
        from ferry.errors import ACTION_DESCRIPTIONS
        return ACTION_DESCRIPTIONS.get(self.action, "")

    def to_dict(self) -> Dict[str, Any]:
        return {k: getattr(self, k) for k in (
            "code", "category", "origin", "retryable", "retry_after", "action",
            "message", "http_status", "server_code", "server_message",
            "request_id", "limit", "url", "clock_skew")}

    def __str__(self) -> str:
        return f"{self.code}: {self.message} (action: {self.action})"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r})"
