// One upload of a file to S3 by multipart: parts are made in order on the
// calling thread (read, compressed into zstd frames when asked, hashed) and
// sent by a few worker threads at once, inside the memory budget. Each
// acknowledged part goes to the journal; a resume asks the server
// (ListParts) which parts it holds, re-hashes the local bytes of each, and
// sends only the rest.
#ifndef FERRY_SDK_SRC_ENGINE_S3_UPLOAD_RUN_H_
#define FERRY_SDK_SRC_ENGINE_S3_UPLOAD_RUN_H_

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
#include "engine/client_core.h"
#include "journal/journal.h"
#include "protocol/s3/s3_protocol.h"
#include "retry/backoff.h"
#include "source/file_source.h"
#include "sync/mutex.h"

namespace ferry::internal {

// S3's limits: parts of at least 5 MiB (but the last), at most 10,000.
inline constexpr uint64_t kS3MinPart = 5ull << 20;
inline constexpr uint32_t kS3MaxParts = 10000;

// The part size for a file: the asked one (default 8 MiB), at least 5 MiB,
// grown (in MiB steps) so the file fits in 9,000 parts — headroom under
// S3's 10,000 for zstd frames that overshoot a part's target.
uint64_t S3PartSize(uint64_t file_size, uint64_t asked);

class S3UploadRun {
 public:
  S3UploadRun(ClientCore* core, S3Protocol* s3, const UploadParams& params);
  ~S3UploadRun();
  Result<UploadSummary> Execute(const std::string& path);

 private:
  struct Part {
    S3PartRecord record;
    std::string data;
    std::string md5;     // raw
    std::string sha256;  // raw
  };
  struct Done {
    S3PartRecord record;
    std::optional<Error> error;
  };

  static int64_t NowMs();
  bool Emit(const Event& event);
  bool ReportProgress(bool force);
  Error Cancelled() const;
  // Main thread: waits up to 100 ms for workers, then handles what they
  // reported (journal, events, progress). Returns the first failure.
  Status Pump() ABSL_LOCKS_EXCLUDED(mu_);
  // Runs op with retries on the main thread.
  template <typename T, typename Op>
  Result<T> WithRetry(Op&& op);

  Result<bool> TryResume(const JournalRecord& saved);
  Status StartFresh();
  Status Restart(ferry_code why, const std::string& message);
  // Reads file bytes [begin, end) in blocks, feeding the file's SHA-256
  // (when `in_order`) and returning their fingerprint.
  Result<std::string> HashRange(uint64_t begin, uint64_t end);
  Result<std::unique_ptr<Part>> MakePart(uint32_t number, uint64_t begin);
  Status SendParts();
  void Worker();
  Status UploadOne(Part* part, RetryBudget* budget);
  Result<UploadSummary> Finish();

  ClientCore* core_;
  S3Protocol* s3_;
  const UploadParams& params_;
  RetryBudget budget_;
  std::unique_ptr<FileSource> source_;
  std::string key_;
  std::string journal_key_;
  JournalRecord record_;
  uint64_t part_size_ = 0;
  int level_ = 0;  // 0: identity, else the zstd level
  FrameEncoder encoder_;
  std::unique_ptr<Hasher> file_hash_;
  std::vector<FrameInfo> frames_;  // every frame so far, in order (zstd)
  // Parts the server already holds, by number (resume).
  std::map<uint32_t, S3PartInfo> server_parts_;
  uint64_t resumed_from_ = 0;
  uint64_t reported_done_ = 0;
  int64_t last_report_ms_ = -1;
  int restarts_left_ = 1;
  uint32_t slots_ = 1;  // parts in memory at once
  uint32_t workers_wanted_ = 1;

  std::atomic<bool> cancelled_{false};
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
  uint64_t per_part_ = 0;  // a part's bytes at most, as budgeted
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Done> done_ ABSL_GUARDED_BY(mu_);
  std::vector<Event> events_ ABSL_GUARDED_BY(mu_);
  uint64_t acked_raw_ = 0;  // main thread
  std::vector<std::thread> workers_;
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_ENGINE_S3_UPLOAD_RUN_H_
