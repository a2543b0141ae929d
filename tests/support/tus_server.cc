// SPDX-License-Identifier: Apache-2.0
#include "tus_server.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

extern char** environ;

namespace ferry_test {

namespace {

std::string HexSha256OfStream(std::istream& in) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), buf.size());
    EVP_DigestUpdate(ctx, buf.data(), static_cast<size_t>(in.gcount()));
  }
  unsigned char md[32];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  char hex[65];
  for (int i = 0; i < 32; ++i) std::snprintf(hex + 2 * i, 3, "%02x", md[i]);
  return std::string(hex, 64);
}

}  // namespace

TempDir::TempDir() {
  char tmpl[] = "/tmp/ferry-test-XXXXXX";
  if (mkdtemp(tmpl) != nullptr) path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

TusServer::TusServer(std::vector<std::string> extra_args) {
  char tmpl[] = "/tmp/ferry-tus-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return;
  root_ = tmpl;
  store_dir_ = root_ + "/store";
  // setpriv: the server dies with the test process, even when a sanitizer
  // aborts it; an orphan would hold ctest's output pipe open until timeout.
  std::vector<std::string> args = {
      "setpriv", "--pdeathsig", "KILL",
      "node",    FERRY_SOURCE_DIR "/samples/tus-server/server.mjs",
      "--port",  "0",
      "--dir",   store_dir_};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
  if (posix_spawnp(&pid_, "setpriv", &fa, nullptr, argv.data(), environ) !=
      0) {
    pid_ = -1;
  }
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  if (pid_ < 0) {
    close(out[0]);
    return;
  }
  // Read the announcement line, at most 20 s.
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline &&
         line.find('\n') == std::string::npos) {
    pollfd p{out[0], POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    char c[256];
    ssize_t n = read(out[0], c, sizeof c);
    if (n <= 0) break;
    line.append(c, static_cast<size_t>(n));
  }
  close(out[0]);
  const std::string key = "FERRY_TUS_SERVER_URL=";
  size_t at = line.find(key);
  if (at != std::string::npos) {
    size_t end = line.find('\n', at);
    endpoint_ = line.substr(at + key.size(), end - at - key.size());
  }
}

TusServer::~TusServer() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status;
    waitpid(pid_, &status, 0);
  }
  std::error_code ec;
  if (!root_.empty()) std::filesystem::remove_all(root_, ec);
}

std::string TusServer::StoredPath(const std::string& upload_url) const {
  size_t slash = upload_url.rfind('/');
  return store_dir_ + "/" + upload_url.substr(slash + 1);
}

bool TusServer::StoredAsZstd(const std::string& upload_url) const {
  std::ifstream meta(StoredPath(upload_url) + ".json");
  std::stringstream text;
  text << meta.rdbuf();
  // The metadata value is base64 for "zstd" in the upload's request; the
  // file store keeps it decoded.
  return text.str().find("\"encoding\":\"zstd\"") != std::string::npos;
}

std::string TusServer::StoredSha256(const std::string& upload_url) const {
  std::ifstream in(StoredPath(upload_url), std::ios::binary);
  if (!in) return "";
  if (!StoredAsZstd(upload_url)) return HexSha256OfStream(in);
  // Decode as any reader would: the zstd library, window size capped.
  std::string compressed((std::istreambuf_iterator<char>(in)), {});
  ZSTD_DStream* d = ZSTD_createDStream();
  ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, 27);
  std::string out;
  std::vector<char> buf(ZSTD_DStreamOutSize());
  ZSTD_inBuffer input{compressed.data(), compressed.size(), 0};
  while (input.pos < input.size) {
    ZSTD_outBuffer output{buf.data(), buf.size(), 0};
    size_t rc = ZSTD_decompressStream(d, &output, &input);
    if (ZSTD_isError(rc)) {
      ZSTD_freeDStream(d);
      return std::string("zstd error: ") + ZSTD_getErrorName(rc);
    }
    out.append(buf.data(), output.pos);
  }
  ZSTD_freeDStream(d);
  std::istringstream decoded(out);
  return HexSha256OfStream(decoded);
}

std::string WriteRandomFile(const std::string& dir, const std::string& name,
                            uint64_t size, uint32_t seed) {
  std::string path = dir + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::mt19937 rng(seed);
  std::vector<uint32_t> buf(1 << 16);
  uint64_t left = size;
  while (left > 0) {
    for (auto& w : buf) w = rng();
    uint64_t n = std::min<uint64_t>(left, buf.size() * 4);
    out.write(reinterpret_cast<const char*>(buf.data()),
              static_cast<std::streamsize>(n));
    left -= n;
  }
  return path;
}

std::string WriteTextFile(const std::string& dir, const std::string& name,
                          uint64_t size, uint32_t seed) {
  std::string path = dir + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::mt19937 rng(seed);
  static const char* kWords[] = {"upload", "chunk",  "resume", "server",
                                 "ferry",  "offset", "retry",  "verified"};
  std::string text;
  while (text.size() < size) {
    text += "2026-11-22T10:" + std::to_string(rng() % 60) + " INFO " +
            kWords[rng() % 8] + " id=" + std::to_string(rng() % 100000) + " " +
            kWords[rng() % 8] + "\n";
  }
  out.write(text.data(), static_cast<std::streamsize>(size));
  return path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

std::string FileSha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return HexSha256OfStream(in);
}

}  // namespace ferry_test
