# SPDX-License-Identifier: Apache-2.0
"""The values ferry hands back: results, progress, events."""

import dataclasses
from typing import Any

from ferry._native import lib


@dataclasses.dataclass(frozen=True)
class UploadResult:
    # The upload's URL; may hold a secret (a signed URL): not in repr().
    url: str = dataclasses.field(repr=False)
    bytes: int
    wire_bytes: int
    sha256: str
    resumed_from: int
    encoding: str = "identity"
    # url without user info, query and fragment: safe to log.
    url_redacted: str = ""


@dataclasses.dataclass(frozen=True)
class Progress:
    bytes_done: int
    # For a stream of unknown length: the bytes read so far, until its end
    # is read (total_known then turns True).
    bytes_total: int
    bytes_acked: int
    wire_bytes: int
    total_known: bool = True


@dataclasses.dataclass(frozen=True)
class Event:
    type: str
    code: str
    attempt: int
    delay_ms: int
    offset: int
    message: str
    # In upload_batch(), the index of the file the event is about.
    file_index: int = 0

    @property
    def delay(self) -> float:
        """The wait before a retry, in seconds."""
        return self.delay_ms / 1000


@dataclasses.dataclass(frozen=True)
class BatchProgress:
    bytes_done: int
    bytes_total: int
    wire_bytes: int
    files_total: int
    files_done: int
    files_failed: int
    files_active: int


def result_of(r: Any) -> "UploadResult":
    """The UploadResult of a ferry_result* (not freed here)."""
    return UploadResult(
        url=lib.ferry_result_url(r).decode(),
        bytes=lib.ferry_result_bytes(r),
        wire_bytes=lib.ferry_result_wire_bytes(r),
        sha256=lib.ferry_result_sha256(r).decode(),
        resumed_from=lib.ferry_result_resumed_from(r),
        encoding=lib.ferry_result_encoding(r).decode(),
        url_redacted=lib.ferry_result_url_redacted(r).decode())


