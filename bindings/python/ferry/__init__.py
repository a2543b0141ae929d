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
import os
import warnings

from ferry import errors as _errors
from ferry._native import (BATCH_FILE_FN, BATCH_PROGRESS_FN, EVENT_FN, KV,
                           PRESIGN_FN, PROGRESS_FN, REFRESH_FN, BatchOptions,
                           ClientOptions, UploadOptions, lib)
from ferry.errors import *  # noqa: F401,F403  (one class per error code)
from ferry.errors import CODES, ERROR_CLASSES, FerryError
from ferry._handle import PendingUpload, Upload, UploadStatus, pending_list
from ferry._sources import open_source

__version__ = lib.ferry_version().decode()

S3_OPS = {1: "create", 2: "upload_part", 3: "list_parts", 4: "complete",
          5: "abort"}


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
    headers: dict


EVENT_TYPES = {1: "retry", 2: "resumed", 3: "restarted", 4: "created",
               5: "state_discarded", 6: "compression_off", 7: "paused",
               8: "unpaused"}


class SecurityWarning(UserWarning):
    """A setting that weakens security (TLS verification off)."""


@dataclasses.dataclass(frozen=True)
class UploadResult:
    url: str
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


@dataclasses.dataclass(frozen=True)
class BatchProgress:
    bytes_done: int
    bytes_total: int
    wire_bytes: int
    files_total: int
    files_done: int
    files_failed: int
    files_active: int


def _event(c):
    code = lib.ferry_code_name(c.code)
    return Event(EVENT_TYPES.get(c.type, "unknown"),
                 code.decode() if code else "", c.attempt, c.delay_ms,
                 c.offset, c.message.decode("utf-8", "replace"), c.file_index)


def _result(r):
    return UploadResult(
        url=lib.ferry_result_url(r).decode(),
        bytes=lib.ferry_result_bytes(r),
        wire_bytes=lib.ferry_result_wire_bytes(r),
        sha256=lib.ferry_result_sha256(r).decode(),
        resumed_from=lib.ferry_result_resumed_from(r),
        encoding=lib.ferry_result_encoding(r).decode(),
        url_redacted=lib.ferry_result_url_redacted(r).decode())


def _thunk(callback, convert, raised, cancels=True):
    """A C callback calling callback(convert(args)): True from it (when it
    may cancel) returns 1 to ferry; an exception it raises is kept in
    `raised` (for the caller to re-raise) and cancels."""
    def thunk(*args):
        try:
            stop = callback(*convert(*args[:-1]))
            return 1 if cancels and stop is True else 0
        except BaseException as e:  # noqa: B902 - re-raised by the caller
            raised.append(e)
            return 1
    return thunk


def _kv_array(metadata, keep):
    pairs = list((metadata or {}).items())
    kv = (KV * max(len(pairs), 1))()
    for i, (k, v) in enumerate(pairs):
        keep += [_b(k), _b(v)]
        kv[i].key, kv[i].value = keep[-2], keep[-1]
    return kv, len(pairs)


def _b(s):
    return None if s is None else os.fsencode(s) if isinstance(
        s, os.PathLike) else s.encode()


class S3Credentials(collections.namedtuple(
        "S3Credentials", "access_key_id secret_access_key session_token",
        defaults=(None,))):
    """Fresh S3 keys for on_refresh_credentials to return (the upload goes
    on where it was, signed with them)."""

    def __repr__(self):
        return "S3Credentials(access_key_id=%r, secret_access_key=<hidden>)" % (
            self.access_key_id,)


class Client:
    """An upload client for one endpoint. Thread-safe: several threads may
    call upload() at once (each runs on its caller's thread)."""

    def __init__(self, endpoint, *, state_dir=None, chunk_size=None,
                 headers=None, ca_file=None, insecure_skip_tls_verify=False,
                 max_retries=None, retry_base_delay_ms=None,
                 retry_max_delay_ms=None, retry_deadline_ms=None,
                 stall_timeout=None, connect_timeout=None,
                 max_send_bytes_per_sec=None, blocked_extensions=None,
                 max_files_per_batch=None, max_clock_skew=None, rules=None,
                 rules_file=None, on_refresh_credentials=None,
                 compress="auto", allowed_origins=None, request_size=None,
                 memory_budget=None, announce_sha256=False, protocol="tus",
                 bucket=None, access_key_id=None, secret_access_key=None,
                 session_token=None, region=None, unsigned_payload=False,
                 part_size=None, parallel_parts=None, clock_offset_ms=0,
                 presign=None):
        """protocol: "tus", or "s3" for S3 multipart to endpoint/bucket/key
        (credentials default to the AWS_* environment variables; see
        docs/s3.md); presign(PresignRequest) -> URL or None turns on S3's
        presigned mode: no secret on this device, every request goes to the
        URL it returns (called from several threads; None cancels).
        on_refresh_credentials(error) is called on unauthenticated or
        credentials_expired; return a dict of fresh headers (or, for S3, an
        S3Credentials with fresh keys) to retry where the upload was, or None
        to give up. rules: a list of rule dicts (see
        docs/rules.md) or a rules document; rules_file: a path to one."""
        self._handle = None
        o = ClientOptions()
        o.struct_size = ctypes.sizeof(ClientOptions)
        self._keep = [_b(endpoint), _b(state_dir), _b(ca_file)]
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
        if protocol not in ("tus", "s3"):
            raise ValueError("protocol must be 'tus' or 's3'")
        o.protocol = 1 if protocol == "s3" else 0
        s3_strings = [_b(bucket), _b(access_key_id), _b(secret_access_key),
                      _b(session_token), _b(region)]
        self._keep += s3_strings
        (o.s3_bucket, o.s3_access_key_id, o.s3_secret_access_key,
         o.s3_session_token, o.s3_region) = s3_strings
        o.s3_unsigned_payload = 1 if unsigned_payload else 0
        o.s3_part_size = part_size or 0
        o.s3_parallel_parts = parallel_parts or 0
        o.clock_offset_ms = int(clock_offset_ms)
        if max_retries is not None:
            o.max_retries = max_retries
            o.no_retries = 1 if max_retries == 0 else 0
        o.retry_base_delay_ms = retry_base_delay_ms or 0
        o.retry_max_delay_ms = retry_max_delay_ms or 0
        o.retry_deadline_ms = retry_deadline_ms or 0
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
        self._callback_errors = []
        if on_refresh_credentials is not None:
            def refresh_thunk(why, out, _):
                try:
                    fresh = on_refresh_credentials(_errors.borrowed(why))
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
            def presign_thunk(req, url_out, capacity, _):
                try:
                    r = req.contents
                    n = r.header_count
                    url = presign(PresignRequest(
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

    def doctor(self):
        """Checks DNS, TCP, TLS, clock, server capabilities, credentials and
        a 1-byte upload. Returns a dict: {"ok": bool, "checks": [{"check",
        "status", "detail", "error"?}], "text": str}. Never raises for what
        it finds."""
        report = ctypes.c_void_p()
        err = ctypes.c_void_p()
        lib.ferry_client_doctor(self._handle, ctypes.byref(report),
                                ctypes.byref(err))
        if err.value:
            lib.ferry_error_free(err.value)
        try:
            doc = json.loads(lib.ferry_doctor_report_json(report.value))
            doc["text"] = lib.ferry_doctor_report_text(report.value).decode()
        finally:
            lib.ferry_doctor_report_free(report.value)
        return doc

    def check_batch(self, count):
        """Raises ferry.TooManyFiles when count exceeds max_files_per_batch."""
        err = ctypes.c_void_p()
        rc = lib.ferry_client_check_batch(self._handle, count,
                                          ctypes.byref(err))
        if rc != 0:
            raise _errors.from_native(err.value, rc)

    def close(self):
        if self._handle:
            lib.ferry_client_free(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def upload(self, src, *, metadata=None, on_progress=None, on_event=None,
               discard_on_cancel=False, on_change="fail", key=None, name=None):
        """Uploads (or resumes) one source and returns an UploadResult.

        src: a path, bytes-like data, or a binary file object (seekable or
        not: see "Sources" in the README for what resumes when). name: what
        the upload goes by (tus filename, the default S3 key). Runs on the
        calling thread.

        on_progress(Progress) and on_event(Event) may return True to cancel
        (raising ferry.Cancelled); an exception they raise (or the file
        object's read raises) cancels the upload and is re-raised here.
        Raises a ferry.FerryError subclass named after the error code.
        """
        source = open_source(src, name)
        try:
            o, keep, raised = self._upload_options(
                metadata, on_progress, on_event, discard_on_cancel, on_change,
                key)
            result = ctypes.c_void_p()
            err = ctypes.c_void_p()
            rc = lib.ferry_upload_source(self._handle, source.handle,
                                         ctypes.byref(o), ctypes.byref(result),
                                         ctypes.byref(err))
        finally:
            source.close()
        raised += source.raised + self._callback_errors
        self._callback_errors.clear()
        if raised:
            if err.value:
                lib.ferry_error_free(err.value)
            if result.value:
                lib.ferry_result_free(result.value)
            raise raised[0]
        if rc != 0:
            raise _errors.from_native(err.value, rc)
        r = result.value
        try:
            return _result(r)
        finally:
            lib.ferry_result_free(r)

    def start(self, src, *, metadata=None, on_progress=None, on_event=None,
              discard_on_cancel=False, on_change="fail", key=None, name=None):
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
                      [raised, source.raised], _result)

    async def upload_async(self, src, **kwargs):
        """upload() for asyncio (the upload runs on its own thread).
        Cancelling the task cancels the upload and keeps its resume state."""
        up = self.start(src, **kwargs)
        try:
            return await up.wait_async()
        finally:
            up.close()

    def pending(self):
        """The unfinished uploads of this client (same endpoint, protocol
        and bucket) in its state directory, oldest first, as PendingUpload
        entries. Expired ones are removed, not listed. Continue one with
        resume_pending(entry) (or by uploading its path again); drop one
        with forget(entry)."""
        if self._handle is None:
            raise ValueError("client is closed")
        return pending_list(self._handle)

    def resume_pending(self, entry, **kwargs):
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

    def forget(self, entry, discard_remote=False):
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

    def _upload_options(self, metadata, on_progress, on_event,
                        discard_on_cancel, on_change, key):
        """The C options of one upload, what they point into, and the list
        the callbacks' exceptions go to."""
        keep = []
        o = self._options(UploadOptions, metadata, keep, discard_on_cancel,
                          on_change)
        if key:  # S3: the object's key (default: the source's name)
            keep.append(_b(key))
            o.object_key = keep[-1]
        raised = []

        def progress(p):
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

    def _options(self, cls, metadata, keep, discard_on_cancel, on_change):
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

    def upload_batch(self, paths, *, concurrency=4, metadata=None,
                     on_progress=None, on_event=None, on_file_done=None,
                     discard_on_cancel=False, on_change="fail"):
        """Uploads many files, `concurrency` at a time (within the client's
        memory_budget) over its shared connections, and returns one outcome
        per path, in order: an UploadResult, or the ferry.FerryError that
        file ended with (not raised). Raises only for bad arguments and for
        an exception of a callback.

        on_progress(BatchProgress) and on_event(Event) (file_index says
        which file) may return True to cancel the whole batch;
        on_file_done(index, outcome) is called as each file ends. Callbacks
        never run at the same time.
        """
        paths = [os.fspath(p) for p in paths]
        keep = [_b(p) for p in paths]
        cpaths = (ctypes.c_char_p * max(len(paths), 1))(*keep)
        o = self._options(BatchOptions, metadata, keep, discard_on_cancel,
                          on_change)
        o.concurrency = concurrency or 0
        raised = []

        def progress(p):
            c = p.contents
            return (BatchProgress(c.bytes_done, c.bytes_total, c.wire_bytes,
                                  c.files_total, c.files_done, c.files_failed,
                                  c.files_active),)

        def file_done(i, result, err):
            return (i, _result(result) if result else _errors.borrowed(err))

        pfn = BATCH_PROGRESS_FN(_thunk(on_progress, progress, raised)) \
            if on_progress else BATCH_PROGRESS_FN()
        efn = EVENT_FN(_thunk(on_event, lambda e: (_event(e.contents),),
                              raised)) if on_event else EVENT_FN()
        ffn = BATCH_FILE_FN(_thunk(on_file_done, file_done, raised,
                                   cancels=False)) \
            if on_file_done else BATCH_FILE_FN()
        o.on_progress, o.on_event, o.on_file_done = pfn, efn, ffn
        batch = ctypes.c_void_p()
        lib.ferry_upload_batch(self._handle, cpaths, len(paths),
                               ctypes.byref(o), ctypes.byref(batch))
        raised += self._callback_errors
        self._callback_errors.clear()
        try:
            if raised:
                raise raised[0]
            out = []
            for i in range(len(paths)):
                r = lib.ferry_batch_result(batch.value, i)
                out.append(_result(r) if r else
                           _errors.borrowed(lib.ferry_batch_error(batch.value,
                                                                  i)))
            return out
        finally:
            lib.ferry_batch_free(batch.value)


def doctor(endpoint, **client_options):
    """ferry-doctor as a call: see Client.doctor()."""
    with Client(endpoint, **client_options) as client:
        return client.doctor()


__all__ = ["Client", "doctor", "S3Credentials", "UploadResult", "Progress", "Event",
           "BatchProgress", "FerryError", "Upload", "UploadStatus",
           "PendingUpload",
           "CODES"] + [cls.__name__ for cls in ERROR_CLASSES.values()]
