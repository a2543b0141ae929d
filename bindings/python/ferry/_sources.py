# SPDX-License-Identifier: Apache-2.0
"""What client.upload() and client.start() accept, as a ferry_source.

- str / os.PathLike: the file (resumes across retries and runs).
- bytes, bytearray, memoryview, io.BytesIO: read in place, no copy; the
  object is held (and a bytearray cannot be resized) until the upload ends.
  Resumes across retries in this process.
- A binary file object on a regular file, at offset 0 (open(path, "rb")):
  read through its descriptor, by position: resumes like a path.
- Any other binary file object (a pipe, a socket file, sys.stdin.buffer,
  a custom reader): a stream of unknown length, read once with .readinto()
  or .read(); a retry in this process loses nothing, but it cannot be
  resumed by a later run (ferry.SourceNotResumable).
"""

import ctypes
import io
import os
import stat
from typing import Any, List, Optional, Tuple

from ferry import errors as _errors
from ferry._native import READ_FN, lib


class _Source:
    """A ferry_source* and what must outlive every upload of it."""

    def __init__(self, handle: int, keep: List[Any],
                 raised: List[BaseException], description: str) -> None:
        self.handle = handle
        self.keep = keep          # Python objects the C side points into
        self.raised = raised      # exceptions of a read callback
        self.description = description

    def close(self) -> None:
        if self.handle:
            lib.ferry_source_free(self.handle)
            self.handle = 0


def _check(handle: Optional[int], err: ctypes.c_void_p) -> int:
    if not handle:
        raise _errors.from_native(err.value, 1)
    return handle


def _memory(buf: Any, keep: List[Any],
            name: Optional[str]) -> Tuple[int, str]:
    view: Any
    address: Optional[int]
    if isinstance(buf, bytes):
        view = buf
        address = ctypes.cast(ctypes.c_char_p(buf), ctypes.c_void_p).value
        size = len(buf)
    else:
        view = memoryview(buf).cast("B")  # an export: no resize meanwhile
        size = view.nbytes
        if view.readonly:
            view = bytes(view)  # read-only and not bytes: one copy
            address = ctypes.cast(ctypes.c_char_p(view), ctypes.c_void_p).value
        else:
            address = ctypes.addressof(
                (ctypes.c_char * size).from_buffer(view)) if size else None
    keep.append(view)
    err = ctypes.c_void_p()
    return _check(lib.ferry_source_from_memory(address, size, 0,
                                               ctypes.byref(err)), err), \
        name or "memory"


def _regular_file_fd(obj: Any) -> Optional[int]:
    """The descriptor of a file object on a regular file read from its
    start, else None (then it is read as a stream)."""
    try:
        fd = int(obj.fileno())
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        if obj.seekable() and obj.tell() != 0:
            return None
        return fd
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None


def _reader(obj: Any, raised: List[BaseException]) -> Any:
    """A C read callback over obj.readinto (or obj.read); an exception is
    kept in `raised` and fails the read."""
    readinto = getattr(obj, "readinto", None)

    def read(buffer: int, max_bytes: int, _: Any) -> int:
        try:
            if readinto is not None:
                view = (ctypes.c_char * max_bytes).from_address(buffer)
                n = readinto(memoryview(view).cast("B"))
                return 0 if n is None else int(n)
            data = obj.read(max_bytes)
            if data is None:  # non-blocking and nothing yet: treat as error
                raise BlockingIOError("the file object returned None")
            if len(data) > max_bytes:
                raise ValueError("read() returned more bytes than asked")
            ctypes.memmove(buffer, data, len(data))
            return len(data)
        except BaseException as e:  # noqa: B902 - re-raised by the caller
            raised.append(e)
            return -1
    return READ_FN(read)


def open_source(src: Any, name: Optional[str] = None) -> _Source:
    """A _Source for `src` (see the module's docstring)."""
    keep: List[Any] = []
    raised: List[BaseException] = []
    err = ctypes.c_void_p()
    handle: int
    what: str
    if isinstance(src, (str, os.PathLike)):
        path = os.fspath(src)
        keep.append(os.fsencode(path))
        handle = lib.ferry_source_from_path(keep[-1])
        what = path
    elif isinstance(src, (bytes, bytearray, memoryview)):
        handle, what = _memory(src, keep, name)
    elif isinstance(src, io.BytesIO):
        view = src.getbuffer()[src.tell():]
        handle, what = _memory(view, keep, name)
        keep.append(src)
    elif hasattr(src, "read"):
        fd = _regular_file_fd(src)
        if fd is not None:
            handle = _check(lib.ferry_source_from_fd(fd, ctypes.byref(err)),
                            err)
            file_name = getattr(src, "name", None)
            what = file_name if isinstance(file_name, str) else "file"
            if name is None and isinstance(file_name, str):
                name = os.path.basename(file_name)
        else:
            fn = _reader(src, raised)
            keep += [src, fn]
            handle = _check(lib.ferry_source_from_callback(
                fn, None, -1, ctypes.byref(err)), err)
            what = name or "stream"
    else:
        raise TypeError("upload source must be a path, bytes-like, or a "
                        "binary file object, not " + type(src).__name__)
    if not handle:
        raise MemoryError("ferry: cannot describe the source")
    if name is not None:
        if lib.ferry_source_set_name(handle, os.fsencode(name)) != 0:
            lib.ferry_source_free(handle)
            raise ValueError("name must not contain control characters")
    return _Source(handle, keep, raised, what)
