# SPDX-License-Identifier: Apache-2.0
"""ctypes declarations of the ferry C ABI (ferry.h) and the library loader."""

import ctypes
import ctypes.util
import importlib
import os
import pathlib
from typing import Any, Iterator

c_int32, c_uint32, c_int64, c_uint64 = (ctypes.c_int32, ctypes.c_uint32,
                                        ctypes.c_int64, ctypes.c_uint64)
c_char_p, c_void_p = ctypes.c_char_p, ctypes.c_void_p


class CodeInfo(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32), ("code", c_int32),
                ("name", c_char_p), ("category", c_int32),
                ("origin", c_int32), ("retryable", c_int32),
                ("action", c_int32), ("meaning", c_char_p),
                ("ferry_does", c_char_p)]


REFRESH_FN: Any = ctypes.CFUNCTYPE(ctypes.c_int, c_void_p, c_void_p, c_void_p)


class PresignRequest(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32), ("op", c_int32),
                ("method", c_char_p), ("bucket", c_char_p), ("key", c_char_p),
                ("upload_id", c_char_p), ("part_number", c_uint32),
                ("header_count", c_uint32),
                ("header_names", ctypes.POINTER(c_char_p)),
                ("header_values", ctypes.POINTER(c_char_p))]


# url_out is a c_void_p: ctypes would turn a char* into an immutable bytes.
PRESIGN_FN: Any = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(PresignRequest),
                              c_void_p, c_uint32, c_void_p)


LOG_FN: Any = ctypes.CFUNCTYPE(None, c_int32, c_char_p, c_void_p)


class ClientOptions(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32), ("endpoint", c_char_p),
                ("protocol", c_int32), ("state_dir", c_char_p),
                ("ca_file", c_char_p), ("insecure_skip_tls_verify", c_int32),
                ("chunk_size", c_uint64), ("max_retries", c_uint32),
                ("no_retries", c_int32), ("retry_base_delay_ms", c_uint32),
                ("retry_max_delay_ms", c_uint32),
                ("retry_deadline_ms", c_uint32), ("stall_window_ms", c_uint32),
                ("stall_min_bps", c_uint32), ("connect_timeout_ms", c_uint32),
                ("max_send_bytes_per_sec", c_uint64),
                ("blocked_extensions", c_char_p),
                ("max_files_per_batch", c_uint32),
                ("max_clock_skew_ms", c_uint32),
                ("on_refresh_credentials", REFRESH_FN),
                ("refresh_user_data", c_void_p),
                ("compress_level", c_int32),
                ("allowed_origins", c_char_p),
                ("request_size", c_uint64), ("memory_budget", c_uint64),
                ("announce_sha256", c_int32),
                ("s3_bucket", c_char_p), ("s3_access_key_id", c_char_p),
                ("s3_secret_access_key", c_char_p),
                ("s3_session_token", c_char_p), ("s3_region", c_char_p),
                ("s3_unsigned_payload", c_int32), ("s3_part_size", c_uint64),
                ("s3_parallel_parts", c_uint32),
                ("clock_offset_ms", ctypes.c_int64),
                ("s3_presign", PRESIGN_FN),
                ("s3_presign_user_data", c_void_p),
                ("on_log", LOG_FN), ("log_user_data", c_void_p),
                ("log_level", c_int32), ("tls_min_version", c_int32),
                ("s3_addressing", c_int32),
                ("s3_multipart_threshold", ctypes.c_int64),
                ("s3_profile", c_char_p)]


class Progress(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32), ("bytes_done", c_uint64),
                ("bytes_total", c_uint64), ("bytes_acked", c_uint64),
                ("wire_bytes", c_uint64), ("total_known", c_int32)]


class UploadStatus(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32), ("phase", c_int32),
                ("bytes_done", c_uint64), ("bytes_total", c_uint64),
                ("bytes_acked", c_uint64), ("wire_bytes", c_uint64),
                ("total_known", c_int32), ("last_error_code", c_int32)]


class PendingEntry(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32), ("id", c_char_p),
                ("path", c_char_p), ("name", c_char_p),
                ("endpoint", c_char_p), ("protocol", c_char_p),
                ("size", c_uint64), ("bytes_on_server", c_uint64),
                ("expires", c_char_p), ("created_unix", c_int64),
                ("resumable", c_int32), ("last_error_code", c_int32),
                ("last_error_message", c_char_p)]


# buffer is a c_void_p: the callback writes into ferry's memory.
READ_FN: Any = ctypes.CFUNCTYPE(c_int64, c_void_p, c_uint64, c_void_p)


class Event(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32), ("type", c_int32),
                ("code", c_int32), ("attempt", c_uint32),
                ("delay_ms", c_uint64), ("offset", c_uint64),
                ("message", c_char_p), ("file_index", c_uint32)]


class KV(ctypes.Structure):
    _fields_ = [("key", c_char_p), ("value", c_char_p)]


PROGRESS_FN: Any = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(Progress), c_void_p)
EVENT_FN: Any = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(Event), c_void_p)


class UploadOptions(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32), ("metadata", ctypes.POINTER(KV)),
                ("metadata_count", c_uint32), ("on_progress", PROGRESS_FN),
                ("progress_user_data", c_void_p), ("on_event", EVENT_FN),
                ("event_user_data", c_void_p), ("discard_on_cancel", c_int32),
                ("on_change", c_int32), ("object_key", c_char_p),
                ("object_headers", ctypes.POINTER(KV)),
                ("object_headers_count", c_uint32),
                ("guess_content_type", c_int32)]


class BatchProgress(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32), ("bytes_done", c_uint64),
                ("bytes_total", c_uint64), ("wire_bytes", c_uint64),
                ("files_total", c_uint32), ("files_done", c_uint32),
                ("files_failed", c_uint32), ("files_active", c_uint32)]


BATCH_PROGRESS_FN: Any = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(BatchProgress),
                                     c_void_p)
BATCH_FILE_FN: Any = ctypes.CFUNCTYPE(None, c_uint32, c_void_p, c_void_p, c_void_p)


class BatchOptions(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32), ("concurrency", c_uint32),
                ("metadata", ctypes.POINTER(KV)), ("metadata_count", c_uint32),
                ("on_progress", BATCH_PROGRESS_FN),
                ("progress_user_data", c_void_p), ("on_event", EVENT_FN),
                ("event_user_data", c_void_p), ("discard_on_cancel", c_int32),
                ("on_change", c_int32), ("on_file_done", BATCH_FILE_FN),
                ("file_user_data", c_void_p),
                ("names", ctypes.POINTER(c_char_p)),
                ("object_headers", ctypes.POINTER(KV)),
                ("object_headers_count", c_uint32),
                ("guess_content_type", c_int32)]


def _candidates() -> Iterator[str]:
    """Where libferry may be, in order: FERRY_LIBRARY; the copy a wheel
    ships inside the package; a path recorded at install (older installs);
    the source tree's build (pip install -e, running from the checkout);
    the system's (ldconfig)."""
    env = os.environ.get("FERRY_LIBRARY")
    if env:
        yield env
    here = pathlib.Path(__file__).resolve().parent
    yield str(here / "libferry.so")
    try:  # written by the build backend of older installs
        yield str(importlib.import_module("ferry._libpath").LIBRARY)
    except ImportError:
        pass
    # Running from the source tree after a CMake build.
    for build in ("build", "build-asan"):
        yield str(here.parent.parent.parent / build / "sdk" / "libferry.so")
    found = ctypes.util.find_library("ferry")
    if found:
        yield found


def load() -> Any:
    tried = []
    for path in _candidates():
        if path and (os.path.exists(path) or "/" not in path):
            try:
                return _declare(ctypes.CDLL(path))
            except OSError as e:
                tried.append(f"{path}: {e}")
        else:
            tried.append(f"{path}: missing")
    raise ImportError("cannot load libferry (set FERRY_LIBRARY to its path); "
                      "tried: " + "; ".join(tried))


def _fn(lib: Any, name: str, restype: Any, *argtypes: Any) -> None:
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)


def _declare(lib: Any) -> Any:
    _fn(lib, "ferry_version", c_char_p)
    for name in ("ferry_code_name", "ferry_category_name",
                 "ferry_origin_name", "ferry_action_name",
                 "ferry_action_description"):
        _fn(lib, name, c_char_p, c_int32)
    _fn(lib, "ferry_code_info_get", c_int32, c_int32, ctypes.POINTER(CodeInfo))
    _fn(lib, "ferry_code_max", c_int32)
    _fn(lib, "ferry_error_free", None, c_void_p)
    for name, rt in (("code", c_int32), ("category", c_int32),
                     ("origin", c_int32), ("retryable", c_int32),
                     ("retry_after_ms", c_int64), ("action", c_int32),
                     ("message", c_char_p), ("http_status", c_int32),
                     ("server_code", c_char_p), ("server_message", c_char_p),
                     ("request_id", c_char_p), ("limit", c_int64),
                     ("url", c_char_p), ("json", c_char_p)):
        _fn(lib, "ferry_error_" + name, rt, c_void_p)
    _fn(lib, "ferry_client_new", c_void_p, ctypes.POINTER(ClientOptions),
        ctypes.POINTER(c_void_p))
    _fn(lib, "ferry_client_free", None, c_void_p)
    _fn(lib, "ferry_client_add_header", c_int32, c_void_p, c_char_p, c_char_p)
    _fn(lib, "ferry_upload_file", c_int32, c_void_p, c_char_p,
        ctypes.POINTER(UploadOptions), ctypes.POINTER(c_void_p),
        ctypes.POINTER(c_void_p))
    _fn(lib, "ferry_upload_batch", c_int32, c_void_p,
        ctypes.POINTER(c_char_p), c_uint32, ctypes.POINTER(BatchOptions),
        ctypes.POINTER(c_void_p))
    _fn(lib, "ferry_batch_free", None, c_void_p)
    _fn(lib, "ferry_batch_count", c_uint32, c_void_p)
    _fn(lib, "ferry_batch_result", c_void_p, c_void_p, c_uint32)
    _fn(lib, "ferry_batch_error", c_void_p, c_void_p, c_uint32)
    _fn(lib, "ferry_credentials_set_header", c_int32, c_void_p, c_char_p,
        c_char_p)
    _fn(lib, "ferry_credentials_set_s3", c_int32, c_void_p, c_char_p,
        c_char_p, c_char_p)
    _fn(lib, "ferry_client_add_rules_json", c_int32, c_void_p, c_char_p,
        ctypes.POINTER(c_void_p))
    _fn(lib, "ferry_client_load_rules_file", c_int32, c_void_p, c_char_p,
        ctypes.POINTER(c_void_p))
    _fn(lib, "ferry_client_check_batch", c_int32, c_void_p, c_uint32,
        ctypes.POINTER(c_void_p))
    _fn(lib, "ferry_client_doctor", c_int32, c_void_p,
        ctypes.POINTER(c_void_p), ctypes.POINTER(c_void_p))
    _fn(lib, "ferry_doctor_report_free", None, c_void_p)
    _fn(lib, "ferry_doctor_report_json", c_char_p, c_void_p)
    _fn(lib, "ferry_doctor_report_text", c_char_p, c_void_p)
    _fn(lib, "ferry_result_free", None, c_void_p)
    _fn(lib, "ferry_result_url", c_char_p, c_void_p)
    _fn(lib, "ferry_result_url_redacted", c_char_p, c_void_p)
    _fn(lib, "ferry_result_sha256", c_char_p, c_void_p)
    _fn(lib, "ferry_result_encoding", c_char_p, c_void_p)
    for name in ("bytes", "wire_bytes", "resumed_from"):
        _fn(lib, "ferry_result_" + name, c_uint64, c_void_p)
    # Sources, upload handles, pending uploads.
    err_out = ctypes.POINTER(c_void_p)
    _fn(lib, "ferry_source_from_path", c_void_p, c_char_p)
    _fn(lib, "ferry_source_from_fd", c_void_p, c_int32, err_out)
    _fn(lib, "ferry_source_from_memory", c_void_p, c_void_p, c_uint64,
        c_int32, err_out)
    _fn(lib, "ferry_source_from_callback", c_void_p, READ_FN, c_void_p,
        c_int64, err_out)
    _fn(lib, "ferry_source_set_name", c_int32, c_void_p, c_char_p)
    _fn(lib, "ferry_source_free", None, c_void_p)
    _fn(lib, "ferry_upload_source", c_int32, c_void_p, c_void_p,
        ctypes.POINTER(UploadOptions), err_out, err_out)
    _fn(lib, "ferry_upload_start", c_void_p, c_void_p, c_void_p,
        ctypes.POINTER(UploadOptions), err_out)
    for name in ("pause", "resume"):
        _fn(lib, "ferry_upload_" + name, c_int32, c_void_p, err_out)
    _fn(lib, "ferry_upload_cancel", c_int32, c_void_p, c_int32, err_out)
    _fn(lib, "ferry_upload_wait", c_int32, c_void_p, c_int64)
    _fn(lib, "ferry_upload_get_status", c_int32, c_void_p,
        ctypes.POINTER(UploadStatus))
    _fn(lib, "ferry_upload_last_error", c_void_p, c_void_p)
    _fn(lib, "ferry_upload_outcome", c_int32, c_void_p, err_out, err_out)
    _fn(lib, "ferry_upload_free", None, c_void_p)
    _fn(lib, "ferry_client_pending", c_int32, c_void_p, err_out, err_out)
    _fn(lib, "ferry_pending_count", c_uint32, c_void_p)
    _fn(lib, "ferry_pending_get", c_int32, c_void_p, c_uint32,
        ctypes.POINTER(PendingEntry))
    _fn(lib, "ferry_pending_free", None, c_void_p)
    _fn(lib, "ferry_client_forget", c_int32, c_void_p, c_char_p, c_int32,
        err_out)
    return lib


# The loaded library (ctypes.CDLL); its functions declared above.
lib: Any = load()
