// SPDX-License-Identifier: Apache-2.0
// An upload appended at offsets (tus 1.0, the IETF draft) as a Transfer:
// one upload URL per source; identity bytes stream in long PATCHes from
// chunks read ahead (or one chunk per PATCH with its checksum where the
// server takes per-request checksums); zstd frames stream in a chunked
// PATCH with a deferred length, declared with the seek table. The server's
// limits split requests. A resume asks HEAD for the offset and re-reads
// what the server holds against the recorded fingerprints. The protocol's
// own requests and headers are its AppendWire's.
#ifndef FERRY_SDK_SRC_PROTOCOLS_APPEND_APPEND_TRANSFER_H_
#define FERRY_SDK_SRC_PROTOCOLS_APPEND_APPEND_TRANSFER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codec/level_chooser.h"
#include "codec/zstd_frames.h"
#include "journal/journal.h"
#include "pipeline/chunk_ledger.h"
#include "pipeline/chunk_plan.h"
#include "pipeline/chunk_reader.h"
#include "pipeline/frame_producer.h"
#include "protocols/append/append_wire.h"
#include "protocols/transfer.h"

namespace ferry::internal {

// What one upload holds at once: four chunk buffers (one being sent,
// three read ahead) and libcurl's send buffer when the file is sent in
// large requests. Frames and a stream's windows come out of the rest of
// the budget (MakeProducer, Preflight).
uint64_t AppendUploadMemory(const ClientConfig& config, uint64_t file_size);

class AppendTransfer : public Transfer {
 public:
  // `wire` (the client's, with its cached discovery) must outlive this.
  // `fixed_level`: the configured zstd level (> 0), else 0.
  AppendTransfer(AppendWire* wire, int fixed_level);
  ~AppendTransfer() override;

  void Attach(const TransferContext* context) override;
  Status Discover() override;
  Status Preflight() override;
  std::optional<std::string> CompressionUnsupported() const override;
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
  bool RetriesPieces() const override { return false; }
  Status Resync() override;
  bool RestartCures(const Error& error) const override;
  Status Complete() override { return OkStatus(); }
  Result<UploadSummary> Summarize() override;
  Status Discard() override;
  void UseCredentials(const FreshCredentials& fresh) override;
  TransferPosition Position() const override;
  bool HasUpload() const override { return !record_.upload_url.empty(); }

 private:
  // What to send next from a wire offset: part of a chunk (identity), of a
  // frame or of the seek table (zstd); nullopt when everything is sent.
  struct Piece {
    std::string_view data;
    std::optional<uint64_t> declare_length;  // the final zstd PATCH's
    // SHA-256 of exactly `data` when already known (a whole chunk or frame).
    const std::string* sha256 = nullptr;
    bool whole_frame = false;  // all of frame frame_index_
    bool seek_table = false;   // the end of a zstd upload
  };
  Result<std::optional<Piece>> NextPieceAt(uint64_t at);
  // A frame producer sized from the memory budget and the cores.
  std::unique_ptr<FrameProducer> MakeProducer();

  bool Zstd() const { return record_.encoding == "zstd"; }
  // Reads every chunk before creation (announce_sha256): the file's SHA-256.
  Status HashFile();
  Status LoadChunk(uint64_t index);
  // Makes sure chunk `index`'s fingerprint is in the journal (before any
  // of its bytes are sent).
  Status Journaled(uint64_t index);
  // Extends the record's frame list by stored frames up to `offset` (they
  // are not journaled: a resume derives them from their chunks).
  void ExtendStoredFrames(uint64_t offset);
  // Re-reads what the server holds and checks it against the record.
  Result<std::optional<ResumeVerdict>> VerifyHeld(uint64_t offset);
  // Identity requests stream several chunks (no per-request checksum).
  bool Streams() const;
  // zstd frames stream in one chunked PATCH (no per-request checksum, and
  // the server has not refused a chunked body).
  bool StreamsFrames() const;
  Result<SendStep> SendStream();
  Result<SendStep> SendFrameStream();
  Result<SendStep> SendPiece(const Piece& piece);
  // A new frame starts streaming: tells the chooser how the last one went.
  void FrameBoundary();
  Status EncodeFrame(uint64_t index, int level, FrameInfo* info);
  // Raw (file) bytes before upload offset `wire`.
  uint64_t RawAt(uint64_t wire) const;
  // The largest offset the server may legitimately hold.
  uint64_t KnownEnd() const;
  // The per-request checksum algorithm ferry uses with this server, or "".
  const std::string& ChecksumAlgorithm() const {
    return caps_.checksum_algorithm;
  }
  // Body bytes one request may carry (the server's max-append-size and the
  // app's request size), 0: unbounded.
  uint64_t AppendCap() const;
  // Refusals of the server's limits (max-size, min-append-size) known so
  // far: before creation and again with what creation or HEAD announced.
  Status CheckLimits() const;
  // Whether the server's answer settles the upload's length: it is complete
  // (where the last request is marked) or knows its length (tus).
  bool LengthSettled(const OffsetResult& at) const;
  const std::string* ChunkSha256(uint64_t index) const;
  const std::string* FrameSha256(const FrameInfo& frame) const;
  // Upload-Checksum for `data`; reuses `sha256` (its digest) when given.
  std::string ChecksumHeader(std::string_view data, const std::string* sha256);
  ChunkReader& Reader();
  // File bytes [begin, end) as a request body; a read that fails (the file
  // changed or became unreadable) aborts the request and is kept in
  // `*unreadable`.
  BodySource StreamBody(uint64_t begin, uint64_t end,
                        std::optional<Error>* unreadable);
  // Takes a request's outcome: advances on an acknowledgement (and frees
  // what a stream no longer needs).
  Result<SendStep> Acknowledged(const Result<SendResult>& sent,
                                bool declared_length);
  // Streams: the start of the chunk the server's offset is in (that chunk
  // may be read again: a frame remade, a chunk re-sent), and the raw
  // offset up to which bytes may be held in memory (the window after it);
  // unbounded for seekable sources.
  uint64_t HeldFrom() const;
  uint64_t WindowEnd() const;
  // Past the maximum size the server announced, and the error saying so.
  bool OverMaxSize(uint64_t size) const;
  Error TooLarge(std::string message) const;
  // Streams: reads on so the plan covers raw bytes up to `raw_end` (within
  // the window) and knows whether more follow. Errors: as Source::Fill,
  // file_too_large past the server's announced maximum.
  Status Grow(uint64_t raw_end);
  // Streams: the chunks one request carries at most (what is kept for a
  // retry; the next window is read ahead meanwhile), from the budget.
  uint64_t stream_window_chunks_ = 4;
  // Whether a deferred length is still to be declared (or, where every
  // request says whether it is the last, the last is still to be sent).
  bool LengthOwed() const {
    return (create_.defer_length || caps_.marks_last_request) && !Zstd() &&
           !length_declared_;
  }

  AppendWire* wire_;
  const TransferContext* ctx_ = nullptr;
  Source* source_ = nullptr;
  SendProgressFn on_send_;
  AppendCapabilities caps_;
  int level_ = 0;  // as the session chose: 0 identity, -1 adaptive, else
  JournalRecord record_;
  std::unique_ptr<ChunkPlan> plan_;
  std::unique_ptr<ChunkLedger> ledger_;
  uint64_t journaled_chunks_ = 0;  // fingerprints the journal file holds
  std::vector<char> buffer_;
  int64_t buffered_index_ = -1;
  OffsetResult server_at_;  // what QueryServer found
  CreateParams create_;
  bool with_upload_ = false;
  uint64_t offset_ = 0;
  uint64_t inflight_ = 0;
  uint64_t wire_bytes_ = 0;
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
  // The server's SHA-256 of the whole upload, when it told (raw), or "".
  std::string stored_sha256_;
  // Declared last: destroyed first, so no frame is being made from members
  // that are already gone.
  std::unique_ptr<FrameProducer> producer_;
  std::unique_ptr<ChunkReader> reader_;
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_PROTOCOLS_APPEND_APPEND_TRANSFER_H_
