#include "engine/upload_run.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <random>
#include <thread>

#include "codec/hash.h"
#include "http/url.h"
#include "protocol/tus/tus_protocol.h"

namespace ferry::internal {
namespace {

std::string Basename(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

UploadRun::UploadRun(ClientCore* core, const UploadParams& params)
    : core_(core),
      params_(params),
      budget_(core->config().retry, std::random_device{}(), NowMs()) {}

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
  p.bytes_acked = offset_;
  // Monotonic and capped: a retry never moves the bar back or past 100%.
  reported_done_ =
      std::max(reported_done_, std::min(p.bytes_total, offset_ + inflight_));
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
  if (hashed_) return OkStatus();
  const ChunkPlan& plan = *plan_;
  auto whole = Hasher::Sha256();
  auto chunk_hasher = Hasher::Sha256();
  record_.chunk_sha256.clear();
  buffer_.resize(std::min<uint64_t>(plan.chunk_size(), plan.file_size()));
  for (uint64_t i = 0; i < plan.count(); ++i) {
    ChunkRange c = plan.Chunk(i);
    Status s = source_->ReadAt(c.offset, c.length, buffer_.data());
    if (!s.ok()) return s;
    chunk_hasher->Update(buffer_.data(), c.length);
    whole->Update(buffer_.data(), c.length);
    record_.chunk_sha256.push_back(chunk_hasher->Finish());
    if (!ReportProgress(false)) return Cancelled();
  }
  buffered_index_ = -1;
  record_.file_sha256 = whole->Finish();
  Status unchanged = source_->CheckUnchanged();
  if (!unchanged.ok()) return unchanged;
  hashed_ = true;
  return OkStatus();
}

Status UploadRun::LoadChunk(uint64_t index) {
  if (buffered_index_ == static_cast<int64_t>(index)) return OkStatus();
  ChunkRange c = plan_->Chunk(index);
  buffer_.resize(std::max<size_t>(buffer_.size(), c.length));
  buffered_index_ = -1;
  Status s = source_->ReadAt(c.offset, c.length, buffer_.data());
  if (!s.ok()) return s;
  // The bytes must be the ones hashed before the upload began: a file
  // rewritten in place is caught here, before any of it is sent.
  if (Sha256(std::string_view(buffer_.data(), c.length)) !=
      record_.chunk_sha256[index]) {
    return MakeError(FERRY_ERR_FILE_CHANGED,
                     "the file's content changed during the upload (chunk " +
                         std::to_string(index) +
                         " differs): " + source_->path());
  }
  buffered_index_ = static_cast<int64_t>(index);
  return source_->CheckUnchanged();
}

std::string UploadRun::ChecksumHeader(std::string_view data, bool whole_chunk) {
  if (!caps_.Has("checksum")) return "";
  const auto& algos = caps_.checksum_algorithms;
  auto offered = [&](const char* a) {
    return std::find(algos.begin(), algos.end(), a) != algos.end();
  };
  std::string algo;
  if (offered("sha256")) {
    algo = "sha256";
    if (whole_chunk) {
      return algo + " " + Base64Encode(record_.chunk_sha256[buffered_index_]);
    }
  } else if (offered("sha1")) {
    algo = "sha1";
  } else {
    for (const auto& a : algos) {
      if (Hasher::Create(a)) {
        algo = a;
        break;
      }
    }
  }
  if (algo.empty()) return "";
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
  if ((at.length >= 0 && static_cast<uint64_t>(at.length) != source_->size()) ||
      at.offset > source_->size()) {
    return Abandon(FERRY_ERR_UNEXPECTED_RESPONSE,
                   "the server's copy has another length or an offset past "
                   "the end",
                   false);
  }
  record_ = saved;
  plan_ = std::make_unique<ChunkPlan>(source_->size(), record_.chunk_size);
  hashed_ = true;
  // Re-read what the server holds and compare it with the hashes recorded
  // when it was sent: a file edited in place is never resumed onto.
  uint64_t covered = at.offset == 0 ? 0 : plan_->IndexAt(at.offset - 1) + 1;
  for (uint64_t i = 0; i < covered; ++i) {
    Status s = LoadChunk(i);
    if (!s.ok()) {
      if (s.error().code != FERRY_ERR_FILE_CHANGED) return s.error();
      hashed_ = false;
      return Abandon(FERRY_ERR_FILE_CHANGED,
                     "the file's content differs from what was already sent",
                     true);
    }
    if (!ReportProgress(false)) return Cancelled();
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

Status UploadRun::StartFresh() {
  const ClientConfig& cfg = core_->config_;
  if (!hashed_) {
    record_ = JournalRecord();
    record_.protocol = "tus";
    record_.endpoint = cfg.endpoint;
    record_.path = source_->absolute_path();
    record_.identity = source_->identity();
    record_.chunk_size = cfg.chunk_size;
    plan_ = std::make_unique<ChunkPlan>(source_->size(), cfg.chunk_size);
    Status s = HashFile();
    if (!s.ok()) return s;
  }
  record_.upload_url.clear();
  record_.expires.clear();
  record_.created_unix = static_cast<int64_t>(time(nullptr));
  offset_ = 0;
  resumed_from_ = 0;

  // The app's metadata may replace the defaults, never add a duplicate key.
  std::map<std::string, std::string> meta;
  meta["filename"] = Basename(source_->path());
  for (const auto& [k, v] : params_.metadata) meta[k] = v;
  meta["sha256"] = HexEncode(record_.file_sha256);
  CreateParams create;
  create.length = source_->size();
  create.metadata.assign(meta.begin(), meta.end());
  bool with_upload = caps_.Has("creation-with-upload") && source_->size() > 0;
  if (with_upload) {
    Status s = LoadChunk(0);
    if (!s.ok()) return s;
    uint64_t len = plan_->Chunk(0).length;
    create.first_bytes = std::string_view(buffer_.data(), len);
    create.checksum = ChecksumHeader(create.first_bytes, true);
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
  Status saved = core_->journal_.Save(record_);
  if (!saved.ok()) return saved;
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

Status UploadRun::SendAll() {
  const uint64_t size = source_->size();
  SendProgressFn on_send = [this](uint64_t sent) {
    inflight_ = sent;
    return ReportProgress(false);
  };
  while (offset_ < size) {
    ChunkRange chunk = plan_->Chunk(plan_->IndexAt(offset_));
    Status loaded = LoadChunk(chunk.index);
    if (!loaded.ok()) return loaded;
    std::string_view part(buffer_.data() + (offset_ - chunk.offset),
                          chunk.end() - offset_);
    std::string checksum = ChecksumHeader(part, offset_ == chunk.offset);
    inflight_ = 0;
    Result<SendResult> sent = core_->protocol_->Send(
        record_.upload_url, offset_, part, checksum, on_send, &wire_bytes_);
    inflight_ = 0;
    if (sent.ok() && sent.value().offset > offset_) {
      offset_ = sent.value().offset;
      OnProgress();
      // Every acknowledgement is reported: callers can rely on seeing each
      // step the server confirms (and cancel at a precise point).
      if (!ReportProgress(true)) return Cancelled();
      continue;
    }
    Error err = sent.ok() ? MakeError(FERRY_ERR_OFFSET_MISMATCH,
                                      "the server accepted none of the bytes")
                          : sent.error();
    if (err.code == FERRY_ERR_UPLOAD_EXPIRED && restarts_left_ > 0) {
      --restarts_left_;
      Result<bool> again =
          Abandon(err.code,
                  "the server lost the upload while it was being sent", false);
      if (!again.ok()) return again.error();
      Status s = StartFresh();
      if (!s.ok()) return s;
      continue;
    }
    if (!BackOff(err)) return err;
    // Never trust an offset from a failed request: ask the server.
    Result<OffsetResult> at = WithRetry<OffsetResult>(
        [&] { return core_->protocol_->QueryOffset(record_.upload_url); });
    if (!at.ok()) return at.error();
    if (at.value().offset > size) {
      Error e = MakeError(FERRY_ERR_UNEXPECTED_RESPONSE,
                          "the server claims an offset past the end of the "
                          "file (" +
                              std::to_string(at.value().offset) + " > " +
                              std::to_string(size) + ")");
      e.url = RedactUrl(record_.upload_url);
      return e;
    }
    if (at.value().offset > offset_) OnProgress();
    offset_ = at.value().offset;
  }
  return OkStatus();
}

Result<UploadSummary> UploadRun::Finish() {
  Status unchanged = source_->CheckUnchanged();
  if (!unchanged.ok()) return unchanged.error();
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
  s.sha256_hex = HexEncode(record_.file_sha256);
  s.resumed_from = resumed_from_;
  return s;
}

Status UploadRun::Preflight() const {
  std::string name = Basename(source_->path());
  for (char& c : name) c = static_cast<char>(std::tolower(c));
  for (const std::string& ext : core_->config_.blocked_extensions) {
    if (name.size() >= ext.size() &&
        name.compare(name.size() - ext.size(), ext.size(), ext) == 0) {
      Error e = MakeError(FERRY_ERR_FILE_TYPE_BLOCKED,
                          "files of type " + ext +
                              " are not accepted by this service (refused "
                              "before sending, per the app's policy list)");
      e.url = RedactUrl(core_->config_.endpoint);
      return e;
    }
  }
  return OkStatus();
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
  Status writable = journal.Prepare();
  if (!writable.ok()) return writable.error();
  Journal::Loaded loaded =
      journal.Load(core_->config_.endpoint, source_->absolute_path());
  if (loaded.state == Journal::LoadState::kCorrupt) {
    Event e;
    e.type = FERRY_EVENT_STATE_DISCARDED;
    e.message = "discarded unusable resume state: " + loaded.problem;
    if (!Emit(e)) return Cancelled();
    Status removed =
        journal.Remove(core_->config_.endpoint, source_->absolute_path());
    if (!removed.ok()) return removed.error();
  }
  bool resumed = false;
  if (loaded.state == Journal::LoadState::kLoaded) {
    Result<bool> r = TryResume(loaded.record);
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
