// The file being uploaded: its identity, positional reads, change checks.
#ifndef FERRY_SDK_SRC_SOURCE_FILE_SOURCE_H_
#define FERRY_SDK_SRC_SOURCE_FILE_SOURCE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "codec/hash.h"
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

class FileSource {
 public:
  // Opens a regular file for reading. Errors: file_not_found,
  // file_unreadable (permissions, a directory, I/O), invalid_argument.
  static Result<std::unique_ptr<FileSource>> Open(const std::string& path);
  ~FileSource();
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  const std::string& path() const { return path_; }
  // Absolute, normalised path (resume state is keyed on it).
  const std::string& absolute_path() const { return absolute_path_; }
  const FileIdentity& identity() const { return identity_; }
  uint64_t size() const { return identity_.size; }

  // Reads exactly `length` bytes at `offset` into `out` (pread; safe to call
  // from several threads). A short read means the file shrank: file_changed.
  Status ReadAt(uint64_t offset, uint64_t length, char* out) const;
  // file_changed when size, mtime, ctime, device or inode differ from when
  // opened.
  Status CheckUnchanged() const;

 private:
  FileSource(int fd, std::string path, std::string abs, FileIdentity id,
             int64_t ctime_ns)
      : fd_(fd),
        path_(std::move(path)),
        absolute_path_(std::move(abs)),
        identity_(id),
        ctime_ns_(ctime_ns) {}
  int fd_;
  std::string path_;
  std::string absolute_path_;
  FileIdentity identity_;
  int64_t ctime_ns_;  // checked during a run only (chmod moves it too)
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_SOURCE_FILE_SOURCE_H_
