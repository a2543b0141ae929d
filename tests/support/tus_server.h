/* SPDX-License-Identifier: Apache-2.0 */
// Starts the project's local tus server (samples/tus-server, the official
// @tus/server) on 127.0.0.1 for a test, and stops it afterwards.
#ifndef FERRY_TESTS_SUPPORT_TUS_SERVER_H_
#define FERRY_TESTS_SUPPORT_TUS_SERVER_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace ferry_test {

class TusServer {
 public:
  // extra_args: e.g. {"--max-size", "1000", "--no-checksum"}.
  explicit TusServer(std::vector<std::string> extra_args = {});
  ~TusServer();
  TusServer(const TusServer&) = delete;
  TusServer& operator=(const TusServer&) = delete;

  bool ok() const { return !endpoint_.empty(); }
  const std::string& endpoint() const { return endpoint_; }
  const std::string& store_dir() const { return store_dir_; }
  // SHA-256 (hex) of the content the server stored for an upload URL
  // (decoded when its metadata says encoding=zstd), or "" when it has no
  // such file.
  std::string StoredSha256(const std::string& upload_url) const;
  std::string StoredPath(const std::string& upload_url) const;
  bool StoredAsZstd(const std::string& upload_url) const;

 private:
  pid_t pid_ = -1;
  std::string root_;
  std::string store_dir_;
  std::string endpoint_;
};

// A fresh temporary directory, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Writes `size` bytes of seeded pseudo-random data; returns the path.
std::string WriteRandomFile(const std::string& dir, const std::string& name,
                            uint64_t size, uint32_t seed);
// Compressible text (log-like lines with varying numbers), `size` bytes.
std::string WriteTextFile(const std::string& dir, const std::string& name,
                          uint64_t size, uint32_t seed);
std::string FileSha256(const std::string& path);
std::string ReadFile(const std::string& path);

}  // namespace ferry_test

#endif  // FERRY_TESTS_SUPPORT_TUS_SERVER_H_
