// One call of ClientCore::Upload: the per-file state machine (resume or
// create, send chunk by chunk, retry with resync, finish or keep state).
#ifndef FERRY_SDK_SRC_ENGINE_UPLOAD_RUN_H_
#define FERRY_SDK_SRC_ENGINE_UPLOAD_RUN_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chunk/chunk_plan.h"
#include "codec/level_chooser.h"
#include "codec/zstd_frames.h"
#include "engine/client_core.h"
#include "engine/frame_producer.h"
#include "journal/journal.h"
#include "retry/backoff.h"
#include "source/file_source.h"

namespace ferry::internal {

class UploadRun {
 public:
  UploadRun(ClientCore* core, const UploadParams& params);
  Result<UploadSummary> Execute(const std::string& path);

  // Runs op until it succeeds, fails for good, or the budget is spent,
  // emitting a retry event before each wait.
  template <typename T, typename Op>
  Result<T> WithRetry(Op&& op) {
    for (;;) {
      Result<T> r = op();
      if (r.ok()) return r;
      if (!BackOff(r.error())) return r;
    }
  }

 private:
  static int64_t NowMs();
  // Decides on a retry for `error`; waits and returns true when one is due.
  // On false, `error` is final (possibly replaced by cancelled).
  bool BackOff(Error& error);
  bool Emit(Event event);
  // Returns false once the caller asked to cancel.
  bool ReportProgress(bool force);
  bool Sleep(int64_t ms);
  // The server confirmed new bytes: retry budgets start over.
  void OnProgress();
  // Asks the app for fresh credentials; true when it gave some.
  bool RefreshCredentials(const Error& error);
  Status Preflight() const;

  Status HashFile();
  Status LoadChunk(uint64_t index);
  Result<bool> TryResume(const JournalRecord& saved);
  Status StartFresh();
  // What to send next from offset_: part of a chunk (identity), of a frame
  // or of the seek table (zstd); nullopt when everything is sent.
  struct Piece {
    std::string_view data;
    std::optional<uint64_t> declare_length;  // the final zstd PATCH's
    // SHA-256 of exactly `data` when already known (a whole chunk or frame).
    const std::string* sha256 = nullptr;
  };
  Result<std::optional<Piece>> NextPiece();
  Status EncodeFrame(uint64_t index, int level, FrameInfo* info);
  // Raw (file) bytes before upload offset `wire`.
  uint64_t RawAt(uint64_t wire) const;
  // The largest offset the server may legitimately hold.
  uint64_t KnownEnd() const;
  Status SendAll();
  // Replaces the current upload by a fresh one (once per run), saying why.
  Status Restart(ferry_code why, const std::string& message);
  Result<UploadSummary> Finish();
  Error Cancelled();
  // Upload-Checksum for `data`; reuses `sha256` (its digest) when given.
  std::string ChecksumHeader(std::string_view data, const std::string* sha256);
  // Treats an unusable old upload: file_changed error or a fresh start.
  Result<bool> Abandon(ferry_code why, const std::string& message,
                       bool file_changed);

  ClientCore* core_;
  const UploadParams& params_;
  RetryBudget budget_;
  ServerCapabilities caps_;
  std::unique_ptr<FileSource> source_;
  JournalRecord record_;
  std::unique_ptr<ChunkPlan> plan_;
  std::vector<char> buffer_;
  int64_t buffered_index_ = -1;
  uint64_t offset_ = 0;
  uint64_t resumed_from_ = 0;
  uint64_t inflight_ = 0;
  uint64_t wire_bytes_ = 0;
  uint64_t reported_done_ = 0;
  int64_t last_report_ms_ = -1;
  int restarts_left_ = 1;
  int refreshes_left_ = 3;  // credential refreshes in a row without progress
  bool cancelled_ = false;
  FrameEncoder encoder_;
  LevelChooser chooser_;
  std::string frame_;  // the encoded frame frame_index_
  int64_t frame_index_ = -1;
  std::string seek_table_;
  std::chrono::steady_clock::time_point last_frame_done_;
  bool length_declared_ = false;
  bool irreproducible_ = false;
  bool hashed_ = false;
  // Declared last: destroyed first, so no frame is being made from members
  // that are already gone.
  std::unique_ptr<FrameProducer> producer_;
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_ENGINE_UPLOAD_RUN_H_
