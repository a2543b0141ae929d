// SPDX-License-Identifier: Apache-2.0
#include "protocols/append/append_transfer.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <map>

#include "absl/strings/match.h"
#include "codec/hash.h"
#include "http/http_client.h"
#include "http/url.h"
#include "session/source_checks.h"
#include "source/content_type.h"

namespace ferry::internal {

uint64_t AppendUploadMemory(const ClientConfig& config, uint64_t file_size) {
  return 4 * std::min(config.chunk_size, std::max<uint64_t>(file_size, 1)) +
         (file_size > kLargeBodyBytes ? kLargeBodySendBuffer : 0);
}

AppendTransfer::AppendTransfer(AppendWire* wire, int fixed_level)
    : wire_(wire), chooser_(std::max(fixed_level, 0)) {}

AppendTransfer::~AppendTransfer() = default;

void AppendTransfer::Attach(const TransferContext* context) {
  ctx_ = context;
  source_ = context->source;
  on_send_ = [this](uint64_t sent) {
    inflight_ = sent;
    return ctx_->tick();
  };
}

Status AppendTransfer::Discover() {
  Result<AppendCapabilities> caps = wire_->CachedCapabilities();
  if (!caps.ok()) return caps.error();
  caps_ = caps.value();
  return OkStatus();
}

Status AppendTransfer::Preflight() {
  for (const auto& h : ctx_->params->object.headers) {
    // tus and the draft store bytes, not an object: only the media type
    // has a place (tus: the "filetype" metadata tus-js-client sends; the
    // draft: the creating request's Content-Type).
    if (!absl::EqualsIgnoreCase(h.first, "content-type")) {
      std::string message(wire_->Name());
      message.append(
          " uploads take no object header but Content-Type (the file's "
          "media type); ");
      message.append(h.first).append(" is S3's");
      return MakeError(FERRY_ERR_INVALID_ARGUMENT, message);
    }
  }
  if (!source_->seekable()) {
    // Besides the four chunk buffers every upload has, a stream keeps the
    // window being sent and reads the next one: up to 4 chunks each, fewer
    // in a smaller budget, never less than one.
    const ClientConfig& cfg = *ctx_->config;
    uint64_t spare = cfg.memory_budget / cfg.chunk_size - 4;
    if (spare < 2) {
      return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                       "a stream needs a memory budget of at least 6 chunks "
                       "(4 buffers, the window being sent and the next): "
                       "raise the budget or lower the chunk size");
    }
    stream_window_chunks_ = std::min<uint64_t>(4, spare / 2);
  }
  // A stream of unknown length is checked as it is read (Grow).
  return CheckLimits();
}

Status AppendTransfer::CheckLimits() const {
  uint64_t size = source_->expected_size().value_or(source_->size());
  if (OverMaxSize(size)) {
    Error e = TooLarge("the file is " + std::to_string(size) +
                       " bytes; the server accepts at most " +
                       std::to_string(caps_.limits.max_size) +
                       " (refused before sending)");
    e.url = RedactUrl(ctx_->config->endpoint);
    return e;
  }
  // Requests are as long as the rest of the file (a stream: its window;
  // zstd: every frame in one request, the seek table last), one chunk
  // where each carries a checksum. A server that wants every append but
  // the last larger than that cannot be served so.
  // (A retry that resumes inside a chunk sends its rest alone, which such
  // a server refuses: the upload then fails, typed.)
  uint64_t min = caps_.limits.min_append_size;
  uint64_t cap = AppendCap();
  const ClientConfig& cfg = *ctx_->config;
  bool per_chunk = !ChecksumAlgorithm().empty();
  uint64_t per_request = per_chunk ? cfg.chunk_size : UINT64_MAX;
  if (!source_->seekable()) {
    per_request = std::min(per_request, stream_window_chunks_ * cfg.chunk_size);
  }
  if (cap > 0) per_request = std::min(per_request, cap);
  if (min > 0 && per_request < min) {
    Error e = MakeError(
        FERRY_ERR_INVALID_ARGUMENT,
        "the server wants appends of at least " + std::to_string(min) +
            " bytes (Upload-Limit min-append-size) but this upload sends " +
            std::to_string(per_request) +
            " per request: raise the chunk (or request) size");
    e.origin = FERRY_ORIGIN_SERVER;
    e.limit = static_cast<int64_t>(min);
    return e;
  }
  return OkStatus();
}

uint64_t AppendTransfer::AppendCap() const {
  uint64_t cap = caps_.limits.max_append_size;
  uint64_t app = ctx_->config->request_size;
  if (app > 0 && (cap == 0 || app < cap)) cap = app;
  return cap;
}

bool AppendTransfer::LengthSettled(const OffsetResult& at) const {
  return caps_.marks_last_request ? at.complete : at.length >= 0;
}

std::optional<std::string> AppendTransfer::CompressionUnsupported() const {
  // The compressed length is not known up front; without deferring it the
  // choice is to send the file as it is (documented).
  if (!caps_.deferred_length) {
    return "the server does not offer creation-defer-length: sending the "
           "file uncompressed";
  }
  return std::nullopt;
}

Status AppendTransfer::SetCompression(int level) {
  level_ = level;
  return OkStatus();
}

// Redacted: the state directory never holds the endpoint's user info or
// query (a token, a signature), and a rotated signature keeps the entry.
std::string AppendTransfer::JournalKey() const {
  return RedactUrl(ctx_->config->endpoint);
}

Status AppendTransfer::HashFile() {
  // Announcing the SHA-256 at creation needs it before the first byte:
  // one pass through the ledger (which then knows every chunk).
  if (!source_->seekable() && !plan_->complete()) {
    return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                     "announce_sha256 needs the whole source before the "
                     "first byte, and this stream is longer than what is "
                     "kept in memory: upload it without announcing (the "
                     "result still reports its SHA-256)");
  }
  std::vector<char> block(std::min(plan_->chunk_size(), plan_->file_size()));
  for (uint64_t i = ledger_->known(); i < plan_->count(); ++i) {
    Status s = ledger_->Read(i, block.data());
    if (!s.ok()) return s;
    if (!ctx_->tick()) return TransferCancelled();
  }
  Result<std::string> sha = ledger_->FileSha256();
  if (!sha.ok()) return sha.error();
  record_.file_sha256 = sha.value();
  return OkStatus();
}

Status AppendTransfer::LoadChunk(uint64_t index) {
  if (buffered_index_ == static_cast<int64_t>(index)) return OkStatus();
  ChunkRange c = plan_->Chunk(index);
  buffer_.resize(std::max<size_t>(buffer_.size(), c.length));
  buffered_index_ = -1;
  Status s = ledger_->Read(index, buffer_.data());
  if (!s.ok()) return s;
  buffered_index_ = static_cast<int64_t>(index);
  return OkStatus();
}

Status AppendTransfer::Journaled(uint64_t index) {
  if (index < journaled_chunks_) return OkStatus();
  // A chunk's fingerprint is on disk before any byte of it leaves, so a
  // resume can check whatever the server holds. Not fsynced: it survives
  // the process being killed; after a power cut an older record at worst
  // makes the resume start over (see Adopt).
  record_.chunk_digests = ledger_->Fingerprints();
  Status saved = ctx_->save(record_, /*durable=*/false);
  if (!saved.ok()) return saved;
  journaled_chunks_ = record_.chunk_digests.size();
  if (index >= journaled_chunks_) {
    return MakeError(FERRY_ERR_INTERNAL_ERROR,
                     "chunk " + std::to_string(index) + " sent unread");
  }
  return OkStatus();
}

const std::string* AppendTransfer::FrameSha256(const FrameInfo& frame) const {
  return record_.chunk_hash == ChunkHash::kSha256 ? &frame.digest : nullptr;
}

const std::string* AppendTransfer::ChunkSha256(uint64_t index) const {
  return record_.chunk_hash == ChunkHash::kSha256 &&
                 index < record_.chunk_digests.size()
             ? &record_.chunk_digests[index]
             : nullptr;
}

std::string AppendTransfer::ChecksumHeader(std::string_view data,
                                           const std::string* sha256) {
  std::string algo = ChecksumAlgorithm();
  if (algo.empty()) return "";
  if (algo == "sha256" && sha256 != nullptr) {
    return algo + " " + Base64Encode(*sha256);
  }
  auto h = Hasher::Create(algo);
  h->Update(data.data(), data.size());
  return algo + " " + Base64Encode(h->Finish());
}

std::optional<ResumeVerdict> AppendTransfer::Screen(
    const JournalRecord& saved) {
  if (saved.protocol != wire_->Name()) {
    return Unusable(FERRY_ERR_UPLOAD_EXPIRED,
                    "the saved upload belongs to another protocol");
  }
  if (!wire_->CheckUploadUrl(saved.upload_url).ok()) {
    return Unusable(FERRY_ERR_REDIRECT_REFUSED,
                    "the saved upload URL is not on the endpoint's origin");
  }
  if (!saved.expires.empty()) {
    time_t when = curl_getdate(saved.expires.c_str(), nullptr);
    if (when > 0 && when < time(nullptr)) {
      return Unusable(FERRY_ERR_UPLOAD_EXPIRED,
                      "the server's copy expired at " + saved.expires);
    }
  }
  return std::nullopt;
}

Result<std::optional<ResumeVerdict>> AppendTransfer::QueryServer(
    const JournalRecord& saved) {
  Result<OffsetResult> server = wire_->QueryOffset(saved.upload_url);
  if (!server.ok()) {
    const Error& err = server.error();
    if (err.code == FERRY_ERR_UPLOAD_EXPIRED ||
        err.code == FERRY_ERR_PERMISSION_DENIED) {
      return std::optional<ResumeVerdict>(Unusable(
          err.code, "the server no longer has the interrupted upload (HTTP " +
                        std::to_string(err.http_status) + ")"));
    }
    return err;
  }
  server_at_ = server.value();
  return std::optional<ResumeVerdict>();
}

void AppendTransfer::ExtendStoredFrames(uint64_t offset) {
  // Frames sent stored were not journaled: the server may hold more than
  // the list says. Stored frames are a function of their chunk, so the
  // list is extended (and each extended frame rebuilt and checked later).
  uint64_t end = 0;
  for (const FrameInfo& f : record_.frames) end += f.compressed_size;
  while (end < offset && record_.frames.size() < plan_->count() &&
         record_.frames.size() < record_.chunk_digests.size()) {
    FrameInfo f;
    f.raw_size =
        static_cast<uint32_t>(plan_->Chunk(record_.frames.size()).length);
    f.compressed_size = static_cast<uint32_t>(StoredFrameSize(f.raw_size));
    record_.frames.push_back(f);
    end += f.compressed_size;
  }
}

Result<ResumeVerdict> AppendTransfer::Adopt(const JournalRecord& saved) {
  const OffsetResult& at = server_at_;
  // The server's copy must be of this content: a server that reports the
  // sha256 it was created with tells whether this is still our upload.
  for (const auto& [key, value] : at.metadata) {
    if (key == "sha256" && !saved.file_sha256.empty() &&
        value != HexEncode(saved.file_sha256)) {
      return Unusable(FERRY_ERR_UNEXPECTED_RESPONSE,
                      "the server's upload at the saved address is of other "
                      "content (its sha256 metadata differs)");
    }
  }
  reader_.reset();
  producer_.reset();
  record_ = saved;
  plan_ = std::make_unique<ChunkPlan>(*source_, record_.chunk_size);
  ledger_ = std::make_unique<ChunkLedger>(
      source_, plan_.get(), record_.chunk_hash, record_.chunk_digests);
  journaled_chunks_ = record_.chunk_digests.size();
  bool zstd = Zstd();
  if (zstd) ExtendStoredFrames(at.offset);
  // Bytes the server holds must be of chunks whose fingerprints were
  // recorded; otherwise (a record from before a power cut) they cannot be
  // checked, and the upload starts over rather than trust them.
  uint64_t checkable =
      zstd ? KnownEnd()
           : std::min<uint64_t>(source_->size(), record_.chunk_digests.size() *
                                                     record_.chunk_size);
  if (at.offset > checkable &&
      !(zstd && record_.frames.size() == plan_->count())) {
    hashed_ = false;
    return Unusable(FERRY_ERR_UNEXPECTED_RESPONSE,
                    "the server holds bytes the resume state has no "
                    "fingerprints for (the state is older than the upload)");
  }
  // The server's copy must fit what was recorded: for zstd, the frames
  // journaled (and the seek table once all are); otherwise the file.
  uint64_t known_end = KnownEnd();
  bool complete = !zstd || record_.frames.size() == plan_->count();
  if (at.offset > known_end ||
      (at.length >= 0 &&
       (!complete || static_cast<uint64_t>(at.length) !=
                         (zstd ? known_end : source_->size())))) {
    hashed_ = false;
    return Unusable(FERRY_ERR_UNEXPECTED_RESPONSE,
                    "the server's copy has another length or an offset past "
                    "what was sent");
  }
  if (caps_.marks_last_request && at.complete && at.offset < known_end) {
    hashed_ = false;
    return Unusable(FERRY_ERR_UNEXPECTED_RESPONSE,
                    "the server's copy is complete at " +
                        std::to_string(at.offset) + " bytes, short of the " +
                        std::to_string(known_end) + " of the file");
  }
  length_declared_ = LengthSettled(at);
  caps_.limits.Merge(at.limits);
  hashed_ = true;
  Result<std::optional<ResumeVerdict>> held = VerifyHeld(at.offset);
  if (!held.ok()) return held.error();
  if (held.value()) return *held.value();
  offset_ = at.offset;
  if (!at.expires.empty()) record_.expires = at.expires;
  return Resumed(at.offset, "resuming where the server's copy ends");
}

Result<std::optional<ResumeVerdict>> AppendTransfer::VerifyHeld(
    uint64_t offset) {
  // Re-read what the server holds and compare it with the hashes recorded
  // when it was sent: a file edited in place is never resumed onto.
  bool zstd = Zstd();
  uint64_t covered = 0;
  if (!zstd) {
    covered = offset == 0 ? 0 : plan_->IndexAt(offset - 1) + 1;
  } else {
    for (uint64_t start = 0; covered < record_.frames.size() && start < offset;
         ++covered) {
      start += record_.frames[covered].compressed_size;
    }
  }
  for (uint64_t i = 0; i < covered; ++i) {
    Status s = LoadChunk(i);
    if (s.ok() && zstd && record_.frames[i].digest.empty()) {
      // An extended stored frame: rebuild it for its checksum and hash.
      s = EncodeFrame(i, 0, &record_.frames[i]);
    }
    if (!s.ok()) {
      if (s.error().code != FERRY_ERR_FILE_CHANGED) return s.error();
      hashed_ = false;
      return std::optional<ResumeVerdict>(Unusable(
          FERRY_ERR_FILE_CHANGED,
          "the file's content differs from what was already sent", true));
    }
    if (!ctx_->tick()) return TransferCancelled();
  }
  if (!zstd) {
    // Identity chunks are sent from the reader's buffers from here on.
    buffered_index_ = -1;
    std::vector<char>().swap(buffer_);
  }
  return std::optional<ResumeVerdict>();
}

Status AppendTransfer::PrepareFresh() {
  // Frames and chunks read ahead belong to the old upload (and read record_).
  producer_.reset();
  reader_.reset();
  const ClientConfig& cfg = *ctx_->config;
  if (!hashed_) {
    // Fingerprints of a previous upload of this file are not reused: it
    // may have changed since.
    record_ = JournalRecord();
    record_.protocol = std::string(wire_->Name());
    record_.endpoint = JournalKey();
    record_.path = ctx_->source_key;
    record_.identity = source_->identity();
    record_.chunk_size = cfg.chunk_size;
    record_.chunk_hash = ChunkHash::kXxh3_128;
    plan_ = std::make_unique<ChunkPlan>(*source_, cfg.chunk_size);
    ledger_ = std::make_unique<ChunkLedger>(
        source_, plan_.get(), record_.chunk_hash, std::vector<std::string>());
    // A stream reads the next window while this one is sent.
    source_->SetReadAhead(2 * stream_window_chunks_ * cfg.chunk_size);
    buffered_index_ = -1;
    hashed_ = true;
  }
  if (cfg.announce_sha256 && record_.file_sha256.empty()) {
    Status s = HashFile();
    if (!s.ok()) return s;
  }
  record_.upload_url.clear();
  record_.expires.clear();
  record_.frames.clear();
  record_.encoding = level_ != 0 ? "zstd" : "identity";
  record_.zstd_version = level_ != 0 ? ZstdVersion() : 0;
  record_.created_unix = static_cast<int64_t>(time(nullptr));
  frame_index_ = -1;
  length_declared_ = false;
  irreproducible_ = false;
  stored_sha256_.clear();
  offset_ = 0;

  // The app's metadata may replace the defaults, never add a duplicate key.
  std::map<std::string, std::string> meta;
  if (!source_->name().empty()) meta["filename"] = source_->name();
  const ObjectSettings& object = ctx_->params->object;
  for (const auto& [name, value] : object.headers) meta["filetype"] = value;
  if (object.guess_content_type && !meta.count("filetype")) {
    auto type = GuessContentType(source_->name());
    if (type) meta["filetype"] = *type;
  }
  for (const auto& [k, v] : ctx_->params->metadata) meta[k] = v;
  if (!record_.file_sha256.empty()) {
    meta["sha256"] = HexEncode(record_.file_sha256);
  }
  bool zstd = Zstd();
  std::optional<uint64_t> expected = source_->expected_size();
  if (zstd) {
    // The stored object is a zstd stream of the file (docs/compression.md).
    meta["encoding"] = "zstd";
    if (expected) meta["original-length"] = std::to_string(*expected);
  }
  if (!expected && !caps_.deferred_length) {
    return MakeError(FERRY_ERR_PROTOCOL_UNSUPPORTED,
                     "a stream of unknown length needs the server's "
                     "creation-defer-length extension, which it does not "
                     "offer: give the stream's length");
  }
  create_ = CreateParams();
  create_.length = expected.value_or(0);
  create_.defer_length = zstd || !expected;
  create_.metadata.assign(meta.begin(), meta.end());
  // Where the last request is marked, an empty file is one creation that
  // says it is complete.
  with_upload_ = !zstd && caps_.create_with_bytes && expected &&
                 (*expected > 0 || caps_.marks_last_request);
  if (with_upload_ && *expected > 0) {
    Result<std::string_view> first = Reader().Get(0);
    if (!first.ok()) return first.error();
    create_.first_bytes = first.value();
    const std::string* sha256 = ChunkSha256(0);
    uint64_t cap = AppendCap();
    uint64_t probe = caps_.creation_bytes_cap;
    if (probe > 0 && (cap == 0 || probe < cap)) cap = probe;
    if (cap > 0 && create_.first_bytes.size() > cap) {
      create_.first_bytes = create_.first_bytes.substr(0, cap);
      sha256 = nullptr;
    }
    if (create_.first_bytes.size() < caps_.limits.min_append_size &&
        create_.first_bytes.size() < *expected) {
      // Too little for an append the server takes: the appends carry it.
      with_upload_ = false;
      create_.first_bytes = {};
    }
    create_.checksum = ChecksumHeader(create_.first_bytes, sha256);
  }
  // The upload's URL, as soon as the server names it (before its answer):
  // journaled, so a process killed while the creation's bytes are sent
  // resumes that upload. Not for a creation that carries the whole file
  // (at most a chunk): no state to write and fsync only to delete it.
  bool whole = with_upload_ && create_.first_bytes.size() == *expected;
  if (whole) return OkStatus();
  create_.on_url = [this](const std::string& url) {
    record_.upload_url = url;
    record_.chunk_digests = ledger_->Fingerprints();
    if (ctx_->save(record_, /*durable=*/true).ok()) {
      journaled_chunks_ = record_.chunk_digests.size();
    }
  };
  return OkStatus();
}

Status AppendTransfer::Create() {
  inflight_ = 0;
  Result<CreateResult> created = wire_->Create(create_, on_send_, &wire_bytes_);
  inflight_ = 0;
  if (!created.ok()) {
    // A URL named early belongs to an upload this request did not make.
    record_.upload_url.clear();
    return created.error();
  }
  record_.upload_url = created.value().url;
  record_.expires = created.value().expires;
  offset_ = created.value().offset;
  if (created.value().complete) length_declared_ = true;
  caps_.limits.Merge(created.value().limits);
  Status limits = CheckLimits();
  if (!limits.ok()) return limits;
  // A file the creation request carried whole has nothing left to resume:
  // no state to write (and fsync) only to delete it.
  if (!(with_upload_ && offset_ == source_->size())) {
    record_.chunk_digests = ledger_->Fingerprints();
    Status saved = ctx_->save(record_, /*durable=*/true);
    if (!saved.ok()) return saved;
    journaled_chunks_ = record_.chunk_digests.size();
  }
  return OkStatus();
}

std::string AppendTransfer::CreatedMessage() const {
  return "created " + RedactUrl(record_.upload_url);
}

uint64_t AppendTransfer::RawAt(uint64_t wire) const {
  if (!Zstd()) return wire;
  uint64_t start = 0, raw = 0;
  for (const FrameInfo& f : record_.frames) {
    if (wire < start + f.compressed_size) {
      return raw + (wire - start) * f.raw_size / f.compressed_size;
    }
    start += f.compressed_size;
    raw += f.raw_size;
  }
  return raw;
}

bool AppendTransfer::OverMaxSize(uint64_t size) const {
  return caps_.limits.max_size >= 0 &&
         size > static_cast<uint64_t>(caps_.limits.max_size);
}

Error AppendTransfer::TooLarge(std::string message) const {
  Error e = MakeError(FERRY_ERR_FILE_TOO_LARGE, std::move(message));
  e.limit = caps_.limits.max_size;
  e.origin = FERRY_ORIGIN_SERVER;
  return e;
}

uint64_t AppendTransfer::HeldFrom() const {
  uint64_t chunk = plan_->chunk_size();
  return RawAt(offset_) / chunk * chunk;
}

uint64_t AppendTransfer::WindowEnd() const {
  if (source_->seekable()) return UINT64_MAX;
  return HeldFrom() + stream_window_chunks_ * plan_->chunk_size();
}

Status AppendTransfer::Grow(uint64_t raw_end) {
  if (source_->seekable() || plan_->complete()) return OkStatus();
  Status filled = source_->Fill(std::min(raw_end, WindowEnd()) + 1);
  if (!filled.ok()) return filled;
  if (OverMaxSize(source_->size())) {
    return TooLarge("the stream is longer than the " +
                    std::to_string(caps_.limits.max_size) +
                    " bytes the server accepts");
  }
  return OkStatus();
}

uint64_t AppendTransfer::KnownEnd() const {
  if (!Zstd()) return source_->size();
  uint64_t end = 0;
  for (const FrameInfo& f : record_.frames) end += f.compressed_size;
  if (plan_->complete() && record_.frames.size() == plan_->count()) {
    end += SeekTable(record_.frames).size();
  }
  return end;
}

TransferPosition AppendTransfer::Position() const {
  TransferPosition p;
  if (source_ == nullptr || !plan_) return p;
  p.raw_acked = RawAt(offset_);
  p.raw_sending = RawAt(offset_ + inflight_) - p.raw_acked;
  p.wire_bytes = wire_bytes_;
  p.offset = offset_;
  return p;
}

bool AppendTransfer::AllSent() const {
  if (!plan_->complete()) return false;
  if (!Zstd()) return offset_ >= plan_->file_size() && !LengthOwed();
  return record_.frames.size() == plan_->count() && offset_ >= KnownEnd();
}

Status AppendTransfer::EncodeFrame(uint64_t index, int level, FrameInfo* info) {
  Status loaded = LoadChunk(index);
  if (!loaded.ok()) return loaded;
  std::string_view raw(buffer_.data(), plan_->Chunk(index).length);
  EncodeMeasured(encoder_, chooser_, raw, level, info, record_.chunk_hash, 0,
                 &frame_);
  frame_index_ = static_cast<int64_t>(index);
  return OkStatus();
}

Result<std::optional<AppendTransfer::Piece>> AppendTransfer::NextPieceAt(
    uint64_t at) {
  if (!Zstd()) {
    Status grown = Grow(at + plan_->chunk_size());
    if (!grown.ok()) return grown.error();
    if (at >= plan_->file_size()) {
      if (!plan_->complete() || !LengthOwed()) return std::optional<Piece>();
      Piece declare;  // only the length is left to say
      declare.declare_length = plan_->file_size();
      return std::optional<Piece>(declare);
    }
    ChunkRange chunk = plan_->Chunk(plan_->IndexAt(at));
    Result<std::string_view> data = Reader().Get(chunk.index);
    if (!data.ok()) return data.error();
    Status recorded = Journaled(chunk.index);
    if (!recorded.ok()) return recorded.error();
    Piece p;
    p.data = data.value().substr(at - chunk.offset);
    if (at == chunk.offset) p.sha256 = ChunkSha256(chunk.index);
    if (LengthOwed() && plan_->complete() &&
        chunk.end() == plan_->file_size()) {
      p.declare_length = plan_->file_size();
    }
    return std::optional<Piece>(p);
  }
  // zstd: frames in chunk order, then the seek table.
  uint64_t start = 0;
  size_t k = 0;
  auto& frames = record_.frames;
  while (k < frames.size() && start + frames[k].compressed_size <= at) {
    start += frames[k].compressed_size;
    ++k;
  }
  Piece p;
  if (k < frames.size()) {
    // The server holds part of frame k, or we are about to send it: make it
    // again and check it is byte for byte the frame recorded.
    if (frame_index_ != static_cast<int64_t>(k)) {
      FrameInfo again;
      Status s = EncodeFrame(k, frames[k].level, &again);
      if (!s.ok()) return s.error();
      if (frames[k].digest.empty()) {
        // A stored frame the journal did not list: its bytes follow from
        // the (verified) chunk alone.
        frames[k] = again;
      } else if (again.digest != frames[k].digest) {
        frame_index_ = -1;
        irreproducible_ = true;
        return MakeError(FERRY_ERR_INTEGRITY_FAILED,
                         "frame " + std::to_string(k) +
                             " cannot be regenerated exactly (zstd " +
                             std::to_string(record_.zstd_version) + " then, " +
                             std::to_string(ZstdVersion()) + " now)");
      }
    }
    p.data = std::string_view(frame_).substr(at - start);
    if (at == start) {
      p.whole_frame = true;
      p.sha256 = FrameSha256(frames[k]);
    }
    return std::optional<Piece>(p);
  }
  if (k >= plan_->count() && !plan_->complete()) {
    Status grown = Grow((k + 1) * plan_->chunk_size());
    if (!grown.ok()) return grown.error();
    // The window is full: this request ends here.
    if (k >= plan_->count() && !plan_->complete()) {
      return std::optional<Piece>();
    }
  }
  if (k < plan_->count()) {
    // A new frame (made ahead while the previous one was sent).
    if (!producer_) producer_ = MakeProducer();
    // The sent frame's buffer goes back first, for the frame made ahead
    // next: the buffers stay depth + 1 however long the file.
    producer_->Recycle(std::move(frame_));
    frame_index_ = -1;
    ProducedFrame made = producer_->Take(k);
    if (!made.status.ok()) return made.status.error();
    frame_ = std::move(made.bytes);
    frame_index_ = static_cast<int64_t>(k);
    frames.push_back(made.info);
    // A compressed frame is journaled (with all before it) before a byte of
    // it leaves, so a resume can check it regenerates exactly. Stored
    // frames need no entry: a resume derives them from the chunks, which
    // keeps fast links free of an fsync per chunk. Either way the chunk's
    // fingerprint is recorded first.
    if (made.info.level != 0) {
      record_.chunk_digests = ledger_->Fingerprints();
      Status saved = ctx_->save(record_, /*durable=*/true);
      if (!saved.ok()) return saved.error();
      journaled_chunks_ = record_.chunk_digests.size();
    }
    Status recorded = Journaled(k);
    if (!recorded.ok()) return recorded.error();
    p.data = frame_;
    p.whole_frame = true;
    p.sha256 = FrameSha256(frames.back());
    return std::optional<Piece>(p);
  }
  seek_table_ = SeekTable(frames);
  uint64_t total = start + seek_table_.size();
  if (at >= total) return std::optional<Piece>();
  p.data = std::string_view(seek_table_).substr(at - start);
  p.seek_table = true;
  if (!length_declared_) p.declare_length = total;
  return std::optional<Piece>(p);
}

std::unique_ptr<FrameProducer> AppendTransfer::MakeProducer() {
  // Frames are made by as many workers as there are cores, as far as the
  // budget holds them beside the four chunk buffers, the frame on the wire,
  // a stream's windows and libcurl's send buffer; an automatic level goes as
  // high as that many encoders fit.
  const ClientConfig& cfg = *ctx_->config;
  uint64_t chunk = cfg.chunk_size;
  uint64_t windows = source_->seekable() ? 0 : 2 * stream_window_chunks_;
  uint64_t held = (5 + windows) * chunk + kLargeBodySendBuffer;
  uint64_t memory = cfg.memory_budget > held ? cfg.memory_budget - held : 0;
  int fixed = chooser_.fixed_level();
  int workers = FrameWorkers(memory, chunk, fixed > 0 ? fixed : 6);
  int max_level = 1;
  for (int level = 2; level <= 19; ++level) {
    uint64_t each = FrameWorkerMemory(chunk, level);
    if (static_cast<uint64_t>(workers) * each <= memory) max_level = level;
  }
  chooser_.SetWorkers(workers, max_level);
  return std::make_unique<FrameProducer>(ledger_.get(), plan_.get(), &chooser_,
                                         workers);
}

bool AppendTransfer::RestartCures(const Error& error) const {
  // A lost upload, or a server copy that cannot be continued byte-exactly:
  // start over cleanly rather than send bytes that do not match it.
  return error.code == FERRY_ERR_UPLOAD_EXPIRED ||
         (irreproducible_ && error.code == FERRY_ERR_INTEGRITY_FAILED);
}

Result<SendStep> AppendTransfer::SendNext() {
  if (Streams()) return SendStream();
  Result<std::optional<Piece>> next = NextPieceAt(offset_);
  if (!next.ok()) return next.error();
  if (!next.value()) {
    // Everything is on the server already (a resume found it whole).
    return MakeError(FERRY_ERR_INTERNAL_ERROR, "nothing left to send");
  }
  if (!next.value()->seek_table && StreamsFrames()) return SendFrameStream();
  return SendPiece(*next.value());
}

Result<SendStep> AppendTransfer::SendStream() {
  // One request carries as much of the file as allowed, from chunks read
  // and checked ahead: no stop at each chunk for an answer. A stream's
  // request ends at its window (what it keeps in memory for a retry).
  Status grown = Grow(WindowEnd());
  if (!grown.ok()) return grown.error();
  uint64_t end = std::min(plan_->file_size(), WindowEnd());
  uint64_t limit = AppendCap();
  if (limit > 0) end = std::min(end, offset_ + limit);
  std::optional<uint64_t> declare;
  if (LengthOwed() && plan_->complete() && end == plan_->file_size()) {
    declare = end;
  }
  std::optional<Error> unreadable;
  BodySource body = StreamBody(offset_, end, &unreadable);
  inflight_ = 0;
  Result<SendResult> sent = wire_->Send(record_.upload_url, offset_, body, "",
                                        declare, on_send_, &wire_bytes_);
  inflight_ = 0;
  if (unreadable) return *unreadable;
  return Acknowledged(sent, declare.has_value());
}

Result<SendStep> AppendTransfer::SendPiece(const Piece& whole) {
  // A server's max-append-size splits a chunk or frame (the request that
  // declares the length is the one that reaches it).
  Piece piece = whole;
  uint64_t cap = AppendCap();
  if (cap > 0 && piece.data.size() > cap) {
    piece.data = piece.data.substr(0, cap);
    piece.sha256 = nullptr;
    piece.whole_frame = false;
    piece.declare_length.reset();
  }
  std::string checksum = ChecksumHeader(piece.data, piece.sha256);
  inflight_ = 0;
  auto start = std::chrono::steady_clock::now();
  Result<SendResult> sent =
      wire_->Send(record_.upload_url, offset_, piece.data, checksum,
                  piece.declare_length, on_send_, &wire_bytes_);
  inflight_ = 0;
  if (sent.ok() && sent.value().offset > offset_ && Zstd()) {
    auto now = std::chrono::steady_clock::now();
    chooser_.OnSent(static_cast<double>(sent.value().offset - offset_),
                    std::chrono::duration<double>(now - start).count());
    if (piece.whole_frame && frame_index_ >= 0 &&
        last_frame_done_ != std::chrono::steady_clock::time_point()) {
      const FrameInfo& f = record_.frames[frame_index_];
      chooser_.OnFrameDone(
          f.level, f.raw_size,
          std::chrono::duration<double>(now - last_frame_done_).count());
    }
    last_frame_done_ = now;
  }
  return Acknowledged(sent, piece.declare_length.has_value());
}

Result<SendStep> AppendTransfer::Acknowledged(const Result<SendResult>& sent,
                                              bool declared_length) {
  if (!sent.ok()) return sent.error();
  if (!sent.value().stored_sha256.empty()) {
    stored_sha256_ = sent.value().stored_sha256;
  }
  // A request that only declared the length carries no bytes.
  bool declared_only = declared_length && sent.value().offset == offset_ &&
                       plan_->complete() && offset_ == plan_->file_size();
  if (sent.value().offset <= offset_ && !declared_only) {
    return MakeError(FERRY_ERR_OFFSET_MISMATCH,
                     "the server accepted none of the bytes");
  }
  offset_ = sent.value().offset;
  if (declared_length) length_declared_ = true;
  if (!source_->seekable()) source_->Release(HeldFrom());
  SendStep step;
  step.progressed = !declared_only;
  return step;
}

Status AppendTransfer::Resync() {
  Result<OffsetResult> at = wire_->QueryOffset(record_.upload_url);
  if (!at.ok()) return at.error();
  if (at.value().offset > KnownEnd()) {
    Error e = MakeError(FERRY_ERR_UNEXPECTED_RESPONSE,
                        "the server claims an offset past what was sent (" +
                            std::to_string(at.value().offset) + " > " +
                            std::to_string(KnownEnd()) + ")");
    e.url = RedactUrl(record_.upload_url);
    return e;
  }
  if (caps_.marks_last_request && at.value().complete &&
      at.value().offset < KnownEnd()) {
    Error e = MakeError(FERRY_ERR_UNEXPECTED_RESPONSE,
                        "the server says the upload is complete at " +
                            std::to_string(at.value().offset) +
                            " bytes, short of the " +
                            std::to_string(KnownEnd()) + " it is");
    e.url = RedactUrl(record_.upload_url);
    return e;
  }
  if (LengthSettled(at.value())) length_declared_ = true;
  caps_.limits.Merge(at.value().limits);
  offset_ = at.value().offset;
  return OkStatus();
}

bool AppendTransfer::StreamsFrames() const {
  return Zstd() && !chunked_refused_ && ChecksumAlgorithm().empty();
}

Result<SendStep> AppendTransfer::SendFrameStream() {
  // Frames go out back to back in one chunked PATCH (their total is not
  // known until the last is made): no stop at each frame for an answer.
  // The body is read by position, so libcurl may rewind it: any frame can
  // be made again (and is checked against its record).
  std::optional<Error> failed;
  uint64_t provided = 0;  // body bytes handed out: the server may hold no more
  uint64_t base = offset_;
  uint64_t piece_begin = 0, piece_end = 0;  // cached piece, body positions
  const char* piece_data = nullptr;
  BodySource body;
  body.length = BodySource::kUnknownLength;
  uint64_t cap = AppendCap();  // the request ends there, the next goes on
  body.read = [&](uint64_t pos, char* out, size_t max) -> int64_t {
    if (cap > 0 && pos >= cap) return 0;
    if (cap > 0) max = static_cast<size_t>(std::min<uint64_t>(max, cap - pos));
    if (piece_data == nullptr || pos < piece_begin || pos >= piece_end) {
      int64_t frame_before = frame_index_;
      Result<std::optional<Piece>> next = NextPieceAt(base + pos);
      if (!next.ok()) {
        failed = next.error();
        return -1;
      }
      if (!next.value() || next.value()->seek_table) return 0;  // all sent
      const Piece& piece = *next.value();
      if (piece.whole_frame && frame_index_ != frame_before) FrameBoundary();
      piece_begin = pos;
      piece_end = pos + piece.data.size();
      piece_data = piece.data.data();
    }
    size_t n = static_cast<size_t>(std::min<uint64_t>(max, piece_end - pos));
    std::memcpy(out, piece_data + (pos - piece_begin), n);
    provided = std::max(provided, pos + n);
    return static_cast<int64_t>(n);
  };
  inflight_ = 0;
  Result<SendResult> sent = wire_->Send(record_.upload_url, offset_, body, "",
                                        std::nullopt, on_send_, &wire_bytes_);
  inflight_ = 0;
  if (failed) return *failed;
  if (!sent.ok() &&
      (sent.error().http_status == 411 || sent.error().http_status == 400 ||
       sent.error().http_status == 501)) {
    // A server (or proxy) that wants a length up front: one PATCH a frame
    // from now on, after asking where it is.
    chunked_refused_ = true;
    SendStep step;
    step.resync = true;
    return step;
  }
  if (sent.ok() && sent.value().offset > base + provided) {
    Error e = MakeError(FERRY_ERR_UNEXPECTED_RESPONSE,
                        "Upload-Offset " + std::to_string(sent.value().offset) +
                            " is past the bytes sent (" +
                            std::to_string(base + provided) + ")");
    e.url = RedactUrl(record_.upload_url);
    return e;
  }
  return Acknowledged(sent, false);
}

void AppendTransfer::FrameBoundary() {
  // Frame frame_index_ begins: the one before it went out since the last
  // boundary, which is what its level achieved end to end.
  auto now = std::chrono::steady_clock::now();
  if (frame_index_ > 0 &&
      last_frame_done_ != std::chrono::steady_clock::time_point()) {
    const FrameInfo& f = record_.frames[frame_index_ - 1];
    double secs = std::chrono::duration<double>(now - last_frame_done_).count();
    chooser_.OnSent(static_cast<double>(f.compressed_size), secs);
    chooser_.OnFrameDone(f.level, f.raw_size, secs);
  }
  last_frame_done_ = now;
}

ChunkReader& AppendTransfer::Reader() {
  if (!reader_) {
    // Four chunk buffers (one being sent, three read ahead): what a client
    // budgets per upload (PerUploadMemory).
    reader_ = std::make_unique<ChunkReader>(ledger_.get(), plan_.get(), 4);
  }
  return *reader_;
}

bool AppendTransfer::Streams() const {
  return !Zstd() && ChecksumAlgorithm().empty();
}

BodySource AppendTransfer::StreamBody(uint64_t begin, uint64_t end,
                                      std::optional<Error>* unreadable) {
  BodySource body;
  body.length = end - begin;
  body.read = [this, begin, unreadable](uint64_t pos, char* out,
                                        size_t max) -> int64_t {
    uint64_t at = begin + pos;
    ChunkRange c = plan_->Chunk(plan_->IndexAt(at));
    Result<std::string_view> data = Reader().Get(c.index);
    Status recorded = data.ok() ? Journaled(c.index) : data.error();
    if (!recorded.ok()) {
      *unreadable = recorded.error();
      return -1;
    }
    size_t n = static_cast<size_t>(std::min<uint64_t>(max, c.end() - at));
    std::memcpy(out, data.value().data() + (at - c.offset), n);
    return static_cast<int64_t>(n);
  };
  return body;
}

Result<UploadSummary> AppendTransfer::Summarize() {
  reader_.reset();
  producer_.reset();
  // Fed as the chunks went out; whatever was never read in order (nothing,
  // normally) is read and checked now.
  Result<std::string> sha = ledger_->FileSha256();
  if (!sha.ok()) return sha.error();
  // The server computed the digest of what it stored (the draft's
  // Repr-Digest): it must be the file's, byte for byte.
  if (!Zstd() && !stored_sha256_.empty() && stored_sha256_ != sha.value()) {
    Error e =
        MakeError(FERRY_ERR_INTEGRITY_FAILED,
                  "the server's SHA-256 of the stored upload (" +
                      HexEncode(stored_sha256_) + ") is not the file's (" +
                      HexEncode(sha.value()) + ")");
    e.url = RedactUrl(record_.upload_url);
    return e;
  }
  UploadSummary s;
  s.url = record_.upload_url;
  s.sha256_hex = HexEncode(sha.value());
  s.encoding = record_.encoding;
  return s;
}

Status AppendTransfer::Discard() {
  if (record_.upload_url.empty()) return OkStatus();
  return wire_->Terminate(record_.upload_url);
}

void AppendTransfer::UseCredentials(const FreshCredentials& fresh) {
  for (const auto& [name, value] : fresh.headers) wire_->SetHeader(name, value);
}

}  // namespace ferry::internal
