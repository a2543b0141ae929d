#include "engine/upload_run.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <map>
#include <random>
#include <thread>

#include "codec/hash.h"
#include "codec/zstd_frames.h"
#include "engine/file_checks.h"
#include "http/url.h"
#include "protocol/tus/tus_protocol.h"

namespace ferry::internal {

UploadRun::UploadRun(ClientCore* core, const UploadParams& params)
    : core_(core),
      params_(params),
      budget_(core->config().retry, std::random_device{}(), NowMs()),
      chooser_(std::max(core->config().compress_level, 0)) {}

int64_t UploadRun::NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool UploadRun::Emit(Event event) {
  if (params_.on_event && !params_.on_event(event)) cancelled_ = true;
  return !cancelled_;
}

bool UploadRun::ReportProgress(bool force) {
  if (cancelled_) return false;
  int64_t now = NowMs();
  if (!force && last_report_ms_ >= 0 && now - last_report_ms_ < 100) {
    return true;
  }
  last_report_ms_ = now;
  Progress p;
  p.bytes_total = source_ ? source_->size() : 0;
  p.bytes_acked = std::min(p.bytes_total, RawAt(offset_));
  // Monotonic and capped: a retry never moves the bar back or past 100%.
  reported_done_ = std::max(
      reported_done_, std::min(p.bytes_total, RawAt(offset_ + inflight_)));
  p.bytes_done = reported_done_;
  p.wire_bytes = wire_bytes_;
  if (params_.on_progress && !params_.on_progress(p)) cancelled_ = true;
  return !cancelled_;
}

bool UploadRun::Sleep(int64_t ms) {
  int64_t end = NowMs() + ms;
  for (;;) {
    if (!ReportProgress(false)) return false;
    int64_t left = end - NowMs();
    if (left <= 0) return true;
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::min<int64_t>(left, 100)));
  }
}

Error UploadRun::Cancelled() {
  return MakeError(FERRY_ERR_CANCELLED,
                   params_.discard_on_cancel
                       ? "the upload was cancelled and discarded"
                       : "the upload was cancelled; its resume state is kept, "
                         "so uploading the same file again continues where "
                         "the server's copy ends");
}

void UploadRun::OnProgress() {
  budget_.OnProgress(NowMs());
  refreshes_left_ = 3;
}

bool UploadRun::RefreshCredentials(const Error& error) {
  const auto& refresh = core_->config_.refresh_credentials;
  if (!refresh || refreshes_left_ <= 0) return false;
  --refreshes_left_;
  HeaderList fresh;
  if (!refresh(error, &fresh) || fresh.empty()) return false;
  for (const auto& [name, value] : fresh) {
    core_->protocol_->SetHeader(name, value);
  }
  return true;
}

bool UploadRun::BackOff(Error& error) {
  if (cancelled_ || error.code == FERRY_ERR_CANCELLED) {
    error = Cancelled();
    return false;
  }
  if (error.code == FERRY_ERR_UNAUTHENTICATED ||
      error.code == FERRY_ERR_CREDENTIALS_EXPIRED) {
    if (!RefreshCredentials(error)) return false;
    Event e;
    e.type = FERRY_EVENT_RETRY;
    e.code = error.code;
    e.attempt = 3 - refreshes_left_;
    e.offset = offset_;
    e.message = "credentials refreshed by the app; retrying";
    if (!Emit(e)) {
      error = Cancelled();
      return false;
    }
    return true;
  }
  std::optional<int64_t> delay = budget_.NextDelay(error, NowMs());
  if (!delay) return false;
  Event e;
  e.type = FERRY_EVENT_RETRY;
  e.code = error.code;
  e.attempt = budget_.attempt();
  e.delay_ms = static_cast<uint64_t>(*delay);
  e.offset = offset_;
  e.message = error.message;
  if (!Emit(e) || !Sleep(*delay)) {
    error = Cancelled();
    return false;
  }
  return true;
}

Status UploadRun::HashFile() {
  // Announcing the SHA-256 at creation needs it before the first byte:
  // one pass through the ledger (which then knows every chunk).
  std::vector<char> block(std::min(plan_->chunk_size(), plan_->file_size()));
  for (uint64_t i = ledger_->known(); i < plan_->count(); ++i) {
    Status s = ledger_->Read(i, block.data());
    if (!s.ok()) return s;
    if (!ReportProgress(false)) return Cancelled();
  }
  Result<std::string> sha = ledger_->FileSha256();
  if (!sha.ok()) return sha.error();
  record_.file_sha256 = sha.value();
  return OkStatus();
}

Status UploadRun::LoadChunk(uint64_t index) {
  if (buffered_index_ == static_cast<int64_t>(index)) return OkStatus();
  ChunkRange c = plan_->Chunk(index);
  buffer_.resize(std::max<size_t>(buffer_.size(), c.length));
  buffered_index_ = -1;
  Status s = ledger_->Read(index, buffer_.data());
  if (!s.ok()) return s;
  buffered_index_ = static_cast<int64_t>(index);
  return OkStatus();
}

Status UploadRun::Journaled(uint64_t index) {
  if (index < journaled_chunks_) return OkStatus();
  // A chunk's fingerprint is on disk before any byte of it leaves, so a
  // resume can check whatever the server holds. Not fsynced: it survives
  // the process being killed; after a power cut an older record at worst
  // makes the resume start over (see TryResume).
  record_.chunk_digests = ledger_->Fingerprints();
  Status saved = core_->journal_.Save(record_, /*durable=*/false);
  if (!saved.ok()) return saved;
  journaled_chunks_ = record_.chunk_digests.size();
  if (index >= journaled_chunks_) {
    return MakeError(FERRY_ERR_INTERNAL_ERROR,
                     "chunk " + std::to_string(index) + " sent unread");
  }
  return OkStatus();
}

std::string UploadRun::ChecksumAlgorithm() const {
  if (!caps_.Has("checksum")) return "";
  const auto& algos = caps_.checksum_algorithms;
  auto offered = [&](const char* a) {
    return std::find(algos.begin(), algos.end(), a) != algos.end();
  };
  if (offered("sha256")) return "sha256";
  if (offered("sha1")) return "sha1";
  for (const auto& a : algos) {
    if (Hasher::Create(a)) return a;
  }
  return "";
}

const std::string* UploadRun::FrameSha256(const FrameInfo& frame) const {
  return record_.chunk_hash == ChunkHash::kSha256 ? &frame.digest : nullptr;
}

const std::string* UploadRun::ChunkSha256(uint64_t index) const {
  return record_.chunk_hash == ChunkHash::kSha256 &&
                 index < record_.chunk_digests.size()
             ? &record_.chunk_digests[index]
             : nullptr;
}

std::string UploadRun::ChecksumHeader(std::string_view data,
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

Result<bool> UploadRun::Abandon(ferry_code why, const std::string& message,
                                bool file_changed) {
  if (file_changed && !params_.restart_on_change) {
    return MakeError(
        FERRY_ERR_FILE_CHANGED,
        message +
            "; ferry will not resume onto it (opt in to restarting, "
            "e.g. --on-change restart, to upload the new content)");
  }
  Event e;
  e.type = FERRY_EVENT_RESTARTED;
  e.code = why;
  e.message = message + "; starting a new upload";
  if (!Emit(e)) return Cancelled();
  Status removed =
      core_->journal_.Remove(core_->config_.endpoint, source_->absolute_path());
  if (!removed.ok()) return removed.error();
  return false;
}

Result<bool> UploadRun::TryResume(const JournalRecord& saved) {
  if (!(saved.identity == source_->identity())) {
    return Abandon(FERRY_ERR_FILE_CHANGED,
                   "the file changed (size, time or inode) since its "
                   "interrupted upload began",
                   true);
  }
  auto* tus = static_cast<TusProtocol*>(core_->protocol_.get());
  if (!tus->CheckUploadUrl(saved.upload_url).ok()) {
    return Abandon(FERRY_ERR_REDIRECT_REFUSED,
                   "the saved upload URL is not on the endpoint's origin",
                   false);
  }
  if (!saved.expires.empty()) {
    time_t when = curl_getdate(saved.expires.c_str(), nullptr);
    if (when > 0 && when < time(nullptr)) {
      return Abandon(FERRY_ERR_UPLOAD_EXPIRED,
                     "the server's copy expired at " + saved.expires, false);
    }
  }
  Result<OffsetResult> server = WithRetry<OffsetResult>(
      [&] { return core_->protocol_->QueryOffset(saved.upload_url); });
  if (!server.ok()) {
    const Error& err = server.error();
    if (err.code == FERRY_ERR_UPLOAD_EXPIRED ||
        err.code == FERRY_ERR_PERMISSION_DENIED) {
      return Abandon(err.code,
                     "the server no longer has the interrupted upload (HTTP " +
                         std::to_string(err.http_status) + ")",
                     false);
    }
    return err;
  }
  const OffsetResult& at = server.value();
  // The server's copy must be of this content: a server that reports the
  // sha256 it was created with tells whether this is still our upload.
  for (const auto& [key, value] : at.metadata) {
    if (key == "sha256" && !saved.file_sha256.empty() &&
        value != HexEncode(saved.file_sha256)) {
      return Abandon(FERRY_ERR_UNEXPECTED_RESPONSE,
                     "the server's upload at the saved address is of other "
                     "content (its sha256 metadata differs)",
                     false);
    }
  }
  reader_.reset();
  producer_.reset();
  record_ = saved;
  plan_ = std::make_unique<ChunkPlan>(source_->size(), record_.chunk_size);
  ledger_ = std::make_unique<ChunkLedger>(
      source_.get(), plan_.get(), record_.chunk_hash, record_.chunk_digests);
  journaled_chunks_ = record_.chunk_digests.size();
  bool zstd = record_.encoding == "zstd";
  if (zstd) {
    // Frames sent stored were not journaled: the server may hold more than
    // the list says. Stored frames are a function of their chunk, so the
    // list is extended (and each extended frame rebuilt and checked below).
    uint64_t end = 0;
    for (const FrameInfo& f : record_.frames) end += f.compressed_size;
    while (end < at.offset && record_.frames.size() < plan_->count() &&
           record_.frames.size() < record_.chunk_digests.size()) {
      FrameInfo f;
      f.raw_size =
          static_cast<uint32_t>(plan_->Chunk(record_.frames.size()).length);
      f.compressed_size = static_cast<uint32_t>(StoredFrameSize(f.raw_size));
      record_.frames.push_back(f);
      end += f.compressed_size;
    }
  }
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
    return Abandon(FERRY_ERR_UNEXPECTED_RESPONSE,
                   "the server holds bytes the resume state has no "
                   "fingerprints for (the state is older than the upload)",
                   false);
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
    return Abandon(FERRY_ERR_UNEXPECTED_RESPONSE,
                   "the server's copy has another length or an offset past "
                   "what was sent",
                   false);
  }
  length_declared_ = at.length >= 0;
  hashed_ = true;
  // Re-read what the server holds and compare it with the hashes recorded
  // when it was sent: a file edited in place is never resumed onto.
  uint64_t covered = 0;
  if (!zstd) {
    covered = at.offset == 0 ? 0 : plan_->IndexAt(at.offset - 1) + 1;
  } else {
    for (uint64_t start = 0;
         covered < record_.frames.size() && start < at.offset; ++covered) {
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
      return Abandon(FERRY_ERR_FILE_CHANGED,
                     "the file's content differs from what was already sent",
                     true);
    }
    if (!ReportProgress(false)) return Cancelled();
  }
  if (!zstd) {
    // Identity chunks are sent from the reader's buffers from here on.
    buffered_index_ = -1;
    std::vector<char>().swap(buffer_);
  }
  offset_ = at.offset;
  resumed_from_ = at.offset;
  if (!at.expires.empty()) record_.expires = at.expires;
  Event e;
  e.type = FERRY_EVENT_RESUMED;
  e.offset = at.offset;
  e.message = "resuming where the server's copy ends";
  if (!Emit(e)) return Cancelled();
  return true;
}

Result<bool> UploadRun::SampleCompresses() {
  return internal::SampleCompresses(*source_, &encoder_);
}

Status UploadRun::StartFresh() {
  // Frames and chunks read ahead belong to the old upload (and read record_).
  producer_.reset();
  reader_.reset();
  const ClientConfig& cfg = core_->config_;
  if (!hashed_) {
    // Fingerprints of a previous upload of this file are not reused: it
    // may have changed since.
    record_ = JournalRecord();
    record_.protocol = "tus";
    record_.endpoint = cfg.endpoint;
    record_.path = source_->absolute_path();
    record_.identity = source_->identity();
    record_.chunk_size = cfg.chunk_size;
    record_.chunk_hash = ChunkHash::kXxh3_128;
    plan_ = std::make_unique<ChunkPlan>(source_->size(), cfg.chunk_size);
    ledger_ = std::make_unique<ChunkLedger>(source_.get(), plan_.get(),
                                            record_.chunk_hash,
                                            std::vector<std::string>());
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
  record_.encoding = "identity";
  frame_index_ = -1;
  length_declared_ = false;
  bool compress = cfg.compress_level != 0 && source_->size() > 0;
  if (compress && cfg.compress_level < 0) {
    Result<bool> compresses = SampleCompresses();
    if (!compresses.ok()) return compresses.error();
    if (!compresses.value()) {
      // Stored zstd frames would only add work at both ends: the plain
      // streaming path it is, decided once, before the upload exists.
      compress = false;
      Event e;
      e.type = FERRY_EVENT_COMPRESSION_OFF;
      e.message = "the file does not compress (sampled): sending it as it is";
      if (!Emit(e)) return Cancelled();
    }
  }
  if (compress) {
    if (caps_.Has("creation-defer-length")) {
      record_.encoding = "zstd";
      record_.zstd_version = ZstdVersion();
    } else {
      // The compressed length is not known up front; without deferring it
      // the choice is to send the file as it is (documented).
      Event e;
      e.type = FERRY_EVENT_COMPRESSION_OFF;
      e.message =
          "the server does not offer creation-defer-length: sending the file "
          "uncompressed";
      if (!Emit(e)) return Cancelled();
    }
  }
  record_.created_unix = static_cast<int64_t>(time(nullptr));
  offset_ = 0;
  resumed_from_ = 0;

  // The app's metadata may replace the defaults, never add a duplicate key.
  std::map<std::string, std::string> meta;
  meta["filename"] = Basename(source_->path());
  for (const auto& [k, v] : params_.metadata) meta[k] = v;
  if (!record_.file_sha256.empty()) {
    meta["sha256"] = HexEncode(record_.file_sha256);
  }
  bool zstd = record_.encoding == "zstd";
  if (zstd) {
    // The stored object is a zstd stream of the file (docs/compression.md).
    meta["encoding"] = "zstd";
    meta["original-length"] = std::to_string(source_->size());
  }
  CreateParams create;
  create.length = source_->size();
  create.defer_length = zstd;
  create.metadata.assign(meta.begin(), meta.end());
  bool with_upload =
      !zstd && caps_.Has("creation-with-upload") && source_->size() > 0;
  if (with_upload) {
    Result<std::string_view> first = Reader().Get(0);
    if (!first.ok()) return first.error();
    create.first_bytes = first.value();
    create.checksum = ChecksumHeader(create.first_bytes, ChunkSha256(0));
  }
  SendProgressFn on_send = [this](uint64_t sent) {
    inflight_ = sent;
    return ReportProgress(false);
  };
  Result<CreateResult> created = WithRetry<CreateResult>([&] {
    inflight_ = 0;
    return core_->protocol_->Create(create, on_send, &wire_bytes_);
  });
  inflight_ = 0;
  if (!created.ok()) return created.error();
  record_.upload_url = created.value().url;
  record_.expires = created.value().expires;
  offset_ = created.value().offset;
  // A file the creation request carried whole has nothing left to resume:
  // no state to write (and fsync) only to delete it.
  if (!(with_upload && offset_ == source_->size())) {
    record_.chunk_digests = ledger_->Fingerprints();
    Status saved = core_->journal_.Save(record_);
    if (!saved.ok()) return saved;
    journaled_chunks_ = record_.chunk_digests.size();
  }
  if (offset_ > 0) {
    OnProgress();
    if (!ReportProgress(true)) return Cancelled();
  }
  Event e;
  e.type = FERRY_EVENT_CREATED;
  e.offset = offset_;
  e.message = "created " + RedactUrl(record_.upload_url);
  if (!Emit(e)) return Cancelled();
  return OkStatus();
}

uint64_t UploadRun::RawAt(uint64_t wire) const {
  if (record_.encoding != "zstd") return wire;
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

uint64_t UploadRun::KnownEnd() const {
  if (record_.encoding != "zstd") return source_->size();
  uint64_t end = 0;
  for (const FrameInfo& f : record_.frames) end += f.compressed_size;
  if (record_.frames.size() == plan_->count()) {
    end += SeekTable(record_.frames).size();
  }
  return end;
}

Status UploadRun::EncodeFrame(uint64_t index, int level, FrameInfo* info) {
  Status loaded = LoadChunk(index);
  if (!loaded.ok()) return loaded;
  std::string_view raw(buffer_.data(), plan_->Chunk(index).length);
  frame_ =
      EncodeMeasured(encoder_, chooser_, raw, level, info, record_.chunk_hash);
  frame_index_ = static_cast<int64_t>(index);
  return OkStatus();
}

Result<std::optional<UploadRun::Piece>> UploadRun::NextPieceAt(uint64_t at) {
  if (record_.encoding != "zstd") {
    if (at >= source_->size()) return std::optional<Piece>();
    ChunkRange chunk = plan_->Chunk(plan_->IndexAt(at));
    Result<std::string_view> data = Reader().Get(chunk.index);
    if (!data.ok()) return data.error();
    Status recorded = Journaled(chunk.index);
    if (!recorded.ok()) return recorded.error();
    Piece p;
    p.data = data.value().substr(at - chunk.offset);
    if (at == chunk.offset) p.sha256 = ChunkSha256(chunk.index);
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
  if (k < plan_->count()) {
    // A new frame (made ahead while the previous one was sent).
    if (!producer_) {
      producer_ = std::make_unique<FrameProducer>(ledger_.get(), plan_.get(),
                                                  &chooser_);
    }
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
      Status saved = core_->journal_.Save(record_);
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

Result<std::optional<UploadRun::Piece>> UploadRun::NextPiece() {
  return NextPieceAt(offset_);
}

Status UploadRun::Restart(ferry_code why, const std::string& message) {
  --restarts_left_;
  Result<bool> again = Abandon(why, message, false);
  if (!again.ok()) return again.error();
  return StartFresh();
}

Status UploadRun::SendAll() {
  SendProgressFn on_send = [this](uint64_t sent) {
    inflight_ = sent;
    return ReportProgress(false);
  };
  for (;;) {
    if (Streams()) {
      // One request carries as much of the file as allowed, from chunks
      // read and checked ahead: no stop at each chunk for an answer.
      if (offset_ >= source_->size()) return OkStatus();
      uint64_t end = source_->size();
      uint64_t limit = core_->config_.request_size;
      if (limit > 0) end = std::min(end, offset_ + limit);
      std::optional<Error> unreadable;
      BodySource body = StreamBody(offset_, end, &unreadable);
      inflight_ = 0;
      Result<SendResult> sent =
          core_->protocol_->Send(record_.upload_url, offset_, body, "",
                                 std::nullopt, on_send, &wire_bytes_);
      inflight_ = 0;
      if (unreadable) return *unreadable;
      Status s = AfterSend(sent, false);
      if (!s.ok()) return s;
      continue;
    }
    Result<std::optional<Piece>> next = NextPiece();
    if (next.ok() && next.value() && !next.value()->seek_table &&
        StreamsFrames()) {
      Status s = StreamFrames(on_send);
      if (!s.ok()) return s;
      continue;
    }
    if (!next.ok() && irreproducible_ && restarts_left_ > 0) {
      // The server's copy cannot be continued byte-exactly: start over
      // cleanly rather than send bytes that do not match it.
      irreproducible_ = false;
      (void)core_->protocol_->Terminate(record_.upload_url);
      Status s = Restart(FERRY_ERR_INTEGRITY_FAILED, next.error().message);
      if (!s.ok()) return s;
      continue;
    }
    if (!next.ok()) return next.error();
    if (!next.value()) return OkStatus();
    const Piece& piece = *next.value();
    std::string checksum = ChecksumHeader(piece.data, piece.sha256);
    inflight_ = 0;
    auto start = std::chrono::steady_clock::now();
    Result<SendResult> sent = core_->protocol_->Send(
        record_.upload_url, offset_, piece.data, checksum, piece.declare_length,
        on_send, &wire_bytes_);
    inflight_ = 0;
    if (sent.ok() && sent.value().offset > offset_ &&
        record_.encoding == "zstd") {
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
    Status s = AfterSend(sent, piece.declare_length.has_value());
    if (!s.ok()) return s;
  }
}

Status UploadRun::AfterSend(const Result<SendResult>& sent,
                            bool declared_length) {
  if (sent.ok() && sent.value().offset > offset_) {
    offset_ = sent.value().offset;
    if (declared_length) length_declared_ = true;
    OnProgress();
    // Every acknowledgement is reported: callers can rely on seeing each
    // step the server confirms (and cancel at a precise point).
    if (!ReportProgress(true)) return Cancelled();
    return OkStatus();
  }
  Error err = sent.ok() ? MakeError(FERRY_ERR_OFFSET_MISMATCH,
                                    "the server accepted none of the bytes")
                        : sent.error();
  if (err.code == FERRY_ERR_UPLOAD_EXPIRED && restarts_left_ > 0) {
    return Restart(err.code,
                   "the server lost the upload while it was being sent");
  }
  if (!BackOff(err)) return err;
  // Never trust an offset from a failed request: ask the server.
  Result<OffsetResult> at = WithRetry<OffsetResult>(
      [&] { return core_->protocol_->QueryOffset(record_.upload_url); });
  if (!at.ok()) return at.error();
  if (at.value().offset > KnownEnd()) {
    Error e = MakeError(FERRY_ERR_UNEXPECTED_RESPONSE,
                        "the server claims an offset past what was sent (" +
                            std::to_string(at.value().offset) + " > " +
                            std::to_string(KnownEnd()) + ")");
    e.url = RedactUrl(record_.upload_url);
    return e;
  }
  if (at.value().length >= 0) length_declared_ = true;
  if (at.value().offset > offset_) OnProgress();
  offset_ = at.value().offset;
  return OkStatus();
}

bool UploadRun::StreamsFrames() const {
  return record_.encoding == "zstd" && !chunked_refused_ &&
         ChecksumAlgorithm().empty();
}

Status UploadRun::StreamFrames(const SendProgressFn& on_send) {
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
  body.read = [&](uint64_t pos, char* out, size_t max) -> int64_t {
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
  Result<SendResult> sent =
      core_->protocol_->Send(record_.upload_url, offset_, body, "",
                             std::nullopt, on_send, &wire_bytes_);
  inflight_ = 0;
  if (failed) {
    if (irreproducible_ && restarts_left_ > 0) {
      irreproducible_ = false;
      (void)core_->protocol_->Terminate(record_.upload_url);
      return Restart(FERRY_ERR_INTEGRITY_FAILED, failed->message);
    }
    return *failed;
  }
  if (!sent.ok() &&
      (sent.error().http_status == 411 || sent.error().http_status == 400 ||
       sent.error().http_status == 501)) {
    // A server (or proxy) that wants a length up front: one PATCH a frame
    // from now on. The HEAD that follows any failure says where it is.
    chunked_refused_ = true;
    Result<OffsetResult> at = WithRetry<OffsetResult>(
        [&] { return core_->protocol_->QueryOffset(record_.upload_url); });
    if (!at.ok()) return at.error();
    if (at.value().offset > KnownEnd()) {
      return MakeError(FERRY_ERR_UNEXPECTED_RESPONSE,
                       "the server claims an offset past what was sent");
    }
    offset_ = at.value().offset;
    return OkStatus();
  }
  if (sent.ok() && sent.value().offset > base + provided) {
    Error e = MakeError(FERRY_ERR_UNEXPECTED_RESPONSE,
                        "Upload-Offset " + std::to_string(sent.value().offset) +
                            " is past the bytes sent (" +
                            std::to_string(base + provided) + ")");
    e.url = RedactUrl(record_.upload_url);
    return e;
  }
  return AfterSend(sent, false);
}

void UploadRun::FrameBoundary() {
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

ChunkReader& UploadRun::Reader() {
  if (!reader_) {
    // Four chunk buffers (one being sent, three read ahead): what a client
    // budgets per upload (PerUploadMemory).
    reader_ = std::make_unique<ChunkReader>(ledger_.get(), plan_.get(), 4);
  }
  return *reader_;
}

bool UploadRun::Streams() const {
  return record_.encoding != "zstd" && ChecksumAlgorithm().empty();
}

BodySource UploadRun::StreamBody(uint64_t begin, uint64_t end,
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

Result<UploadSummary> UploadRun::Finish() {
  reader_.reset();
  producer_.reset();
  Status unchanged = source_->CheckUnchanged();
  if (!unchanged.ok()) return unchanged.error();
  // Fed as the chunks went out; whatever was never read in order (nothing,
  // normally) is read and checked now.
  Result<std::string> sha = ledger_->FileSha256();
  if (!sha.ok()) return sha.error();
  // An empty or fully resumed file has had no acknowledgement in this run.
  if (reported_done_ < source_->size() || source_->size() == 0) {
    ReportProgress(true);
  }
  Status removed =
      core_->journal_.Remove(core_->config_.endpoint, source_->absolute_path());
  if (!removed.ok()) return removed.error();
  UploadSummary s;
  s.url = record_.upload_url;
  s.bytes = source_->size();
  s.wire_bytes = wire_bytes_;
  s.sha256_hex = HexEncode(sha.value());
  s.resumed_from = resumed_from_;
  s.encoding = record_.encoding;
  return s;
}

Status UploadRun::Preflight() const {
  return CheckFilePolicy(core_->config_, *source_);
}

Result<UploadSummary> UploadRun::Execute(const std::string& path) {
  Result<std::unique_ptr<FileSource>> opened = FileSource::Open(path);
  if (!opened.ok()) return opened.error();
  source_ = std::move(opened.value());
  Status allowed = Preflight();
  if (!allowed.ok()) return allowed.error();

  Result<ServerCapabilities> caps = core_->Capabilities(*this);
  if (!caps.ok()) return caps.error();
  caps_ = caps.value();
  if (caps_.max_size >= 0 &&
      source_->size() > static_cast<uint64_t>(caps_.max_size)) {
    Error e = MakeError(FERRY_ERR_FILE_TOO_LARGE,
                        "the file is " + std::to_string(source_->size()) +
                            " bytes; the server accepts at most " +
                            std::to_string(caps_.max_size) +
                            " (refused before sending)");
    e.limit = caps_.max_size;
    e.origin = FERRY_ORIGIN_SERVER;
    e.url = RedactUrl(core_->config_.endpoint);
    return e;
  }

  Journal& journal = core_->journal_;
  Result<std::optional<JournalRecord>> saved = LoadResumeState(
      journal, core_->config_.endpoint, source_->absolute_path(),
      [this](const Event& e) { return Emit(e); }, Cancelled());
  if (!saved.ok()) return saved.error();
  bool resumed = false;
  if (saved.value()) {
    Result<bool> r = TryResume(*saved.value());
    if (!r.ok()) return r.error();
    resumed = r.value();
  }
  Status s = resumed ? OkStatus() : StartFresh();
  if (s.ok()) s = SendAll();
  if (!s.ok()) {
    Error err = s.error();
    if (err.code == FERRY_ERR_CANCELLED && params_.discard_on_cancel &&
        !record_.upload_url.empty()) {
      // Best effort: the upload is forgotten locally either way.
      (void)core_->protocol_->Terminate(record_.upload_url);
      (void)journal.Remove(core_->config_.endpoint, source_->absolute_path());
    }
    return err;
  }
  return Finish();
}

}  // namespace ferry::internal
