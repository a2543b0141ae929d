// SPDX-License-Identifier: Apache-2.0
// A regular file, by path or by descriptor: its identity, positional reads
// (pread, so any thread and any offset), change checks.
#ifndef FERRY_SDK_SRC_SOURCE_FILE_SOURCE_H_
#define FERRY_SDK_SRC_SOURCE_FILE_SOURCE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "errors/error.h"
#include "source/source.h"

namespace ferry::internal {

// The last component of a path.
std::string Basename(const std::string& path);

class FileSource : public Source {
 public:
  // Opens a regular file for reading. `name` replaces the file's base name
  // when not empty. Errors: file_not_found, file_unreadable (permissions,
  // a directory, I/O), invalid_argument.
  static Result<std::unique_ptr<FileSource>> Open(const std::string& path,
                                                  const std::string& name = "");
  // Takes its own duplicate of `fd`, which must be open for reading on a
  // regular file (any position: reads are positional). Its path (for
  // resume across restarts) is found through /proc/self/fd when it still
  // names the same file; otherwise the upload resumes within this process
  // only. Errors: file_unreadable, invalid_argument.
  static Result<std::unique_ptr<FileSource>> FromFd(int fd,
                                                    const std::string& name);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  const std::string& path() const { return path_; }
  const std::string& name() const override { return name_; }
  const std::string& absolute_path() const override { return absolute_path_; }
  FileIdentity identity() const override { return identity_; }
  bool seekable() const override { return true; }
  bool length_known() const override { return true; }
  uint64_t size() const override { return identity_.size; }

  // A short read means the file shrank: file_changed.
  Status ReadAt(uint64_t offset, uint64_t length, char* out) const override;
  // file_changed when size, mtime, ctime, device or inode differ from when
  // opened.
  Status CheckUnchanged() const override;

 private:
  FileSource(int fd, std::string path, std::string name, std::string abs,
             FileIdentity id, int64_t ctime_ns)
      : fd_(fd),
        path_(std::move(path)),
        name_(std::move(name)),
        absolute_path_(std::move(abs)),
        identity_(id),
        ctime_ns_(ctime_ns) {}
  int fd_;
  std::string path_;
  std::string name_;
  std::string absolute_path_;
  FileIdentity identity_;
  int64_t ctime_ns_;  // checked during a run only (chmod moves it too)
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_SOURCE_FILE_SOURCE_H_
