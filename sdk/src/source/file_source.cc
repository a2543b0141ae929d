// SPDX-License-Identifier: Apache-2.0
#include "source/file_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace ferry::internal {
namespace {

FileIdentity IdentityOf(const struct stat& st) {
  FileIdentity id;
  id.device = static_cast<uint64_t>(st.st_dev);
  id.inode = static_cast<uint64_t>(st.st_ino);
  id.size = static_cast<uint64_t>(st.st_size);
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL +
                st.st_mtim.tv_nsec;
  return id;
}

int64_t CtimeOf(const struct stat& st) {
  return static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000LL +
         st.st_ctim.tv_nsec;
}

Error OpenError(int err, const std::string& path) {
  std::string what = path + ": " + std::strerror(err);
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return MakeError(FERRY_ERR_FILE_NOT_FOUND, "file not found: " + what);
    default:
      return MakeError(FERRY_ERR_FILE_UNREADABLE, "cannot read file: " + what);
  }
}

// The path an open descriptor names, when that path still leads to the
// same file; "" otherwise (deleted, renamed over, not a path at all).
std::string PathOfFd(int fd, const struct stat& st) {
  std::error_code ec;
  std::filesystem::path link =
      std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd), ec);
  if (ec || !link.is_absolute()) return "";
  struct stat named;
  if (::stat(link.c_str(), &named) != 0 || named.st_dev != st.st_dev ||
      named.st_ino != st.st_ino) {
    return "";
  }
  return link.lexically_normal().string();
}

}  // namespace

std::string Basename(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Result<std::unique_ptr<FileSource>> FileSource::Open(const std::string& path,
                                                     const std::string& name) {
  if (path.empty()) {
    return MakeError(FERRY_ERR_INVALID_ARGUMENT, "empty file path");
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return OpenError(errno, path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    Error e = OpenError(errno, path);
    ::close(fd);
    return e;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return MakeError(FERRY_ERR_FILE_UNREADABLE, "not a regular file: " + path);
  }
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(path, ec);
  std::string abs_path = ec ? path : abs.lexically_normal().string();
  return std::unique_ptr<FileSource>(
      new FileSource(fd, path, name.empty() ? Basename(path) : name, abs_path,
                     IdentityOf(st), CtimeOf(st)));
}

Result<std::unique_ptr<FileSource>> FileSource::FromFd(
    int fd, const std::string& name) {
  struct stat st;
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                     "not an open file descriptor: " + std::to_string(fd));
  }
  if (!S_ISREG(st.st_mode)) {
    return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                     "descriptor " + std::to_string(fd) +
                         " is not a regular file (read it as a stream)");
  }
  int own = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0) {
    return MakeError(FERRY_ERR_FILE_UNREADABLE,
                     std::string("cannot duplicate the descriptor: ") +
                         std::strerror(errno));
  }
  std::string abs = PathOfFd(own, st);
  std::string shown = abs.empty() ? "fd " + std::to_string(fd) : abs;
  return std::unique_ptr<FileSource>(new FileSource(
      own, shown, name.empty() && !abs.empty() ? Basename(abs) : name, abs,
      IdentityOf(st), CtimeOf(st)));
}

FileSource::~FileSource() { ::close(fd_); }

Status FileSource::ReadAt(uint64_t offset, uint64_t length, char* out) const {
  uint64_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd_, out + done, length - done,
                        static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return MakeError(FERRY_ERR_FILE_UNREADABLE,
                       "read failed: " + path_ + ": " + std::strerror(errno));
    }
    if (n == 0) {
      return MakeError(FERRY_ERR_FILE_CHANGED,
                       "file shrank while uploading: " + path_);
    }
    done += static_cast<uint64_t>(n);
  }
  return OkStatus();
}

Status FileSource::CheckUnchanged() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) {
    return MakeError(FERRY_ERR_FILE_UNREADABLE,
                     "stat failed: " + path_ + ": " + std::strerror(errno));
  }
  // ctime too: every write moves it, and unlike mtime no one can set it
  // back, so an edit in place that restores the mtime is still seen.
  if (!(IdentityOf(st) == identity_) || CtimeOf(st) != ctime_ns_) {
    return MakeError(FERRY_ERR_FILE_CHANGED,
                     "file was modified while uploading: " + path_);
  }
  return OkStatus();
}

}  // namespace ferry::internal
