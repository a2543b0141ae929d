#include "source/file_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "codec/hash.h"

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

}  // namespace

Result<std::unique_ptr<FileSource>> FileSource::Open(const std::string& path) {
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
      new FileSource(fd, path, abs_path, IdentityOf(st), CtimeOf(st)));
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
