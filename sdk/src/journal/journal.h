/* SPDX-License-Identifier: Apache-2.0 */
// Crash-safe resume state: one small file per (endpoint, file path), named by
// a hash, mode 0600, replaced atomically (temp + fsync + rename + dir fsync)
// and self-checking (a SHA-256 over the payload), so a torn or corrupted
// write is detected and never trusted.
#ifndef FERRY_SDK_SRC_JOURNAL_JOURNAL_H_
#define FERRY_SDK_SRC_JOURNAL_JOURNAL_H_

#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/hash.h"
#include "codec/zstd_frames.h"
#include "errors/error.h"
#include "source/source.h"

namespace ferry::internal {

// One S3 part the server acknowledged (protocol "s3").
struct S3PartRecord {
  uint32_t number = 0;
  uint64_t raw_begin = 0;  // the file bytes it carries: [raw_begin, raw_end)
  uint64_t raw_end = 0;
  uint64_t wire_size = 0;  // its bytes as sent (compressed for zstd)
  std::string etag;
  std::string digest;  // of the file bytes, of the record's ChunkHash kind
  // zstd: the frames it holds (compressed, raw, checksum; level 0 for
  // stored), for the seek table that ends the object.
  std::vector<FrameInfo> frames;

  bool operator==(const S3PartRecord&) const = default;
};

// What the list of unfinished uploads shows of an upload (the record's
// fields of the same names; `size` is identity.size). Kept apart so that
// the session fills them in for every protocol without copying the whole
// record on every save.
struct JournalListing {
  std::string name;
  bool stream = false;
  uint64_t size = 0;
  uint64_t acked = 0;
};

struct JournalRecord {
  std::string protocol = "tus";
  std::string endpoint;
  std::string path;  // absolute
  FileIdentity identity;
  std::string upload_url;  // secret-bearing: only ever stored 0600
  uint64_t chunk_size = 0;
  // One raw digest a chunk, taken before the upload began (see ChunkHash).
  ChunkHash chunk_hash = ChunkHash::kXxh3_128;
  std::vector<std::string> chunk_digests;
  std::string file_sha256;  // raw 32 bytes
  std::string expires;      // Upload-Expires as sent, or ""
  int64_t created_unix = 0;
  // "identity", or "zstd": one frame per chunk, then a seek table. Frames
  // are recorded before they are sent, so a resume can regenerate and
  // verify the one the server holds part of.
  std::string encoding = "identity";
  unsigned zstd_version = 0;
  std::vector<FrameInfo> frames;
  // S3: upload_url holds the UploadId, endpoint the object's identity, and
  // these the parts the server acknowledged (any order).
  std::vector<S3PartRecord> s3_parts;
  std::string s3_key;  // S3: the object's key (to abort it when forgotten)

  // For the list of unfinished uploads: what the upload goes by, whether
  // its source is a stream (no identity on disk: listed, never resumed;
  // identity.size is then the bytes read when last saved), the raw bytes
  // the server had acknowledged when last saved, and the last error.
  std::string name;
  bool stream = false;
  uint64_t acked = 0;
  int32_t last_error_code = 0;
  std::string last_error_message;

  // Serialised form: a header line with the payload's SHA-256, then JSON
  // (journal_log.h: deltas may follow it on disk).
  std::string Encode() const;
  // Fails (invalid_argument) on anything but an intact, well-formed record
  // (a torn last delta is dropped: see journal_log.h).
  static Result<JournalRecord> Decode(std::string_view bytes);
  // The JSON Encode() seals, and its strict inverse.
  nlohmann::json ToJson() const;
  static Result<JournalRecord> FromJson(const nlohmann::json& j);

  // This record's own listing fields.
  JournalListing Listing() const;
  // ToJson() with `listing` in place of the record's listing fields.
  nlohmann::json ToJson(const JournalListing& listing) const;
  // The same without the lists (chunk_digests, frames, s3_parts): what a
  // save compares field by field (journal_writer.h).
  nlohmann::json HeadJson(const JournalListing& listing) const;
};

// The JSON forms of a record's list items, as ToJson() writes them.
nlohmann::json FrameJson(const FrameInfo& frame);
nlohmann::json S3PartJson(const S3PartRecord& part);

// A file descriptor, closed with its owner.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = o.release();
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Reset();

 private:
  int fd_;
};

class Journal {
 public:
  // dir: the state directory; created 0700 on first write when missing.
  explicit Journal(std::string dir) : dir_(std::move(dir)) {}

  // Default directory: $XDG_STATE_HOME/ferry, else ~/.local/state/ferry;
  // "" when neither variable is set (Prepare then fails: there is no
  // shared fallback).
  static std::string DefaultDir();
  // The entry's file name in the directory: a digest of the (redacted)
  // endpoint and the path.
  static std::string EntryName(std::string_view endpoint,
                               std::string_view abs_path);

  const std::string& dir() const { return dir_; }
  // File that holds the state of `path` uploaded to `endpoint`.
  std::string EntryPath(std::string_view endpoint,
                        std::string_view abs_path) const;

  // kDirectoryRefused: the directory could not be opened or failed
  // OpenDir's checks (`error`: state_untrusted or state_unwritable).
  enum class LoadState { kMissing, kLoaded, kCorrupt, kDirectoryRefused };
  struct Loaded {
    LoadState state = LoadState::kMissing;
    JournalRecord record;
    std::string problem;  // why a corrupt entry was rejected
    std::optional<Error> error;
  };
  // Opens the directory, creating it (0700) when missing, and checks that
  // it can be trusted: not a symbolic link, owned by the effective user,
  // not writable by group or others, writable by us. Every other method
  // works relative to the descriptor (openat, renameat, unlinkat, fsync).
  // Errors: state_untrusted, state_unwritable.
  Result<UniqueFd> OpenDir() const;
  // OpenDir(), so an upload fails before sending rather than after.
  Status Prepare() const;
  // Takes the advisory lock of one entry (flock on "<entry>.lock"), so
  // that one process at a time uploads a source to an endpoint; released
  // when the descriptor closes (also when the process dies). Errors:
  // upload_in_progress (another process holds it), state_untrusted,
  // state_unwritable.
  Result<UniqueFd> Lock(std::string_view endpoint,
                        std::string_view abs_path) const;
  // Releases a lock taken by Lock() and removes its file.
  void Unlock(std::string_view endpoint, std::string_view abs_path,
              UniqueFd lock) const;
  Loaded Load(std::string_view endpoint, std::string_view abs_path) const;
  // Atomic replace (write, rename): a reader sees the old record or the new
  // one, whenever the writer is killed. `durable` also fsyncs the file and
  // the directory, so the record survives a power cut. Errors:
  // state_unwritable.
  Status Save(const JournalRecord& record, bool durable = true) const;
  // Save() of bytes already sealed from `record` (JournalWriter's);
  // *inode (when not null) gets the written file's.
  Status SaveSealed(const JournalRecord& record, std::string_view sealed,
                    bool durable, ino_t* inode) const;
  // Removes the entry; missing is fine. Errors: state_unwritable.
  Status Remove(std::string_view endpoint, std::string_view abs_path) const;

  // Every entry of the directory that decodes (corrupt ones are skipped:
  // an upload of their source reports and removes them).
  std::vector<JournalRecord> List() const;
  // Notes the error an upload ended with in its entry, when there is one.
  // Best effort.
  void NoteFailure(std::string_view endpoint, std::string_view abs_path,
                   const Error& error) const;

 private:
  std::string dir_;
};

// state_unwritable for `what`, with errno's reason.
Error StateUnwritable(const std::string& what);
// Writes all of `bytes` to fd (retrying short writes and EINTR); false,
// errno set, on failure.
bool WriteFully(int fd, std::string_view bytes);

// Test-only: FERRY_TEST_JOURNAL_PAUSE_MS widens the moment inside a write
// (between a record's write and its rename, between a delta's header and
// its payload), so that the kill tests can show their SIGKILLs land inside
// writes (and the state survives them). Unset: no pause.
void PauseJournalWriteForTests();

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_JOURNAL_JOURNAL_H_
