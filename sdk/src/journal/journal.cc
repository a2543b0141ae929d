// SPDX-License-Identifier: Apache-2.0
#include "journal/journal.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>

#include "codec/hash.h"
#include "codec/json_number.h"
#include "journal/journal_log.h"

namespace ferry::internal {
namespace {

constexpr size_t kMaxJournalBytes = 64 << 20;  // refuse absurd files

Error Untrusted(const std::string& why) {
  return MakeError(FERRY_ERR_STATE_UNTRUSTED,
                   "the resume state directory is not safe to use: " + why);
}

std::string OctalMode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%03o", static_cast<unsigned>(mode & 0777));
  return buf;
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

Error StateUnwritable(const std::string& what) {
  return MakeError(
      FERRY_ERR_STATE_UNWRITABLE,
      "cannot write resume state: " + what + ": " + std::strerror(errno));
}

bool WriteFully(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string JournalRecord::Encode() const { return SealRecord(ToJson()); }

nlohmann::json FrameJson(const FrameInfo& f) {
  return {f.compressed_size, f.raw_size, f.checksum, f.level,
          HexEncode(f.digest)};
}

nlohmann::json S3PartJson(const S3PartRecord& p) {
  // A part's frames go to the seek table, which needs no digest.
  nlohmann::json frames = nlohmann::json::array();
  for (const FrameInfo& f : p.frames) {
    frames.push_back({f.compressed_size, f.raw_size, f.checksum, f.level});
  }
  return {{"n", p.number},
          {"raw", {p.raw_begin, p.raw_end}},
          {"wire", p.wire_size},
          {"etag", p.etag},
          {"digest", HexEncode(p.digest)},
          {"frames", std::move(frames)}};
}

JournalListing JournalRecord::Listing() const {
  return {name, stream, identity.size, acked};
}

nlohmann::json JournalRecord::ToJson() const { return ToJson(Listing()); }

nlohmann::json JournalRecord::ToJson(const JournalListing& listing) const {
  nlohmann::json j = HeadJson(listing);
  nlohmann::json chunks = nlohmann::json::array();
  for (const auto& c : chunk_digests) chunks.push_back(HexEncode(c));
  j["chunk_digests"] = std::move(chunks);
  nlohmann::json frame_list = nlohmann::json::array();
  for (const FrameInfo& f : frames) frame_list.push_back(FrameJson(f));
  j["frames"] = std::move(frame_list);
  if (!s3_parts.empty()) {
    nlohmann::json parts = nlohmann::json::array();
    for (const S3PartRecord& p : s3_parts) parts.push_back(S3PartJson(p));
    j["s3_parts"] = std::move(parts);
  }
  return j;
}

nlohmann::json JournalRecord::HeadJson(const JournalListing& listing) const {
  nlohmann::json j = {
      {"version", 2},
      {"protocol", protocol},
      {"endpoint", endpoint},
      {"path", path},
      {"identity",
       {{"device", identity.device},
        {"inode", identity.inode},
        {"size", listing.size},
        {"mtime_ns", identity.mtime_ns}}},
      {"upload_url", upload_url},
      {"chunk_size", chunk_size},
      {"chunk_hash", ChunkHashName(chunk_hash)},
      {"file_sha256", HexEncode(file_sha256)},
      {"expires", expires},
      {"created_unix", created_unix},
      {"encoding", encoding},
      {"zstd_version", zstd_version},
  };
  if (!s3_key.empty()) j["s3_key"] = s3_key;
  if (!listing.name.empty()) j["name"] = listing.name;
  if (listing.stream) j["stream"] = true;
  if (listing.acked > 0) j["acked"] = listing.acked;
  if (last_error_code != 0) {
    j["last_error"] = {{"code", last_error_code},
                       {"message", last_error_message}};
  }
  return j;
}

Result<JournalRecord> JournalRecord::Decode(std::string_view bytes) {
  Result<nlohmann::json> j = ReadJournalBlocks(bytes);
  if (!j.ok()) return j.error();
  return FromJson(j.value());
}

Result<JournalRecord> JournalRecord::FromJson(const nlohmann::json& j) {
  auto bad = [](const std::string& why) { return CorruptState(why); };
  if (!j.is_object()) return bad("not JSON");
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
  // Within what a client can have written (ClientConfig's limits: chunks
  // up to 4 GiB, S3 parts up to 5 GiB and 10,000 of them): anything else
  // was not written by ferry and is not trusted.
  if (r.chunk_size == 0 || r.chunk_size > (5ull << 30)) {
    return bad("chunk size out of range");
  }
  if (r.protocol.empty() || r.protocol.size() > 16 ||
      r.protocol.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789") !=
          std::string::npos) {
    return bad("malformed protocol name");
  }
  if (r.encoding != "identity" && r.encoding != "zstd") {
    return bad("unknown encoding");
  }
  if (r.identity.size > (1ull << 60) || r.acked > r.identity.size) {
    return bad("size out of range");
  }
  if (r.s3_parts.size() > 10000) return bad("more than 10,000 parts");
  for (const S3PartRecord& p : r.s3_parts) {
    if (p.number < 1 || p.number > 10000 || p.raw_begin > p.raw_end) {
      return bad("part out of range");
    }
  }
  if (r.last_error_code >= FERRY_CODE_END_) return bad("unknown error code");
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
  // No shared fallback (a world-writable /tmp is where someone else could
  // plant state): Prepare() reports state_unwritable instead.
  return "";
}

std::string Journal::EntryName(std::string_view endpoint,
                               std::string_view abs_path) {
  // Length-prefixed so distinct (endpoint, path) pairs never collide.
  std::string key = std::to_string(endpoint.size()) + ":" +
                    std::string(endpoint) + std::string(abs_path);
  return HexEncode(Sha256(key)).substr(0, 40) + ".fj";
}

std::string Journal::EntryPath(std::string_view endpoint,
                               std::string_view abs_path) const {
  return dir_ + "/" + EntryName(endpoint, abs_path);
}

Journal::Loaded Journal::Load(std::string_view endpoint,
                              std::string_view abs_path) const {
  Loaded out;
  Result<UniqueFd> dir = OpenDir();
  if (!dir.ok()) {
    out.state = LoadState::kDirectoryRefused;
    out.error = dir.error();
    return out;
  }
  std::string name = EntryName(endpoint, abs_path);
  int fd = ::openat(dir.value().get(), name.c_str(),
                    O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
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

void UniqueFd::Reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

namespace {

// Creates the missing components of `dir` (0700).
Status MakeDirs(const std::string& dir) {
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i != dir.size() && dir[i] != '/') continue;
    std::string partial = dir.substr(0, i);
    if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
      return StateUnwritable(partial);
    }
  }
  return OkStatus();
}

}  // namespace

Result<UniqueFd> Journal::OpenDir() const {
  if (dir_.empty()) {
    errno = ENOENT;
    return MakeError(FERRY_ERR_STATE_UNWRITABLE,
                     "no resume state directory: neither XDG_STATE_HOME nor "
                     "HOME is set; set one, or give a state directory");
  }
  // The directory itself must not be a link, and must be ours and closed to
  // others: whoever can write in it can plant a record that sends our file
  // and our credentials to an upload of theirs. Opened on every save: the
  // missing components are made only when it is not there yet.
  constexpr int kFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  UniqueFd fd(::open(dir_.c_str(), kFlags));
  if (fd.get() < 0 && errno == ENOENT) {
    Status made = MakeDirs(dir_);
    if (!made.ok()) return made.error();
    fd = UniqueFd(::open(dir_.c_str(), kFlags));
  }
  if (fd.get() < 0) {
    int why = errno;
    struct stat link;
    if (why == ELOOP ||
        (::lstat(dir_.c_str(), &link) == 0 && S_ISLNK(link.st_mode))) {
      return Untrusted(dir_ + " is a symbolic link");
    }
    errno = why;
    return StateUnwritable(dir_);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return StateUnwritable(dir_);
  if (st.st_uid != ::geteuid()) {
    return Untrusted(dir_ + " belongs to uid " + std::to_string(st.st_uid) +
                     ", not to this user (uid " + std::to_string(::geteuid()) +
                     ")");
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Untrusted(dir_ + " can be written by other users (mode " +
                     OctalMode(st.st_mode) + "); chmod 700 it");
  }
  if (::faccessat(fd.get(), ".", W_OK | X_OK, AT_EACCESS) != 0) {
    return StateUnwritable(dir_);
  }
  return fd;
}

Status Journal::Prepare() const {
  Result<UniqueFd> dir = OpenDir();
  if (!dir.ok()) return dir.error();
  return OkStatus();
}

namespace {

// Closes fd, reporting a failure (NFS and some filesystems report write
// errors only here).
bool CloseChecked(int fd) { return ::close(fd) == 0 || errno == EINTR; }

}  // namespace

void PauseJournalWriteForTests() {
  static const long ms = [] {  // NOLINT(runtime/int)
    const char* v = std::getenv("FERRY_TEST_JOURNAL_PAUSE_MS");
    return v != nullptr ? std::strtol(v, nullptr, 10) : 0L;
  }();
  if (ms > 0 && ms <= 1000) ::usleep(static_cast<useconds_t>(ms) * 1000);
}

namespace {

// Writes `name` in `dir` as a whole: a temp file, fsync, renameat, fsync of
// the directory. A reader sees the old bytes or the new ones. *inode (when
// not null): the new file's.
Status WriteAtomicAt(int dir, const std::string& name, std::string_view bytes,
                     bool durable, ino_t* inode) {
  std::random_device rd;
  std::string tmp =
      name + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rd());
  int fd = ::openat(dir, tmp.c_str(),
                    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return StateUnwritable(tmp);
  auto fail = [&](int open_fd) {
    Error e = StateUnwritable(tmp);  // errno of the failed call, before cleanup
    if (open_fd >= 0) ::close(open_fd);
    ::unlinkat(dir, tmp.c_str(), 0);
    return e;
  };
  // ENOSPC, EIO, EDQUOT: typed, nothing sent.
  if (!WriteFully(fd, bytes)) return fail(fd);
  if (durable && ::fsync(fd) != 0) return fail(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) return fail(fd);
  if (inode != nullptr) *inode = st.st_ino;  // renameat keeps it
  PauseJournalWriteForTests();
  if (!CloseChecked(fd)) return fail(-1);
  if (::renameat(dir, tmp.c_str(), dir, name.c_str()) != 0) return fail(-1);
  if (durable && ::fsync(dir) != 0) return StateUnwritable(name);
  return OkStatus();
}

// Removes temp files that writers of `entry` left when they were killed
// mid-write (their process is gone); a live writer's file is left alone.
void RemoveStaleTemps(int dir, const std::string& entry) {
  std::string prefix = entry + ".tmp.";
  int copy = ::dup(dir);
  if (copy < 0) return;
  DIR* d = ::fdopendir(copy);
  if (d == nullptr) {
    ::close(copy);
    return;
  }
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.rfind(prefix, 0) != 0) continue;
    long pid =
        std::strtol(name.c_str() + prefix.size(), nullptr, 10);  // NOLINT
    if (pid > 0 &&
        (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM)) {
      continue;
    }
    ::unlinkat(dir, name.c_str(), 0);
  }
  ::closedir(d);
}

}  // namespace

Status Journal::Save(const JournalRecord& record, bool durable) const {
  return SaveSealed(record, record.Encode(), durable, nullptr);
}

Status Journal::SaveSealed(const JournalRecord& record, std::string_view sealed,
                           bool durable, ino_t* inode) const {
  Result<UniqueFd> dir = OpenDir();
  if (!dir.ok()) return dir.error();
  std::string name = EntryName(record.endpoint, record.path);
  RemoveStaleTemps(dir.value().get(), name);
  return WriteAtomicAt(dir.value().get(), name, sealed, durable, inode);
}

std::vector<JournalRecord> Journal::List() const {
  std::vector<JournalRecord> out;
  Result<UniqueFd> dir = OpenDir();
  if (!dir.ok()) return out;
  DIR* d = ::fdopendir(dir.value().release());
  if (d == nullptr) return out;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() != 43 || name.substr(40) != ".fj") continue;
    int fd =
        ::openat(::dirfd(d), name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) continue;
    Result<JournalRecord> r = JournalRecord::Decode(ReadAndClose(fd));
    // Only an entry stored under its own name: a copy elsewhere is foreign.
    if (r.ok() && EntryName(r.value().endpoint, r.value().path) == name) {
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

Result<UniqueFd> Journal::Lock(std::string_view endpoint,
                               std::string_view abs_path) const {
  Result<UniqueFd> dir = OpenDir();
  if (!dir.ok()) return dir.error();
  std::string name = EntryName(endpoint, abs_path) + ".lock";
  // A holder removes the file as it lets go: a lock taken on a file no
  // longer under that name is worthless, so take it again.
  for (int attempt = 0; attempt < 8; ++attempt) {
    UniqueFd fd(::openat(dir.value().get(), name.c_str(),
                         O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (fd.get() < 0) return StateUnwritable(name);
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK) return StateUnwritable(name);
      return MakeError(FERRY_ERR_UPLOAD_IN_PROGRESS,
                       "another process is uploading this source to this "
                       "endpoint (" +
                           dir_ + "/" + name +
                           " is locked); wait for it to end or stop it");
    }
    struct stat held, named;
    if (::fstat(fd.get(), &held) == 0 &&
        ::fstatat(dir.value().get(), name.c_str(), &named,
                  AT_SYMLINK_NOFOLLOW) == 0 &&
        held.st_ino == named.st_ino && held.st_dev == named.st_dev) {
      return fd;
    }
  }
  return StateUnwritable(name);
}

void Journal::Unlock(std::string_view endpoint, std::string_view abs_path,
                     UniqueFd lock) const {
  if (lock.get() < 0) return;
  Result<UniqueFd> dir = OpenDir();
  if (dir.ok()) {
    std::string name = EntryName(endpoint, abs_path) + ".lock";
    ::unlinkat(dir.value().get(), name.c_str(), 0);  // while still held
  }
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
  Result<UniqueFd> dir = OpenDir();
  if (!dir.ok()) return dir.error();
  std::string name = EntryName(endpoint, abs_path);
  RemoveStaleTemps(dir.value().get(), name);
  if (::unlinkat(dir.value().get(), name.c_str(), 0) != 0) {
    // Nothing was there: nothing to make durable.
    return errno == ENOENT ? OkStatus() : StateUnwritable(name);
  }
  if (::fsync(dir.value().get()) != 0) return StateUnwritable(dir_);
  return OkStatus();
}

}  // namespace ferry::internal
