// SPDX-License-Identifier: Apache-2.0
// S3 multipart as a Transfer: parts are made in order on the session's
// thread (read, compressed into zstd frames when asked, hashed) and sent by
// a few worker threads at once, inside the memory budget, each part with
// its own retries. Each acknowledged part goes to the journal; a resume
// asks the server (ListParts) which parts it holds, re-hashes the local
// bytes of each, and sends only the rest.
#ifndef FERRY_SDK_SRC_PROTOCOLS_S3_S3_TRANSFER_H_
#define FERRY_SDK_SRC_PROTOCOLS_S3_S3_TRANSFER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "codec/hash.h"
#include "codec/zstd_frames.h"
#include "journal/journal.h"
#include "protocols/s3/s3_protocol.h"
#include "protocols/transfer.h"
#include "retry/backoff.h"
#include "sync/mutex.h"

namespace ferry::internal {

// S3's limits: parts of at least 5 MiB (but the last), at most 10,000.
inline constexpr uint64_t kS3MinPart = 5ull << 20;
inline constexpr uint32_t kS3MaxParts = 10000;

// The part size for a file: the asked one (default 8 MiB), at least 5 MiB,
// grown (in MiB steps) so the file fits in 9,000 parts — headroom under
// S3's 10,000 for zstd frames that overshoot a part's target.
uint64_t S3PartSize(uint64_t file_size, uint64_t asked);

// The bytes a part of `part_size` holds in memory for a source of
// `file_size` (when known): never more than the file's own bytes, with room
// for zstd's worst case, so small files do not take a whole part's share of
// the memory budget.
uint64_t S3PartBytes(uint64_t part_size, std::optional<uint64_t> file_size);
// The memory one part in flight holds: its bytes (S3PartBytes), with zstd
// a frame of overshoot (`chunk_size` + 1 MiB), and its request's libcurl
// send buffer when the part is a large body.
uint64_t S3PartMemory(uint64_t part_bytes, uint64_t chunk_size,
                      bool compressed);

class S3Transfer : public Transfer {
 public:
  // `s3` (the client's) must outlive this.
  explicit S3Transfer(S3Protocol* s3);
  ~S3Transfer() override;

  // What S3 does not need: discovery, a separate resync (ListParts is
  // asked on resume), a say on compression.
  Status Discover() override { return OkStatus(); }
  Status Resync() override { return OkStatus(); }
  std::optional<std::string> CompressionUnsupported() const override {
    return std::nullopt;
  }
  // Parts are retried one by one on the workers.
  bool RetriesPieces() const override { return true; }

  void Attach(const TransferContext* context) override;
  Status Preflight() override;
  Status SetCompression(int level) override;
  std::string JournalKey() const override;
  std::optional<ResumeVerdict> Screen(const JournalRecord& saved) override;
  Result<std::optional<ResumeVerdict>> QueryServer(
      const JournalRecord& saved) override;
  Result<ResumeVerdict> Adopt(const JournalRecord& saved) override;
  Status PrepareFresh() override;
  Status Create() override;
  std::string CreatedMessage() const override;
  bool AllSent() const override;
  Result<SendStep> SendNext() override;
  bool RestartCures(const Error& error) const override;
  Status Complete() override;
  Result<UploadSummary> Summarize() override;
  Status Discard() override;
  void UseCredentials(const FreshCredentials& fresh) override;
  TransferPosition Position() const override;
  bool HasUpload() const override { return !record_.upload_url.empty(); }

 private:
  Status CompletedBefore(const std::vector<S3PartInfo>& parts,
                         const Error& no_such_upload);
  // A small object in one PutObject (the creation carries it all, as tus's
  // creation-with-upload does): no multipart upload, no resume state.
  Status PutWhole();
  struct Part {
    S3PartRecord record;
    std::string data;
    std::string md5;     // raw; only when the payload is not signed
    std::string sha256;  // raw; only when it is
  };
  struct PartOutcome {
    S3PartRecord record;
    std::optional<Error> error;
  };

  bool Stopping() const;
  // Session thread: handles what workers reported (journal, events,
  // progress). Returns the first failure.
  Status CollectOutcomes() ABSL_LOCKS_EXCLUDED(mu_);
  // record_.s3_parts is always in part order. The acknowledged part
  // `number`, if any.
  const S3PartRecord* HeldPart(uint32_t number) const;
  // Takes a part the server holds as it is: its frames for the seek table,
  // its bytes for the file's SHA-256 (re-read and checked when they come
  // after a gap). Errors: file_changed, file_unreadable.
  Status TakeHeldPart(const S3PartRecord& held);
  // Forgets acknowledged parts from `number` on (sent again).
  void DropPartsFrom(uint32_t number);
  // File bytes in acknowledged parts.
  uint64_t AckedRaw() const;
  // Reads file bytes [begin, end) in blocks, feeding the file's SHA-256
  // and returning their fingerprint.
  Result<std::string> HashRange(uint64_t begin, uint64_t end);
  // Feeds the file's SHA-256 with bytes at `begin`, once, in order.
  void FeedFileHash(uint64_t begin, std::string_view bytes);
  Result<std::unique_ptr<Part>> MakePart(uint32_t number, uint64_t begin);
  // Streams: reads on to `end` (and one byte more, to know whether the
  // stream ends there).
  Status Fill(uint64_t end) {
    return source_->seekable() ? OkStatus() : source_->Fill(end + 1);
  }
  // Waits for room in the memory budget; false on a failure (in *failure).
  bool ReserveSlot(std::optional<Error>* failure);
  void ReleaseSlot();
  // Stops the workers, keeps what they finished, and returns `error` (or
  // cancelled).
  Error StopWorkers(Error error);
  void Worker();
  void HashBody(Part* part) const;
  Status UploadOne(Part* part, RetryBudget* budget);

  S3Protocol* s3_;
  const TransferContext* ctx_ = nullptr;
  Source* source_ = nullptr;
  std::string key_;
  JournalRecord record_;
  uint64_t part_size_ = 0;
  int level_ = 0;  // 0: identity, else the zstd level
  FrameEncoder encoder_;
  std::unique_ptr<Hasher> file_hash_;
  uint64_t hashed_to_ = 0;         // file bytes fed to file_hash_
  std::vector<FrameInfo> frames_;  // every frame so far, in order (zstd)
  // Parts the server holds, by number (what QueryServer found).
  std::map<uint32_t, S3PartInfo> server_parts_;
  std::vector<std::pair<std::string, std::string>> create_meta_;
  HeaderList create_headers_;  // the object's settings
  uint64_t resumed_from_ = 0;
  uint32_t slots_ = 1;  // parts in memory at once
  // Below the client's s3_multipart_threshold (signing ourselves, a source
  // of known size that can be read again): one PutObject.
  bool single_ = false;
  std::unique_ptr<Part> whole_;  // single_: the object, kept for retries
  uint32_t workers_wanted_ = 1;
  uint64_t per_part_ = 0;   // a part's bytes at most, as budgeted
  uint64_t acked_raw_ = 0;  // session thread: AckedRaw() as last counted

  std::atomic<bool> stop_{false};  // a worker failed for good
  std::atomic<uint64_t> wire_bytes_{0};
  std::atomic<uint64_t> sent_raw_{0};  // raw bytes of parts in flight, sent
  Mutex mu_;
  CondVar cv_;
  std::deque<std::unique_ptr<Part>> queue_ ABSL_GUARDED_BY(mu_);
  uint32_t in_memory_ ABSL_GUARDED_BY(mu_) = 0;
  // Bodies of sent parts, reused: a fresh multi-MiB allocation per part lets
  // the allocator's heap grow past the budget (at most slots_ of them).
  std::vector<std::string> spare_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<PartOutcome> outcomes_ ABSL_GUARDED_BY(mu_);
  std::vector<Event> events_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> workers_;
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_PROTOCOLS_S3_S3_TRANSFER_H_
