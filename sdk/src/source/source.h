// SPDX-License-Identifier: Apache-2.0
// What an upload reads from: a file (by path or descriptor), bytes in
// memory, or a stream (a read callback, a pipe) of known or unknown length.
// Every kind answers positional reads; a stream answers them from the bytes
// it keeps in memory between the last acknowledged chunk and what it read
// ahead, so a retry in the same process loses nothing, and a read the
// stream can no longer answer is a typed error, never a wrong byte.
#ifndef FERRY_SDK_SRC_SOURCE_SOURCE_H_
#define FERRY_SDK_SRC_SOURCE_SOURCE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "errors/error.h"

namespace ferry::internal {

// What identifies one version of a file; any difference means "changed".
struct FileIdentity {
  uint64_t device = 0;
  uint64_t inode = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};

class Source {
 public:
  virtual ~Source() = default;

  // The name the upload goes by (tus "filename" metadata, the default S3
  // key, the app's blocked-extension list): the file's base name, or the
  // name the app gave; "" when there is none.
  virtual const std::string& name() const = 0;
  // The absolute path a resume across process restarts is keyed on; "" for
  // a source without a stable identity (memory, streams), whose upload
  // resumes across retries in this process only.
  virtual const std::string& absolute_path() const = 0;
  // The file's identity when absolute_path() is set; zeros otherwise.
  virtual FileIdentity identity() const = 0;
  // Whether any byte can be read again at any time (files, memory).
  virtual bool seekable() const = 0;

  // Whether size() is final. A stream of unknown length learns its size
  // when Fill reaches its end. Any thread.
  virtual bool length_known() const = 0;
  // The final size, or (length unknown) the bytes read so far. Any thread.
  virtual uint64_t size() const = 0;
  // The size the upload will have: size() when known, else the length a
  // stream declared, else nullopt. Any thread.
  virtual std::optional<uint64_t> expected_size() const {
    if (length_known()) return size();
    return std::nullopt;
  }

  // Reads exactly `length` bytes at `offset` into `out`. Thread-safe.
  // Errors: file_changed (the file shrank), file_unreadable;
  // source_not_resumable for bytes a stream no longer keeps, internal_error
  // for bytes not yet filled.
  virtual Status ReadAt(uint64_t offset, uint64_t length, char* out) const = 0;
  // file_changed when a file differs from when it was opened.
  virtual Status CheckUnchanged() const = 0;

  // Streams: reads on until `end` bytes are held or the stream ends (then
  // the length is known). Errors: file_unreadable (the callback or read
  // failed), file_changed (a declared length was not met, or exceeded),
  // invalid_argument (a callback returned more than asked); a failure is
  // final. Other sources: nothing to do. Called from the uploading thread
  // only.
  virtual Status Fill(uint64_t end) {
    (void)end;
    return OkStatus();
  }
  // Streams: bytes before `offset` are acknowledged and never read again;
  // their memory is freed. Other sources: nothing to do.
  virtual void Release(uint64_t offset) { (void)offset; }
  // Streams: how many bytes past the oldest one kept may be read ahead of
  // what Fill asked for, while the network sends (memory the uploader
  // budgets). Other sources: nothing to do.
  virtual void SetReadAhead(uint64_t bytes) { (void)bytes; }
};

// What an app hands ferry: opens a fresh Source for one upload. Errors as
// for the source kind (file_not_found, file_unreadable, invalid_argument
// for a stream that was already consumed).
using SourceOpener = std::function<Result<std::unique_ptr<Source>>()>;

// One read from a stream: up to `max` bytes into `out`; 0 at the end.
// Errors: file_unreadable.
using StreamReadFn = std::function<Result<uint64_t>(char* out, uint64_t max)>;

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_SOURCE_SOURCE_H_
