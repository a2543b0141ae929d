# SPDX-License-Identifier: Apache-2.0
"""ferry: resumable, verified uploads with typed errors (Python binding).

    import ferry
    client = ferry.Client("http://127.0.0.1:1080/files/")
    try:
        result = client.upload("video.mp4", on_progress=print)
    except ferry.FileTooLarge as e:
        print(e.limit, e.action)

A thin ctypes layer over libferry's C ABI; see docs/errors.md for the codes.
"""

import collections
import ctypes
import dataclasses
import json
import logging
import os
import threading
import warnings
from typing import (Any, Callable, Dict, Iterable, List, Mapping, NamedTuple,
                    Optional, Sequence, Tuple, Union)

from ferry import errors as _errors
from ferry._native import (BATCH_FILE_FN, BATCH_PROGRESS_FN, EVENT_FN, KV,
                           LOG_FN, PRESIGN_FN, PROGRESS_FN, REFRESH_FN,
                           BatchOptions, ClientOptions, UploadOptions, lib)
from ferry import _error_classes
from ferry._error_classes import *  # noqa: F401,F403  (one class per code)
from ferry.errors import (CATEGORY_CLASSES, CODES, ERROR_CLASSES, Error,
                          FerryError, FilePermissionDenied)
from ferry._handle import PendingUpload, Upload, UploadStatus, pending_list
from ferry._sources import open_source
from ferry._types import (BatchProgress, Event, Progress, UploadResult,
                          result_of as _result)

__version__ = lib.ferry_version().decode()

S3_OPS = {1: "create", 2: "upload_part", 3: "list_parts", 4: "complete",
          5: "abort", 6: "head_object"}


@dataclasses.dataclass(frozen=True)
class PresignRequest:
    """What a presigned S3 URL is asked for (docs/s3.md). op: one of
    S3_OPS' names; part_number: the part (upload_part) or the
    part-number-marker of a later ListParts page (0: the first); headers:
    what ferry sends with the request, which the signature may cover."""
    op: str
    method: str
    bucket: str
    key: str
    upload_id: str
    part_number: int
    headers: Dict[str, str]


EVENT_TYPES = {1: "retry", 2: "resumed", 3: "restarted", 4: "created",
               5: "state_discarded", 6: "compression_off", 7: "paused",
               8: "unpaused", 9: "tls_unverified"}


class SecurityWarning(UserWarning):
    """A setting that weakens security (TLS verification off)."""


def _event(c: Any) -> Event:
    code = lib.ferry_code_name(c.code)
    return Event(EVENT_TYPES.get(c.type, "unknown"),
                 code.decode() if code else "", c.attempt, c.delay_ms,
                 c.offset, c.message.decode("utf-8", "replace"), c.file_index)


def _thunk(callback: Callable[..., Any], convert: Callable[..., Tuple[Any, ...]],
           raised: List[BaseException],
           cancels: bool = True) -> Callable[..., int]:
    """A C callback calling callback(convert(args)): True from it (when it
    may cancel) returns 1 to ferry; an exception it raises is kept in
    `raised` (for the caller to re-raise) and cancels."""
    def thunk(*args: Any) -> int:
        try:
            stop = callback(*convert(*args[:-1]))
            return 1 if cancels and stop is True else 0
        except BaseException as e:  # noqa: B902 - re-raised by the caller
            raised.append(e)
            return 1
    return thunk


def _kv_array(metadata: Optional[Mapping[str, str]],
              keep: List[Any]) -> Tuple[Any, int]:
    pairs = list((metadata or {}).items())
    kv = (KV * max(len(pairs), 1))()
    for i, (k, v) in enumerate(pairs):
        keep += [_b(k), _b(v)]
        kv[i].key, kv[i].value = keep[-2], keep[-1]
    return kv, len(pairs)


def _b(s: Union[None, str, "os.PathLike[str]"]) -> Optional[bytes]:
    if s is None:
        return None
    if isinstance(s, str):
        return s.encode()
    return os.fsencode(s)


_LOGGER = logging.getLogger("ferry")
# Client(protocol=...) names, in ferry_protocol's order (ferry.h).
_PROTOCOLS = ("tus", "s3", "ietf", "auto")


def _log_line(level: int, message: bytes, _: Any) -> None:
    """ferry's log hook: a redacted line to logging.getLogger("ferry")."""
    try:
        if _LOGGER.isEnabledFor(level):
            _LOGGER.log(level, "%s", message.decode("utf-8", "replace"))
    except Exception:  # noqa: BLE001 - a log line must never stop an upload
        pass


def _seconds(name: str, seconds: Optional[float],
             old_ms: Optional[float]) -> Optional[float]:
    """A duration in seconds, from the new name or its deprecated
    millisecond alias."""
    if old_ms is None:
        return seconds
    warnings.warn(f"ferry: {name}_ms-style millisecond options are "
                  f"deprecated; use {name}= in seconds", DeprecationWarning,
                  stacklevel=3)
    return old_ms / 1000


def _ms(seconds: Optional[float]) -> int:
    """Seconds to the C option's milliseconds (0: the default; at least 1
    ms for any positive value)."""
    if not seconds:
        return 0
    return max(1, int(round(seconds * 1000)))


class S3Credentials(NamedTuple):
    """Fresh S3 keys for on_refresh_credentials to return (the upload goes
    on where it was, signed with them)."""
    access_key_id: str
    secret_access_key: str
    session_token: Optional[str] = None

    def __repr__(self) -> str:
        return "S3Credentials(access_key_id=%r, secret_access_key=<hidden>)" % (
            self.access_key_id,)


# What client.upload() and client.start() take (see ferry._sources).
Source = Any


class Client:
    """An upload client for one endpoint. Thread-safe: several threads may
    call upload() at once (each runs on its caller's thread)."""

    def __init__(
            self, endpoint: str, *, state_dir: Optional[str] = None,
            chunk_size: Optional[int] = None,
            headers: Optional[Mapping[str, str]] = None,
            ca_file: Optional[str] = None,
            insecure_skip_tls_verify: bool = False,
            max_retries: Optional[int] = None,
            retry_base: Optional[float] = None,
            retry_max: Optional[float] = None,
            retry_deadline: Optional[float] = None,
            stall_timeout: Optional[float] = None,
            connect_timeout: Optional[float] = None,
            max_send_bytes_per_sec: Optional[int] = None,
            blocked_extensions: Optional[Iterable[str]] = None,
            max_files_per_batch: Optional[int] = None,
            max_clock_skew: Optional[float] = None,
            rules: Union[None, Mapping[str, Any],
                         Iterable[Mapping[str, Any]]] = None,
            rules_file: Union[None, str, "os.PathLike[str]"] = None,
            on_refresh_credentials: Optional[Callable[
                [Error], Union[None, Mapping[str, str], S3Credentials]]] = None,
            compress: Union[str, int, bool] = "auto",
            allowed_origins: Optional[Iterable[str]] = None,
            request_size: Optional[int] = None,
            memory_budget: Optional[int] = None,
            announce_sha256: bool = False, protocol: str = "tus",
            bucket: Optional[str] = None, access_key_id: Optional[str] = None,
            secret_access_key: Optional[str] = None,
            session_token: Optional[str] = None, region: Optional[str] = None,
            unsigned_payload: bool = False, part_size: Optional[int] = None,
            parallel_parts: Optional[int] = None, clock_offset: float = 0.0,
            addressing: str = "auto",
            multipart_threshold: Optional[int] = None,
            profile: Optional[str] = None,
            presign: Optional[Callable[[PresignRequest], Optional[str]]] = None,
            retry_base_delay_ms: Optional[float] = None,
            retry_max_delay_ms: Optional[float] = None,
            retry_deadline_ms: Optional[float] = None,
            clock_offset_ms: Optional[float] = None) -> None:
        """protocol: "tus"; "ietf" for the IETF resumable-upload draft
        (docs/ietf.md); "auto" for tus or the draft, as the endpoint's
        OPTIONS answer says; or "s3" for S3 multipart to endpoint/bucket/key
        (credentials found as the AWS CLI finds them; addressing "auto",
        "path" or "virtual": where the bucket goes; files smaller than
        multipart_threshold bytes, default 8 MiB, 0 never, go in one
        PutObject; profile: the ~/.aws profile to read keys, region and
        credential_process from when neither arguments nor environment
        give keys, default AWS_PROFILE, then "default"; see docs/s3.md);
        presign(PresignRequest) -> URL or None turns on S3's
        presigned mode: no secret on this device, every request goes to the
        URL it returns (called from several threads; None cancels).
        on_refresh_credentials(error) is called on unauthenticated or
        credentials_expired; return a dict of fresh headers (or, for S3, an
        S3Credentials with fresh keys) to retry where the upload was, or None
        to give up. rules: a list of rule dicts (see
        docs/rules.md) or a rules document; rules_file: a path to one.

        Every duration is in seconds (floats welcome): retry_base (first
        backoff, 0.25), retry_max (its cap, 30), retry_deadline (longest
        retrying without progress, 300), stall_timeout (30),
        connect_timeout (15), max_clock_skew (120), clock_offset. The
        millisecond names of 0.1 (retry_base_delay_ms, retry_max_delay_ms,
        retry_deadline_ms, clock_offset_ms) still work for one release, with
        a DeprecationWarning."""
        retry_base = _seconds("retry_base", retry_base, retry_base_delay_ms)
        retry_max = _seconds("retry_max", retry_max, retry_max_delay_ms)
        retry_deadline = _seconds("retry_deadline", retry_deadline,
                                  retry_deadline_ms)
        clock_offset = _seconds("clock_offset", clock_offset,
                                clock_offset_ms) or 0.0
        self._handle: Optional[int] = None
        self._endpoint_redacted = endpoint.split("?")[0].split("#")[0]
        if "@" in self._endpoint_redacted.split("//", 1)[-1].split("/")[0]:
            scheme, rest = self._endpoint_redacted.split("//", 1)
            self._endpoint_redacted = scheme + "//" + rest.split("@", 1)[1]
        o = ClientOptions()
        o.struct_size = ctypes.sizeof(ClientOptions)
        self._keep: List[Any] = [_b(endpoint), _b(state_dir), _b(ca_file)]
        o.endpoint, o.state_dir, o.ca_file = self._keep
        o.insecure_skip_tls_verify = 1 if insecure_skip_tls_verify else 0
        if insecure_skip_tls_verify:
            warnings.warn("ferry: TLS verification is OFF; anyone on the path "
                          "can read and alter these uploads", SecurityWarning,
                          stacklevel=2)
        o.chunk_size = chunk_size or 0
        o.request_size = request_size or 0
        o.memory_budget = memory_budget or 0
        o.announce_sha256 = 1 if announce_sha256 else 0
        if protocol not in _PROTOCOLS:
            raise ValueError("protocol must be one of " +
                             ", ".join(repr(p) for p in _PROTOCOLS))
        o.protocol = _PROTOCOLS.index(protocol)
        s3_strings = [_b(bucket), _b(access_key_id), _b(secret_access_key),
                      _b(session_token), _b(region), _b(profile)]
        self._keep += s3_strings
        (o.s3_bucket, o.s3_access_key_id, o.s3_secret_access_key,
         o.s3_session_token, o.s3_region, o.s3_profile) = s3_strings
        o.s3_unsigned_payload = 1 if unsigned_payload else 0
        o.s3_part_size = part_size or 0
        o.s3_parallel_parts = parallel_parts or 0
        if addressing not in ("auto", "path", "virtual"):
            raise ValueError("addressing must be 'auto', 'path' or 'virtual'")
        o.s3_addressing = ("auto", "path", "virtual").index(addressing)
        if multipart_threshold is not None:
            # 0: always multipart (C's 0 is the default, 8 MiB).
            o.s3_multipart_threshold = multipart_threshold or -1
        o.clock_offset_ms = int(round(clock_offset * 1000))
        if max_retries is not None:
            o.max_retries = max_retries
            o.no_retries = 1 if max_retries == 0 else 0
        o.retry_base_delay_ms = _ms(retry_base)
        o.retry_max_delay_ms = _ms(retry_max)
        o.retry_deadline_ms = _ms(retry_deadline)
        o.stall_window_ms = int((stall_timeout or 0) * 1000)
        o.connect_timeout_ms = int((connect_timeout or 0) * 1000)
        o.max_send_bytes_per_sec = max_send_bytes_per_sec or 0
        if blocked_extensions:
            self._keep.append(",".join(blocked_extensions).encode())
            o.blocked_extensions = self._keep[-1]
        o.max_files_per_batch = max_files_per_batch or 0
        if allowed_origins:
            self._keep.append(",".join(allowed_origins).encode())
            o.allowed_origins = self._keep[-1]
        if compress == "auto":
            o.compress_level = 0
        elif compress == "off" or compress is False:
            o.compress_level = -1
        elif isinstance(compress, int) and 1 <= compress <= 22:
            o.compress_level = compress
        else:
            raise ERROR_CLASSES["invalid_argument"](
                "compress must be 'auto', 'off' or a level 1-22",
                code="invalid_argument")
        o.max_clock_skew_ms = int((max_clock_skew or 0) * 1000)
        # Everything ferry says goes to logging.getLogger("ferry"), which
        # filters by its own level (DEBUG lines are few: one per upload).
        self._log_fn = LOG_FN(_log_line)
        o.on_log = self._log_fn
        o.log_level = logging.DEBUG
        self._callback_errors: List[BaseException] = []
        if on_refresh_credentials is not None:
            refresh = on_refresh_credentials

            def refresh_thunk(why: Any, out: Any, _: Any) -> int:
                try:
                    fresh = refresh(_errors.borrowed(why))
                    if not fresh:
                        return 1
                    if isinstance(fresh, S3Credentials):
                        return 0 if lib.ferry_credentials_set_s3(
                            out, _b(fresh.access_key_id),
                            _b(fresh.secret_access_key),
                            _b(fresh.session_token)) == 0 else 1
                    for name, value in fresh.items():
                        if lib.ferry_credentials_set_header(
                                out, _b(name), _b(value)) != 0:
                            return 1
                    return 0
                except BaseException as e:  # noqa: B902 - re-raised later
                    self._callback_errors.append(e)
                    return 1
            self._refresh_fn = REFRESH_FN(refresh_thunk)  # kept alive
            o.on_refresh_credentials = self._refresh_fn
        if presign is not None:
            presigner = presign

            def presign_thunk(req: Any, url_out: Any, capacity: int,
                              _: Any) -> int:
                try:
                    r = req.contents
                    n = r.header_count
                    url = presigner(PresignRequest(
                        op=S3_OPS.get(r.op, str(r.op)),
                        method=r.method.decode(), bucket=r.bucket.decode(),
                        key=r.key.decode(), upload_id=r.upload_id.decode(),
                        part_number=r.part_number,
                        headers={r.header_names[i].decode():
                                 r.header_values[i].decode()
                                 for i in range(n)}))
                    if url is None:
                        return 1
                    raw = url.encode()
                    if len(raw) >= capacity:
                        return 1
                    ctypes.memmove(url_out, raw + b"\0", len(raw) + 1)
                    return 0
                except BaseException as e:  # noqa: B902 - re-raised later
                    self._callback_errors.append(e)
                    return 1
            self._presign_fn = PRESIGN_FN(presign_thunk)  # kept alive
            o.s3_presign = self._presign_fn
        err = ctypes.c_void_p()
        handle = lib.ferry_client_new(ctypes.byref(o), ctypes.byref(err))
        if not handle:
            raise _errors.from_native(err.value, 1)
        self._handle = handle
        for name, value in (headers or {}).items():
            rc = lib.ferry_client_add_header(handle, _b(name), _b(value))
            if rc != 0:
                raise ERROR_CLASSES["invalid_argument"](
                    f"header not allowed: {name}", code="invalid_argument")
        if rules is not None:
            doc = rules if isinstance(rules, dict) else {"rules": list(rules)}
            err = ctypes.c_void_p()
            if lib.ferry_client_add_rules_json(
                    handle, json.dumps(doc).encode(), ctypes.byref(err)) != 0:
                raise _errors.from_native(err.value, 1)
        if rules_file is not None:
            err = ctypes.c_void_p()
            if lib.ferry_client_load_rules_file(
                    handle, _b(os.fspath(rules_file)), ctypes.byref(err)) != 0:
                raise _errors.from_native(err.value, 1)

    def doctor(self) -> Dict[str, Any]:
        """Checks DNS, TCP, TLS, clock, server capabilities, credentials and
        a 1-byte upload. Returns a dict: {"ok": bool, "checks": [{"check",
        "status", "detail", "error"?}], "text": str}. Never raises for what
        it finds. It runs on the calling thread and ends within its own
        timeouts (Ctrl-C is seen when it returns)."""
        report = ctypes.c_void_p()
        err = ctypes.c_void_p()
        lib.ferry_client_doctor(self._handle, ctypes.byref(report),
                                ctypes.byref(err))
        if err.value:
            lib.ferry_error_free(err.value)
        try:
            doc: Dict[str, Any] = json.loads(
                lib.ferry_doctor_report_json(report.value))
            doc["text"] = lib.ferry_doctor_report_text(report.value).decode()
        finally:
            lib.ferry_doctor_report_free(report.value)
        return doc

    def check_batch(self, count: int) -> None:
        """Raises ferry.TooManyFiles when count exceeds max_files_per_batch."""
        err = ctypes.c_void_p()
        rc = lib.ferry_client_check_batch(self._handle, count,
                                          ctypes.byref(err))
        if rc != 0:
            raise _errors.from_native(err.value, rc)

    def close(self) -> None:
        if self._handle:
            lib.ferry_client_free(self._handle)
            self._handle = None

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._handle is None else "open"
        return f"<ferry.Client {self._endpoint_redacted} {state}>"

    def upload(self, src: Source, *,
               metadata: Optional[Mapping[str, str]] = None,
               on_progress: Optional[Callable[[Progress], Any]] = None,
               on_event: Optional[Callable[[Event], Any]] = None,
               discard_on_cancel: bool = False, on_change: str = "fail",
               key: Optional[str] = None,
               name: Optional[str] = None,
               content_type: Optional[str] = None,
               object_headers: Optional[Mapping[str, str]] = None,
               guess_content_type: bool = False) -> UploadResult:
        """Uploads (or resumes) one source and returns an UploadResult.

        src: a path, bytes-like data, or a binary file object (seekable or
        not: see "Sources" in the README for what resumes when). name: what
        the upload goes by (tus filename, the default S3 key). The upload
        runs on a thread of its own (so are the callbacks called) while this
        one waits: Ctrl-C raises KeyboardInterrupt here within 0.1 s, after
        cancelling the upload with its resume state kept.

        S3 object settings: content_type, object_headers (Cache-Control,
        Content-Disposition, x-amz-storage-class, x-amz-server-side-
        encryption...; docs/s3.md lists them), guess_content_type (from the
        name's extension, /etc/mime.types). tus takes only the content type,
        as "filetype" metadata.

        on_progress(Progress) and on_event(Event) may return True to cancel
        (raising ferry.Cancelled); an exception they raise (or the file
        object's read raises) cancels the upload and is re-raised here,
        unchanged. Raises a ferry.Error subclass named after the error code.
        """
        up = self.start(src, metadata=metadata, on_progress=on_progress,
                        on_event=on_event,
                        discard_on_cancel=discard_on_cancel,
                        on_change=on_change, key=key, name=name,
                        content_type=content_type,
                        object_headers=object_headers,
                        guess_content_type=guess_content_type)
        try:
            return up.wait()
        finally:
            up.close()

    def start(self, src: Source, *,
              metadata: Optional[Mapping[str, str]] = None,
              on_progress: Optional[Callable[[Progress], Any]] = None,
              on_event: Optional[Callable[[Event], Any]] = None,
              discard_on_cancel: bool = False, on_change: str = "fail",
              key: Optional[str] = None,
              name: Optional[str] = None,
              content_type: Optional[str] = None,
              object_headers: Optional[Mapping[str, str]] = None,
              guess_content_type: bool = False) -> Upload:
        """Starts uploading src on a thread of its own and returns an
        Upload: .pause() .resume() .cancel(discard=False) .wait(timeout)
        .status. Callbacks run on the upload's thread. Arguments as for
        upload(). Closing the client cancels its running uploads (their
        resume state kept)."""
        source = open_source(src, name)
        try:
            o, keep, raised = self._upload_options(
                metadata, on_progress, on_event, discard_on_cancel, on_change,
                key)
            _object_settings(o, keep, content_type, object_headers,
                             guess_content_type)
            err = ctypes.c_void_p()
            handle = lib.ferry_upload_start(self._handle, source.handle,
                                            ctypes.byref(o), ctypes.byref(err))
        finally:
            source.close()
        if not handle:
            raise _errors.from_native(err.value, 1)
        # The read callback's exceptions count as the callbacks' do. The
        # handle keeps the client alive; closing the client ends it.
        return Upload(handle, [self, keep, source.keep, o],
                      [raised, source.raised, self._callback_errors])

    async def upload_async(self, src: Source, **kwargs: Any) -> UploadResult:
        """upload() for asyncio (the upload runs on its own thread).
        Cancelling the task cancels the upload and keeps its resume state."""
        up = self.start(src, **kwargs)
        try:
            return await up.wait_async()
        finally:
            up.close()

    def pending(self) -> List[PendingUpload]:
        """The unfinished uploads of this client (same endpoint, protocol
        and bucket) in its state directory, oldest first, as PendingUpload
        entries. Expired ones are removed, not listed. Continue one with
        resume_pending(entry) (or by uploading its path again); drop one
        with forget(entry)."""
        if self._handle is None:
            raise ValueError("client is closed")
        return pending_list(self._handle)

    def resume_pending(self, entry: PendingUpload,
                       **kwargs: Any) -> UploadResult:
        """Continues a PendingUpload. Raises ferry.SourceNotResumable for a
        stream (its bytes cannot be read again)."""
        if not entry.resumable:
            raise ERROR_CLASSES["source_not_resumable"](
                f"pending upload {entry.id} ({entry.name or 'a stream'}) was "
                "read from a stream, which cannot be read again: upload the "
                "data again, and forget this entry (discard_remote=True "
                "removes the server's partial copy)",
                code="source_not_resumable")
        return self.upload(entry.path, **kwargs)

    def forget(self, entry: Union[PendingUpload, str],
               discard_remote: bool = False) -> None:
        """Removes a pending upload's resume state (entry: a PendingUpload
        or its id); discard_remote=True first deletes the server's copy
        (tus termination, S3 abort)."""
        if self._handle is None:
            raise ValueError("client is closed")
        entry_id = entry if isinstance(entry, str) else entry.id
        err = ctypes.c_void_p()
        rc = lib.ferry_client_forget(self._handle, entry_id.encode(),
                                     1 if discard_remote else 0,
                                     ctypes.byref(err))
        if rc != 0:
            raise _errors.from_native(err.value, rc)

    def _upload_options(
            self, metadata: Optional[Mapping[str, str]],
            on_progress: Optional[Callable[[Progress], Any]],
            on_event: Optional[Callable[[Event], Any]],
            discard_on_cancel: bool, on_change: str, key: Optional[str]
    ) -> Tuple[Any, List[Any], List[BaseException]]:
        """The C options of one upload, what they point into, and the list
        the callbacks' exceptions go to."""
        keep: List[Any] = []
        o = self._options(UploadOptions, metadata, keep, discard_on_cancel,
                          on_change)
        if key:  # S3: the object's key (default: the source's name)
            keep.append(_b(key))
            o.object_key = keep[-1]
        raised: List[BaseException] = []

        def progress(p: Any) -> Tuple[Progress]:
            c = p.contents
            return (Progress(c.bytes_done, c.bytes_total, c.bytes_acked,
                             c.wire_bytes, bool(c.total_known)),)

        pfn = PROGRESS_FN(_thunk(on_progress, progress, raised)) \
            if on_progress else PROGRESS_FN()
        efn = EVENT_FN(_thunk(on_event, lambda e: (_event(e.contents),),
                              raised)) if on_event else EVENT_FN()
        o.on_progress, o.on_event = pfn, efn
        keep += [pfn, efn]
        return o, keep, raised

    def _options(self, cls: Any, metadata: Optional[Mapping[str, str]],
                 keep: List[Any], discard_on_cancel: bool,
                 on_change: str) -> Any:
        # The fields UploadOptions and BatchOptions share; `keep` holds the
        # buffers the struct points into.
        if self._handle is None:
            raise ValueError("client is closed")
        if on_change not in ("fail", "restart"):
            raise ValueError("on_change must be 'fail' or 'restart'")
        o = cls()
        o.struct_size = ctypes.sizeof(cls)
        o.metadata, o.metadata_count = _kv_array(metadata, keep)
        o.discard_on_cancel = 1 if discard_on_cancel else 0
        o.on_change = 1 if on_change == "restart" else 0
        return o

    def upload_batch(
            self, paths: Sequence[Union[str, "os.PathLike[str]"]], *,
            concurrency: int = 0,
            metadata: Optional[Mapping[str, str]] = None,
            on_progress: Optional[Callable[[BatchProgress], Any]] = None,
            on_event: Optional[Callable[[Event], Any]] = None,
            on_file_done: Optional[Callable[[int, Union[UploadResult, Error]],
                                            Any]] = None,
            discard_on_cancel: bool = False,
            on_change: str = "fail",
            content_type: Optional[str] = None,
            object_headers: Optional[Mapping[str, str]] = None,
            guess_content_type: bool = False
    ) -> List[Union[UploadResult, Error]]:
        """Uploads many files, `concurrency` at a time (0, the default: as
        many as the client's memory_budget holds, at most 8; never more
        than it holds) over its shared connections, and returns one outcome
        per path, in order: an UploadResult, or the ferry.FerryError that
        file ended with (not raised). Raises only for bad arguments and for
        an exception of a callback.

        on_progress(BatchProgress) and on_event(Event) (file_index says
        which file) may return True to cancel the whole batch;
        on_file_done(index, outcome) is called as each file ends. Callbacks
        never run at the same time.
        """
        paths = [os.fspath(p) for p in paths]
        keep: List[Any] = [_b(p) for p in paths]
        cpaths = (ctypes.c_char_p * max(len(paths), 1))(*keep)
        o = self._options(BatchOptions, metadata, keep, discard_on_cancel,
                          on_change)
        _object_settings(o, keep, content_type, object_headers,
                         guess_content_type)
        o.concurrency = concurrency or 0
        raised: List[BaseException] = []

        def progress(p: Any) -> Tuple[BatchProgress]:
            c = p.contents
            return (BatchProgress(c.bytes_done, c.bytes_total, c.wire_bytes,
                                  c.files_total, c.files_done, c.files_failed,
                                  c.files_active),)

        def file_done(i: int, result: Any,
                      err: Any) -> Tuple[int, Union[UploadResult, Error]]:
            return (i, _result(result) if result else _errors.borrowed(err))

        interrupted = threading.Event()

        def watched(p: BatchProgress) -> Any:
            # Always installed: Ctrl-C in the waiting thread cancels here.
            if interrupted.is_set():
                return True
            return on_progress(p) if on_progress else None

        pfn = BATCH_PROGRESS_FN(_thunk(watched, progress, raised))
        efn = EVENT_FN(_thunk(on_event, lambda e: (_event(e.contents),),
                              raised)) if on_event else EVENT_FN()
        ffn = BATCH_FILE_FN(_thunk(on_file_done, file_done, raised,
                                   cancels=False)) \
            if on_file_done else BATCH_FILE_FN()
        o.on_progress, o.on_event, o.on_file_done = pfn, efn, ffn
        batch = ctypes.c_void_p()
        # The batch runs on a thread of its own while this one waits, so
        # Ctrl-C is seen here at once (and cancels the batch, state kept).
        # The wait is on an Event the worker sets, not on Thread.join: a
        # KeyboardInterrupt inside join() marks a still running thread as
        # stopped (CPython 3.11), and returning while the native call runs
        # lets interpreter shutdown kill that thread inside libferry.
        ended = threading.Event()

        def run() -> None:
            try:
                lib.ferry_upload_batch(self._handle, cpaths, len(paths),
                                       ctypes.byref(o), ctypes.byref(batch))
            finally:
                ended.set()

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        try:
            while not ended.wait(0.1):
                pass
        except KeyboardInterrupt:
            interrupted.set()
            _wait_uninterrupted(ended)
            lib.ferry_batch_free(batch.value)
            raise
        raised += self._callback_errors
        self._callback_errors.clear()
        try:
            if raised:
                raise raised[0]
            out: List[Union[UploadResult, Error]] = []
            for i in range(len(paths)):
                r = lib.ferry_batch_result(batch.value, i)
                out.append(_result(r) if r else
                           _errors.borrowed(lib.ferry_batch_error(batch.value,
                                                                  i)))
            return out
        finally:
            lib.ferry_batch_free(batch.value)


def _object_settings(o: Any, keep: List[Any], content_type: Optional[str],
                     object_headers: Optional[Mapping[str, str]],
                     guess: bool) -> None:
    """S3: what the object is created with (docs/s3.md); tus takes only
    the content type (as filetype metadata)."""
    headers = dict(object_headers or {})
    if content_type:
        headers["Content-Type"] = content_type
    o.object_headers, o.object_headers_count = _kv_array(headers, keep)
    o.guess_content_type = 1 if guess else 0


def _wait_uninterrupted(ended: threading.Event) -> None:
    """Waits for a native call that was told to stop: a second Ctrl-C
    must not return while it still runs (see upload_batch)."""
    while True:
        try:
            if ended.wait(0.1):
                return
        except KeyboardInterrupt:
            continue


def doctor(endpoint: str, **client_options: Any) -> Dict[str, Any]:
    """ferry-doctor as a call: see Client.doctor()."""
    with Client(endpoint, **client_options) as client:
        return client.doctor()


__all__ = ["Client", "doctor", "S3Credentials", "UploadResult", "Progress",
           "Event", "BatchProgress", "Upload", "UploadStatus",
           "PendingUpload", "PresignRequest", "SecurityWarning",
           "EVENT_TYPES", "S3_OPS"]
__all__ += ["Error", "FerryError", "FilePermissionDenied", "CODES"]
__all__ += _error_classes.__all__
