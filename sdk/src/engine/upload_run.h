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
#include "engine/chunk_ledger.h"
#include "engine/chunk_reader.h"
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

  // Reads every chunk before creation (announce_sha256): the file's SHA-256.
  Status HashFile();
  Status LoadChunk(uint64_t index);
  // Makes sure chunk `index`'s fingerprint is in the journal (before any
  // of its bytes are sent).
  Status Journaled(uint64_t index);
  Result<bool> TryResume(const JournalRecord& saved);
  Status StartFresh();
  // What to send next from offset_: part of a chunk (identity), of a frame
  // or of the seek table (zstd); nullopt when everything is sent.
  struct Piece {
    std::string_view data;
    std::optional<uint64_t> declare_length;  // the final zstd PATCH's
    // SHA-256 of exactly `data` when already known (a whole chunk or frame).
    const std::string* sha256 = nullptr;
    bool whole_frame = false;  // all of frame frame_index_
    bool seek_table = false;   // the end of a zstd upload
  };
  Result<std::optional<Piece>> NextPiece();
  // The same at wire offset `at` (at or after what the server confirmed).
  Result<std::optional<Piece>> NextPieceAt(uint64_t at);
  // Whether zstd frames stream in one chunked PATCH (no per-request
  // checksum, and the server has not refused a chunked body).
  bool StreamsFrames() const;
  Status StreamFrames(const SendProgressFn& on_send);
  // A new frame starts streaming: tells the chooser how the last one went.
  void FrameBoundary();
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
  // The tus checksum algorithm ferry uses with this server, or "".
  std::string ChecksumAlgorithm() const;
  // Chunk `index`'s SHA-256 when the record's chunk digests are SHA-256.
  const std::string* ChunkSha256(uint64_t index) const;
  // A frame's SHA-256 when the record's digests are SHA-256.
  const std::string* FrameSha256(const FrameInfo& frame) const;
  // Whether requests stream several chunks (identity, no per-request
  // checksum) rather than carry one piece each.
  bool Streams() const;
  ChunkReader& Reader();
  // Whether a sample of the file shrinks under zstd level 1 (auto mode
  // sends a file that does not as identity). Errors: file_unreadable.
  Result<bool> SampleCompresses();
  // File bytes [begin, end) as a request body; a read that fails (the file
  // changed or became unreadable) aborts the request and is kept in
  // `*unreadable`.
  BodySource StreamBody(uint64_t begin, uint64_t end,
                        std::optional<Error>* unreadable);
  // Takes a request's outcome: advances on an acknowledgement; otherwise
  // backs off and asks the server where it stands (or fails for good).
  Status AfterSend(const Result<SendResult>& sent, bool declared_length);
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
  std::unique_ptr<ChunkLedger> ledger_;
  uint64_t journaled_chunks_ = 0;  // fingerprints the journal file holds
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
  bool chunked_refused_ = false;
  // Declared last: destroyed first, so no frame is being made from members
  // that are already gone.
  std::unique_ptr<FrameProducer> producer_;
  std::unique_ptr<ChunkReader> reader_;
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_ENGINE_UPLOAD_RUN_H_
