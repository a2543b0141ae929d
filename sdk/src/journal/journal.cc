// SPDX-License-Identifier: Apache-2.0
#include "journal/journal.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>

#include "codec/hash.h"
#include "codec/json_number.h"

namespace ferry::internal {
namespace {

constexpr std::string_view kMagic = "FERRYJ1 ";
constexpr size_t kMaxJournalBytes = 64 << 20;  // refuse absurd files

Error Unwritable(const std::string& what) {
  return MakeError(
      FERRY_ERR_STATE_UNWRITABLE,
      "cannot write resume state: " + what + ": " + std::strerror(errno));
}

bool HexDecode(std::string_view hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    auto nib = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    int hi = nib(hex[i]), lo = nib(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Unwritable(dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Unwritable(dir);
  return OkStatus();
}

// An entry's bytes (at most a little past kMaxJournalBytes: an absurd
// file is refused by Decode); closes fd.
std::string ReadAndClose(int fd) {
  std::string bytes;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) {
    bytes.append(buf, static_cast<size_t>(n));
    if (bytes.size() > kMaxJournalBytes) break;
  }
  ::close(fd);
  return bytes;
}

}  // namespace

std::string JournalRecord::Encode() const {
  nlohmann::json chunks = nlohmann::json::array();
  for (const auto& c : chunk_digests) chunks.push_back(HexEncode(c));
  nlohmann::json j = {
      {"version", 2},
      {"protocol", protocol},
      {"endpoint", endpoint},
      {"path", path},
      {"identity",
       {{"device", identity.device},
        {"inode", identity.inode},
        {"size", identity.size},
        {"mtime_ns", identity.mtime_ns}}},
      {"upload_url", upload_url},
      {"chunk_size", chunk_size},
      {"chunk_hash", ChunkHashName(chunk_hash)},
      {"chunk_digests", chunks},
      {"file_sha256", HexEncode(file_sha256)},
      {"expires", expires},
      {"created_unix", created_unix},
      {"encoding", encoding},
      {"zstd_version", zstd_version},
  };
  nlohmann::json frame_list = nlohmann::json::array();
  for (const FrameInfo& f : frames) {
    frame_list.push_back({f.compressed_size, f.raw_size, f.checksum, f.level,
                          HexEncode(f.digest)});
  }
  j["frames"] = frame_list;
  nlohmann::json parts = nlohmann::json::array();
  for (const S3PartRecord& p : s3_parts) {
    nlohmann::json pf = nlohmann::json::array();
    for (const FrameInfo& f : p.frames) {
      pf.push_back({f.compressed_size, f.raw_size, f.checksum, f.level});
    }
    parts.push_back({{"n", p.number},
                     {"raw", {p.raw_begin, p.raw_end}},
                     {"wire", p.wire_size},
                     {"etag", p.etag},
                     {"digest", HexEncode(p.digest)},
                     {"frames", pf}});
  }
  if (!s3_parts.empty()) j["s3_parts"] = parts;
  if (!s3_key.empty()) j["s3_key"] = s3_key;
  if (!name.empty()) j["name"] = name;
  if (stream) j["stream"] = true;
  if (acked > 0) j["acked"] = acked;
  if (last_error_code != 0) {
    j["last_error"] = {{"code", last_error_code},
                       {"message", last_error_message}};
  }
  std::string payload = j.dump();
  return std::string(kMagic) + HexEncode(Sha256(payload)) + " " +
         std::to_string(payload.size()) + "\n" + payload;
}

Result<JournalRecord> JournalRecord::Decode(std::string_view bytes) {
  auto bad = [](const std::string& why) {
    return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                     "corrupt resume state: " + why);
  };
  if (bytes.substr(0, kMagic.size()) != kMagic) return bad("bad magic");
  size_t nl = bytes.find('\n');
  if (nl == std::string_view::npos || nl < kMagic.size() + 64 + 2) {
    return bad("truncated header");
  }
  std::string_view hash_hex = bytes.substr(kMagic.size(), 64);
  if (bytes[kMagic.size() + 64] != ' ') return bad("bad header");
  std::string_view len_text =
      bytes.substr(kMagic.size() + 65, nl - kMagic.size() - 65);
  if (len_text.empty() || len_text.size() > 12) return bad("bad length");
  uint64_t len = 0;
  for (char c : len_text) {
    if (c < '0' || c > '9') return bad("bad length");
    len = len * 10 + static_cast<uint64_t>(c - '0');
  }
  std::string_view payload = bytes.substr(nl + 1);
  if (payload.size() != len) return bad("length mismatch (torn write)");
  if (HexEncode(Sha256(payload)) != hash_hex) return bad("checksum mismatch");

  nlohmann::json j = nlohmann::json::parse(payload, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("not JSON");
  JournalRecord r;
  try {
    // Integers are read strictly (JsonUint/JsonInt): a float or a negative
    // where a size belongs is corruption, not something to convert.
    auto u64 = [&](const nlohmann::json& v, const char* what,
                   uint64_t hi = UINT64_MAX) -> uint64_t {
      auto n = JsonUint(v, hi);
      if (!n) throw std::invalid_argument(what);
      return *n;
    };
    // The four fields every frame entry starts with; false on a bad level.
    auto frame_head = [&](const nlohmann::json& f, FrameInfo* info) {
      info->compressed_size =
          static_cast<uint32_t>(u64(f.at(0), "frame size", UINT32_MAX));
      info->raw_size =
          static_cast<uint32_t>(u64(f.at(1), "frame raw size", UINT32_MAX));
      info->checksum =
          static_cast<uint32_t>(u64(f.at(2), "frame checksum", UINT32_MAX));
      auto level = JsonInt(f.at(3), -131072, 22);
      if (!level) return false;
      info->level = static_cast<int>(*level);
      return true;
    };
    // Version 1 (ferry 0.1) listed SHA-256 chunk digests as chunk_sha256.
    auto version = JsonInt(j.at("version"));
    if (version != 1 && version != 2) return bad("unknown version");
    const char* digests_key = version == 1 ? "chunk_sha256" : "chunk_digests";
    if (version == 1) {
      r.chunk_hash = ChunkHash::kSha256;
    } else {
      auto named = ChunkHashNamed(j.at("chunk_hash").get<std::string>());
      if (!named) return bad("unknown chunk hash");
      r.chunk_hash = *named;
    }
    r.protocol = j.at("protocol").get<std::string>();
    r.endpoint = j.at("endpoint").get<std::string>();
    r.path = j.at("path").get<std::string>();
    const auto& id = j.at("identity");
    r.identity.device = u64(id.at("device"), "device");
    r.identity.inode = u64(id.at("inode"), "inode");
    r.identity.size = u64(id.at("size"), "size");
    auto mtime = JsonInt(id.at("mtime_ns"));
    if (!mtime) return bad("bad mtime");
    r.identity.mtime_ns = *mtime;
    r.upload_url = j.at("upload_url").get<std::string>();
    r.chunk_size = u64(j.at("chunk_size"), "chunk_size");
    if (!j.at(digests_key).is_array() || !j.at("frames").is_array()) {
      return bad("lists are not arrays");
    }
    for (const auto& c : j.at(digests_key)) {
      std::string raw;
      if (!HexDecode(c.get<std::string>(), &raw) ||
          raw.size() != ChunkDigestSize(r.chunk_hash)) {
        return bad("bad chunk hash");
      }
      r.chunk_digests.push_back(std::move(raw));
    }
    // Empty until known: hashed as the file streams (unless announced).
    if (!HexDecode(j.at("file_sha256").get<std::string>(), &r.file_sha256) ||
        (r.file_sha256.size() != 32 && !r.file_sha256.empty())) {
      return bad("bad file hash");
    }
    r.expires = j.at("expires").get<std::string>();
    auto created = JsonInt(j.at("created_unix"));
    if (!created) return bad("bad creation time");
    r.created_unix = *created;
    r.encoding = j.at("encoding").get<std::string>();
    r.zstd_version = static_cast<unsigned>(
        u64(j.at("zstd_version"), "zstd_version", UINT32_MAX));
    if (r.encoding != "identity" && r.encoding != "zstd") {
      return bad("unknown encoding");
    }
    for (const auto& f : j.at("frames")) {
      if (!f.is_array() || f.size() != 5) return bad("bad frame entry");
      FrameInfo info;
      if (!frame_head(f, &info)) return bad("bad frame level");
      if (!HexDecode(f.at(4).get<std::string>(), &info.digest) ||
          info.digest.size() != ChunkDigestSize(r.chunk_hash)) {
        return bad("bad frame hash");
      }
      r.frames.push_back(std::move(info));
    }
    if (j.contains("s3_parts")) {
      if (!j.at("s3_parts").is_array()) return bad("parts not an array");
      for (const auto& pj : j.at("s3_parts")) {
        S3PartRecord p;
        p.number = static_cast<uint32_t>(u64(pj.at("n"), "part", 10000));
        const auto& raw = pj.at("raw");
        if (!raw.is_array() || raw.size() != 2) return bad("bad part range");
        p.raw_begin = u64(raw.at(0), "part begin");
        p.raw_end = u64(raw.at(1), "part end");
        p.wire_size = u64(pj.at("wire"), "part size");
        p.etag = pj.at("etag").get<std::string>();
        if (!HexDecode(pj.at("digest").get<std::string>(), &p.digest) ||
            p.digest.size() != ChunkDigestSize(r.chunk_hash)) {
          return bad("bad part hash");
        }
        if (!pj.at("frames").is_array()) return bad("bad part frames");
        uint64_t raw_sum = 0;
        for (const auto& f : pj.at("frames")) {
          if (!f.is_array() || f.size() != 4) return bad("bad frame entry");
          FrameInfo info;
          if (!frame_head(f, &info)) return bad("bad frame level");
          raw_sum += info.raw_size;
          p.frames.push_back(std::move(info));
        }
        if (p.number == 0 || p.raw_begin > p.raw_end ||
            (!p.frames.empty() && raw_sum != p.raw_end - p.raw_begin)) {
          return bad("bad part");
        }
        r.s3_parts.push_back(std::move(p));
      }
    }
    // Optional fields (absent in older records).
    if (j.contains("s3_key")) r.s3_key = j.at("s3_key").get<std::string>();
    if (j.contains("name")) r.name = j.at("name").get<std::string>();
    if (j.contains("stream")) r.stream = j.at("stream").get<bool>();
    if (j.contains("acked")) r.acked = u64(j.at("acked"), "acked");
    if (j.contains("last_error")) {
      const auto& le = j.at("last_error");
      auto code = JsonInt(le.at("code"), 0, INT32_MAX);
      if (!code) return bad("bad last error");
      r.last_error_code = static_cast<int32_t>(*code);
      r.last_error_message = le.at("message").get<std::string>();
    }
  } catch (const nlohmann::json::exception& e) {
    return bad(std::string("missing or mistyped field: ") + e.what());
  } catch (const std::invalid_argument& e) {
    return bad(std::string("bad number: ") + e.what());
  }
  if (r.chunk_size == 0) return bad("zero chunk size");
  // A stream's entry is only listed, never resumed: its size is not final.
  if (r.stream) return r;
  for (const S3PartRecord& p : r.s3_parts) {
    if (p.raw_end > r.identity.size) return bad("part past the file's end");
  }
  uint64_t want =
      r.identity.size == 0 ? 0 : (r.identity.size - 1) / r.chunk_size + 1;
  // Fingerprints are recorded as chunks are first read: up to one a chunk.
  if (r.chunk_digests.size() > want)
    return bad("more fingerprints than chunks");
  if (r.frames.size() > want) return bad("more frames than chunks");
  for (size_t i = 0; i < r.frames.size(); ++i) {
    uint64_t raw =
        std::min<uint64_t>(r.chunk_size, r.identity.size - i * r.chunk_size);
    if (r.frames[i].raw_size != raw) return bad("frame size mismatch");
  }
  return r;
}

std::string Journal::DefaultDir() {
  const char* xdg = std::getenv("XDG_STATE_HOME");
  if (xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/ferry";
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] != '\0') {
    return std::string(home) + "/.local/state/ferry";
  }
  return "/tmp/ferry-state-" + std::to_string(::getuid());
}

std::string Journal::EntryPath(std::string_view endpoint,
                               std::string_view abs_path) const {
  // Length-prefixed so distinct (endpoint, path) pairs never collide.
  std::string key = std::to_string(endpoint.size()) + ":" +
                    std::string(endpoint) + std::string(abs_path);
  return dir_ + "/" + HexEncode(Sha256(key)).substr(0, 40) + ".fj";
}

Journal::Loaded Journal::Load(std::string_view endpoint,
                              std::string_view abs_path) const {
  Loaded out;
  std::string path = EntryPath(endpoint, abs_path);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno != ENOENT) {
      out.state = LoadState::kCorrupt;
      out.problem = std::string("cannot open: ") + std::strerror(errno);
    }
    return out;
  }
  Result<JournalRecord> r = JournalRecord::Decode(ReadAndClose(fd));
  if (!r.ok()) {
    out.state = LoadState::kCorrupt;
    out.problem = r.error().message;
    return out;
  }
  if (r.value().endpoint != endpoint || r.value().path != abs_path) {
    out.state = LoadState::kCorrupt;
    out.problem = "entry belongs to another file";
    return out;
  }
  out.state = LoadState::kLoaded;
  out.record = std::move(r.value());
  return out;
}

Status Journal::Prepare() const {
  std::string partial;
  for (size_t i = 0; i <= dir_.size(); ++i) {
    if (i == dir_.size() || dir_[i] == '/') {
      partial = dir_.substr(0, i);
      if (partial.empty()) continue;
      if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
        return Unwritable(partial);
      }
    }
  }
  if (::access(dir_.c_str(), W_OK | X_OK) != 0) return Unwritable(dir_);
  return OkStatus();
}

Status WriteFileAtomic(const std::string& path, std::string_view bytes,
                       bool durable) {
  std::random_device rd;
  std::string tmp =
      path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rd());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Unwritable(tmp);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      Error e = Unwritable(tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return e;
    }
    done += static_cast<size_t>(n);
  }
  if (durable && ::fsync(fd) != 0) {
    Error e = Unwritable(tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return e;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Error e = Unwritable(path);
    ::unlink(tmp.c_str());
    return e;
  }
  if (!durable) return OkStatus();
  size_t slash = path.rfind('/');
  return SyncDir(slash == std::string::npos ? "." : path.substr(0, slash));
}

// Removes temp files that writers of `entry` left when they were killed
// mid-write (their process is gone); a live writer's file is left alone.
void RemoveStaleTemps(const std::string& dir, const std::string& entry) {
  std::string prefix = entry.substr(entry.rfind('/') + 1) + ".tmp.";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.rfind(prefix, 0) != 0) continue;
    long pid =
        std::strtol(name.c_str() + prefix.size(), nullptr, 10);  // NOLINT
    if (pid > 0 &&
        (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM)) {
      continue;
    }
    ::unlinkat(::dirfd(d), name.c_str(), 0);
  }
  ::closedir(d);
}

Status Journal::Save(const JournalRecord& record, bool durable) const {
  Status s = Prepare();
  if (!s.ok()) return s;
  std::string entry = EntryPath(record.endpoint, record.path);
  RemoveStaleTemps(dir_, entry);
  return WriteFileAtomic(entry, record.Encode(), durable);
}

std::vector<JournalRecord> Journal::List() const {
  std::vector<JournalRecord> out;
  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr) return out;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() != 43 || name.substr(40) != ".fj") continue;
    int fd =
        ::openat(::dirfd(d), name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) continue;
    Result<JournalRecord> r = JournalRecord::Decode(ReadAndClose(fd));
    // Only an entry stored under its own name: a copy elsewhere is foreign.
    if (r.ok() &&
        EntryPath(r.value().endpoint, r.value().path) == dir_ + "/" + name) {
      out.push_back(std::move(r.value()));
    }
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(),
            [](const JournalRecord& a, const JournalRecord& b) {
              return a.created_unix < b.created_unix;
            });
  return out;
}

void Journal::NoteFailure(std::string_view endpoint, std::string_view abs_path,
                          const Error& error) const {
  Loaded loaded = Load(endpoint, abs_path);
  if (loaded.state != LoadState::kLoaded) return;
  loaded.record.last_error_code = error.code;
  loaded.record.last_error_message = error.message;
  (void)Save(loaded.record, /*durable=*/false);
}

Status Journal::Remove(std::string_view endpoint,
                       std::string_view abs_path) const {
  std::string path = EntryPath(endpoint, abs_path);
  RemoveStaleTemps(dir_, path);
  if (::unlink(path.c_str()) != 0) {
    // Nothing was there: nothing to make durable.
    return errno == ENOENT ? OkStatus() : Unwritable(path);
  }
  return SyncDir(dir_);
}

}  // namespace ferry::internal
