# SPDX-License-Identifier: Apache-2.0
"""A running upload (client.start()) and the unfinished-uploads list."""

import asyncio
import ctypes
import dataclasses
import time
from typing import Any, List, Optional

from ferry import errors as _errors
from ferry._native import UploadStatus as _CStatus
from ferry._error_base import Error
from ferry._native import lib
from ferry._types import UploadResult, result_of

PHASES = {0: "opening", 1: "resuming", 2: "creating", 3: "sending",
          4: "paused", 5: "finishing", 6: "done", 7: "failed"}


@dataclasses.dataclass(frozen=True)
class UploadStatus:
    """phase: opening, resuming, creating, sending, paused, finishing, done
    or failed. bytes_total is what was read so far for a stream whose end
    is not known yet (total_known False). last_error: the last error met
    (retried, or final once failed) as a ferry.FerryError, or None."""
    phase: str
    bytes_done: int
    bytes_total: int
    bytes_acked: int
    wire_bytes: int
    total_known: bool
    last_error: Optional[Error]


@dataclasses.dataclass(frozen=True)
class PendingUpload:
    """An upload the state directory holds that has not finished. path is
    "" for a stream (resumable False: it cannot be read again).
    bytes_on_server: what the server had when the state was last saved.
    last_error: how it last ended (a ferry.FerryError), or None (killed)."""
    id: str
    path: str
    name: str
    endpoint: str
    protocol: str
    size: int
    bytes_on_server: int
    expires: str
    created_unix: int
    resumable: bool
    last_error: Optional[Error]


def _s(b: Optional[bytes]) -> str:
    return b.decode("utf-8", "replace") if b else ""


def _error_of(code: int, message: str) -> Error:
    name = _s(lib.ferry_code_name(code)) or "internal_error"
    return _errors.ERROR_CLASSES.get(name, _errors.FerryError)(message,
                                                               code=name)


class Upload:
    """A running upload: pause(), resume(), cancel(discard=False),
    wait(timeout=None) -> UploadResult, status, done(). Its callbacks run on
    the upload's own thread. Closing it (or losing it) cancels an upload
    still running, keeping its resume state. Thread-safe."""

    def __init__(self, handle: int, keep: List[Any],
                 raised: List[List[BaseException]]) -> None:
        self._handle = handle
        self._keep: Optional[List[Any]] = keep  # thunks, buffers, objects
        self._raised = raised  # lists the callbacks' exceptions go to

    def _call(self, fn: Any, *args: Any) -> None:
        if not self._handle:
            raise ValueError("upload handle is closed")
        err = ctypes.c_void_p()
        rc = fn(self._handle, *args, ctypes.byref(err))
        if rc != 0:
            raise _errors.from_native(err.value, rc)

    def pause(self) -> None:
        """Stops sending (within about a second) and holds no connection.
        Raises ferry.InvalidArgument once the upload has ended."""
        self._call(lib.ferry_upload_pause)

    def resume(self) -> None:
        """Continues from the offset the server reports."""
        self._call(lib.ferry_upload_resume)

    def cancel(self, discard: bool = False) -> None:
        """Ends the upload with ferry.Cancelled; discard=True also removes
        the server's copy and the resume state."""
        self._call(lib.ferry_upload_cancel, 1 if discard else 0)

    def done(self) -> bool:
        """Whether the upload has ended."""
        return bool(self._handle) and int(lib.ferry_upload_wait(
            self._handle, 0)) == 1

    @property
    def status(self) -> UploadStatus:
        if not self._handle:
            raise ValueError("upload handle is closed")
        c = _CStatus()
        c.struct_size = ctypes.sizeof(_CStatus)
        lib.ferry_upload_get_status(self._handle, ctypes.byref(c))
        last: Optional[Error] = None
        err = lib.ferry_upload_last_error(self._handle)
        if err:
            last = _errors.from_native(err, c.last_error_code)
        return UploadStatus(PHASES.get(c.phase, "unknown"), c.bytes_done,
                            c.bytes_total, c.bytes_acked, c.wire_bytes,
                            bool(c.total_known), last)

    def _wait_ended(self, timeout: Optional[float] = None) -> bool:
        """True once ended; waits in slices so Ctrl-C is seen promptly."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            slice_ms = 100
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return int(lib.ferry_upload_wait(self._handle, 0)) == 1
                slice_ms = max(1, min(100, int(left * 1000)))
            if lib.ferry_upload_wait(self._handle, slice_ms) == 1:
                return True

    def wait(self, timeout: Optional[float] = None) -> UploadResult:
        """Waits for the end and returns the UploadResult, or raises the
        upload's error (an exception of a callback first, unchanged).
        Raises TimeoutError when `timeout` seconds pass first. Ctrl-C while
        waiting cancels the upload (its resume state kept) and re-raises."""
        if not self._handle:
            raise ValueError("upload handle is closed")
        try:
            if not self._wait_ended(timeout):
                raise TimeoutError("the upload is still running")
        except KeyboardInterrupt:
            # Ctrl-C: the upload stops with its state kept, then the
            # interrupt goes on as Python users expect.
            lib.ferry_upload_cancel(self._handle, 0, None)
            self._wait_stopped()
            raise
        return self._outcome()

    def _wait_stopped(self) -> None:
        # A second Ctrl-C must not return while the upload still runs.
        while True:
            try:
                if lib.ferry_upload_wait(self._handle, 100) == 1:
                    return
            except KeyboardInterrupt:
                continue

    def _outcome(self) -> UploadResult:
        for raised in self._raised:
            if raised:
                first = raised[0]
                raised.clear()  # a client's list serves its next upload
                raise first
        result, err = ctypes.c_void_p(), ctypes.c_void_p()
        rc = lib.ferry_upload_outcome(self._handle, ctypes.byref(result),
                                      ctypes.byref(err))
        if rc != 0:
            raise _errors.from_native(err.value, rc)
        try:
            return result_of(result.value)
        finally:
            lib.ferry_result_free(result.value)

    async def wait_async(self) -> UploadResult:
        """wait() for asyncio: cancelling the awaiting task cancels the
        upload (its resume state kept) and re-raises CancelledError."""
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, lib.ferry_upload_wait,
                                       self._handle, -1)
        except asyncio.CancelledError:
            lib.ferry_upload_cancel(self._handle, 0, None)
            await asyncio.shield(loop.run_in_executor(
                None, lib.ferry_upload_wait, self._handle, -1))
            raise
        return self._outcome()

    def close(self) -> None:
        """Frees the handle; an upload still running is cancelled (state
        kept) and waited for."""
        if self._handle:
            lib.ferry_upload_free(self._handle)
            self._handle = 0
            self._keep = None  # the upload has ended: buffers are free

    def __enter__(self) -> "Upload":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def __repr__(self) -> str:
        if not self._handle:
            return "<ferry.Upload closed>"
        st = self.status
        return (f"<ferry.Upload {st.phase} {st.bytes_done}/{st.bytes_total}"
                f" bytes>")


def pending_list(client_handle: int) -> List[PendingUpload]:
    out = ctypes.c_void_p()
    err = ctypes.c_void_p()
    rc = lib.ferry_client_pending(client_handle, ctypes.byref(out),
                                  ctypes.byref(err))
    if rc != 0:
        raise _errors.from_native(err.value, rc)
    from ferry._native import PendingEntry
    entries: List[PendingUpload] = []
    try:
        for i in range(lib.ferry_pending_count(out.value)):
            e = PendingEntry()
            e.struct_size = ctypes.sizeof(PendingEntry)
            lib.ferry_pending_get(out.value, i, ctypes.byref(e))
            last = _error_of(e.last_error_code, _s(e.last_error_message)) \
                if e.last_error_code else None
            entries.append(PendingUpload(
                _s(e.id), _s(e.path), _s(e.name), _s(e.endpoint),
                _s(e.protocol), e.size, e.bytes_on_server, _s(e.expires),
                e.created_unix, bool(e.resumable), last))
    finally:
        lib.ferry_pending_free(out.value)
    return entries
