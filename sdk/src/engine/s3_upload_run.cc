#include "engine/s3_upload_run.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <random>

#include "engine/file_checks.h"
#include "http/url.h"

namespace ferry::internal {
namespace {

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kMaxObject = 5ull << 40;  // S3's largest object: 5 TiB

}  // namespace

uint64_t S3PartSize(uint64_t file_size, uint64_t asked) {
  uint64_t part = std::max(asked != 0 ? asked : 8 * kMiB, kS3MinPart);
  uint64_t need = (file_size + 8999) / 9000;
  need = (need + kMiB - 1) / kMiB * kMiB;
  return std::max(part, need);
}

S3UploadRun::S3UploadRun(ClientCore* core, S3Protocol* s3,
                         const UploadParams& params)
    : core_(core),
      s3_(s3),
      params_(params),
      budget_(core->config().retry, std::random_device{}(), NowMs()) {}

S3UploadRun::~S3UploadRun() {
  {
    MutexLock lock(&mu_);
    closing_ = true;
  }
  stop_ = true;
  cv_.SignalAll();
  for (std::thread& t : workers_) t.join();
}

int64_t S3UploadRun::NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool S3UploadRun::Emit(const Event& event) {
  if (params_.on_event && !params_.on_event(event)) cancelled_ = true;
  return !cancelled_;
}

bool S3UploadRun::ReportProgress(bool force) {
  if (cancelled_) return false;
  int64_t now = NowMs();
  if (!force && last_report_ms_ >= 0 && now - last_report_ms_ < 100) {
    return true;
  }
  last_report_ms_ = now;
  Progress p;
  p.bytes_total = source_->size();
  p.bytes_acked = std::min(p.bytes_total, acked_raw_);
  reported_done_ = std::max(
      reported_done_, std::min(p.bytes_total, acked_raw_ + sent_raw_.load()));
  p.bytes_done = reported_done_;
  p.wire_bytes = wire_bytes_;
  if (params_.on_progress && !params_.on_progress(p)) cancelled_ = true;
  return !cancelled_;
}

Error S3UploadRun::Cancelled() const {
  return MakeError(FERRY_ERR_CANCELLED,
                   params_.discard_on_cancel
                       ? "the upload was cancelled and discarded (the "
                         "multipart upload was aborted)"
                       : "the upload was cancelled; its resume state is kept, "
                         "so uploading the same file again sends only the "
                         "parts the server does not hold");
}

template <typename T, typename Op>
Result<T> S3UploadRun::WithRetry(Op&& op) {
  for (;;) {
    Result<T> r = op();
    if (r.ok()) return r;
    if (cancelled_) return Cancelled();
    std::optional<int64_t> delay = budget_.NextDelay(r.error(), NowMs());
    if (!delay) return r;
    Event e;
    e.type = FERRY_EVENT_RETRY;
    e.code = r.error().code;
    e.attempt = budget_.attempt();
    e.delay_ms = static_cast<uint64_t>(*delay);
    e.message = r.error().message;
    if (!Emit(e)) return Cancelled();
    int64_t end = NowMs() + *delay;
    while (NowMs() < end) {
      if (!ReportProgress(false)) return Cancelled();
      std::this_thread::sleep_for(std::chrono::milliseconds(
          std::min<int64_t>(100, std::max<int64_t>(1, end - NowMs()))));
    }
  }
}

Result<std::string> S3UploadRun::HashRange(uint64_t begin, uint64_t end) {
  auto digest = Hasher::ForChunks(record_.chunk_hash);
  std::string block(std::min<uint64_t>(end - begin, 4 * kMiB), '\0');
  for (uint64_t at = begin; at < end;) {
    uint64_t n = std::min<uint64_t>(block.size(), end - at);
    Status s = source_->ReadAt(at, n, block.data());
    if (!s.ok()) return s.error();
    digest->Update(block.data(), n);
    file_hash_->Update(block.data(), n);
    at += n;
  }
  return digest->Finish();
}

Status S3UploadRun::StartFresh() {
  const ClientConfig& cfg = core_->config();
  record_ = JournalRecord();
  record_.protocol = "s3";
  record_.endpoint = journal_key_;
  record_.path = source_->absolute_path();
  record_.identity = source_->identity();
  record_.chunk_size = part_size_;
  record_.chunk_hash = ChunkHash::kXxh3_128;
  record_.encoding = level_ > 0 ? "zstd" : "identity";
  record_.zstd_version = ZstdVersion();
  record_.created_unix = static_cast<int64_t>(time(nullptr));
  file_hash_ = Hasher::Sha256();
  frames_.clear();
  server_parts_.clear();
  resumed_from_ = 0;
  acked_raw_ = 0;

  std::vector<std::pair<std::string, std::string>> meta;
  meta.emplace_back("filename", Basename(source_->path()));
  if (level_ > 0) {
    meta.emplace_back("encoding", "zstd");
    meta.emplace_back("original-length", std::to_string(source_->size()));
  }
  if (cfg.announce_sha256) {
    auto whole = Hasher::Sha256();
    std::string block(std::min<uint64_t>(source_->size(), 4 * kMiB), '\0');
    for (uint64_t at = 0; at < source_->size();) {
      uint64_t n = std::min<uint64_t>(block.size(), source_->size() - at);
      Status s = source_->ReadAt(at, n, block.data());
      if (!s.ok()) return s.error();
      whole->Update(block.data(), n);
      at += n;
    }
    meta.emplace_back("sha256", HexEncode(whole->Finish()));
  }
  for (const auto& kv : params_.metadata) meta.push_back(kv);
  Result<std::string> id = WithRetry<std::string>(
      [&] { return s3_->CreateMultipartUpload(key_, meta); });
  if (!id.ok()) return id.error();
  record_.upload_url = id.value();
  Status saved = core_->journal_.Save(record_);
  if (!saved.ok()) return saved.error();
  Event e;
  e.type = FERRY_EVENT_CREATED;
  e.message = "created a multipart upload for " + s3_->ObjectUrl(key_);
  if (!Emit(e)) return Cancelled();
  return OkStatus();
}

Status S3UploadRun::Restart(ferry_code why, const std::string& message) {
  if (restarts_left_-- <= 0) return MakeError(why, message);
  if (!record_.upload_url.empty()) {
    (void)s3_->Abort(key_, record_.upload_url);  // best effort
  }
  Event e;
  e.type = FERRY_EVENT_RESTARTED;
  e.code = why;
  e.message = message + "; starting a new multipart upload";
  if (!Emit(e)) return Cancelled();
  return StartFresh();
}

Result<bool> S3UploadRun::TryResume(const JournalRecord& saved) {
  std::string encoding = level_ > 0 ? "zstd" : "identity";
  if (saved.protocol != "s3" || saved.upload_url.empty() ||
      saved.encoding != encoding || saved.chunk_size != part_size_ ||
      (level_ > 0 && saved.zstd_version != ZstdVersion())) {
    record_ = saved;
    Status s = Restart(FERRY_ERR_UPLOAD_EXPIRED,
                       "the saved upload was made with other options");
    if (!s.ok()) return s.error();
    return true;
  }
  record_ = saved;
  if (!(saved.identity == source_->identity())) {
    if (!params_.restart_on_change) {
      Error e = MakeError(FERRY_ERR_FILE_CHANGED,
                          "the file changed since its upload started (size, "
                          "mtime or inode differ from the resume state)");
      e.url = s3_->ObjectUrl(key_);
      return e;
    }
    Status s = Restart(FERRY_ERR_FILE_CHANGED, "the file changed");
    if (!s.ok()) return s.error();
    return true;
  }
  Result<std::vector<S3PartInfo>> listed = WithRetry<std::vector<S3PartInfo>>(
      [&] { return s3_->ListParts(key_, record_.upload_url); });
  if (!listed.ok()) {
    if (listed.error().code == FERRY_ERR_UPLOAD_EXPIRED) {
      Status s = Restart(FERRY_ERR_UPLOAD_EXPIRED,
                         "the server no longer knows the saved multipart "
                         "upload (NoSuchUpload)");
      if (!s.ok()) return s.error();
      return true;
    }
    return listed.error();
  }
  for (const S3PartInfo& p : listed.value()) server_parts_[p.number] = p;

  // The server is the truth: a journaled part counts only when it holds
  // that part with the same ETag and size, and the local bytes still hash
  // the same. Parts are taken in order from the start of the file.
  file_hash_ = Hasher::Sha256();
  std::vector<S3PartRecord> kept;
  uint64_t raw = 0;
  for (uint32_t number = 1;; ++number) {
    auto rec = std::find_if(
        saved.s3_parts.begin(), saved.s3_parts.end(),
        [&](const S3PartRecord& p) { return p.number == number; });
    if (rec == saved.s3_parts.end() || rec->raw_begin != raw) break;
    auto held = server_parts_.find(number);
    if (held == server_parts_.end() || held->second.etag != rec->etag ||
        held->second.size != rec->wire_size) {
      break;
    }
    Result<std::string> digest = HashRange(rec->raw_begin, rec->raw_end);
    if (!digest.ok()) return digest.error();
    if (digest.value() != rec->digest) {
      if (!params_.restart_on_change) {
        Error e = MakeError(
            FERRY_ERR_FILE_CHANGED,
            "the file's bytes " + std::to_string(rec->raw_begin) + ".." +
                std::to_string(rec->raw_end) +
                " differ from those the server holds as part " +
                std::to_string(number));
        e.url = s3_->ObjectUrl(key_);
        return e;
      }
      Status s = Restart(FERRY_ERR_FILE_CHANGED, "the file changed");
      if (!s.ok()) return s.error();
      return true;
    }
    for (const FrameInfo& f : rec->frames) frames_.push_back(f);
    resumed_from_ += rec->wire_size;
    acked_raw_ += rec->raw_end - rec->raw_begin;
    raw = rec->raw_end;
    kept.push_back(*rec);
    if (raw >= source_->size()) break;
  }
  record_.s3_parts = std::move(kept);
  Event e;
  e.type = FERRY_EVENT_RESUMED;
  e.offset = resumed_from_;
  e.message = "resuming: the server holds " +
              std::to_string(record_.s3_parts.size()) +
              " verified part(s), " + std::to_string(acked_raw_) +
              " bytes of the file";
  if (!Emit(e)) return Cancelled();
  return true;
}

Result<std::unique_ptr<S3UploadRun::Part>> S3UploadRun::MakePart(
    uint32_t number, uint64_t begin) {
  auto part = std::make_unique<Part>();
  {
    MutexLock lock(&mu_);
    if (!spare_.empty()) {
      part->data = std::move(spare_.back());
      spare_.pop_back();
      part->data.clear();
    }
  }
  S3PartRecord& rec = part->record;
  rec.number = number;
  rec.raw_begin = begin;
  uint64_t size = source_->size();
  auto digest = Hasher::ForChunks(record_.chunk_hash);
  if (level_ == 0) {
    rec.raw_end = std::min(size, begin + part_size_);
    part->data.resize(rec.raw_end - begin);
    Status s = source_->ReadAt(begin, part->data.size(), part->data.data());
    if (!s.ok()) return s.error();
    digest->Update(part->data.data(), part->data.size());
    file_hash_->Update(part->data.data(), part->data.size());
  } else {
    // Frames of a chunk each until the part reaches its size: compressed
    // parts still meet S3's 5 MiB minimum.
    uint64_t chunk = core_->config().chunk_size;
    // Once, at its bound: growing by appends would double the capacity
    // past what the memory budget counted.
    if (part->data.capacity() < per_part_) part->data.reserve(per_part_);
    std::string raw_block;
    uint64_t at = begin;
    while (at < size && part->data.size() < part_size_) {
      uint64_t n = std::min(chunk, size - at);
      raw_block.resize(n);
      Status s = source_->ReadAt(at, n, raw_block.data());
      if (!s.ok()) return s.error();
      digest->Update(raw_block.data(), n);
      file_hash_->Update(raw_block.data(), n);
      FrameInfo info;
      part->data += encoder_.Encode(raw_block, level_, &info);
      info.digest.clear();
      rec.frames.push_back(info);
      frames_.push_back(info);
      at += n;
    }
    rec.raw_end = at;
    if (at >= size) part->data += SeekTable(frames_);
  }
  rec.digest = digest->Finish();
  rec.wire_size = part->data.size();
  // MD5 and SHA-256 of the body are left to the worker that sends it: the
  // calling thread only does what must go in file order.
  return part;
}

Status S3UploadRun::UploadOne(Part* part, RetryBudget* budget) {
  budget->OnProgress(NowMs());
  if (part->md5.empty()) {
    auto md5 = Hasher::Create("md5");
    md5->Update(part->data.data(), part->data.size());
    part->md5 = md5->Finish();
    if (s3_->SignsPayload()) part->sha256 = Sha256(part->data);
  }
  const S3PartRecord& rec = part->record;
  uint64_t raw_len = rec.raw_end - rec.raw_begin;
  for (;;) {
    uint64_t counted = 0;
    SendProgressFn on_send = [&](uint64_t sent) {
      uint64_t raw_sent =
          rec.wire_size == 0 ? 0 : sent * raw_len / rec.wire_size;
      if (raw_sent > counted) {
        sent_raw_ += raw_sent - counted;
        counted = raw_sent;
      }
      return !cancelled_ && !stop_;
    };
    uint64_t wire = 0;
    Result<std::string> etag =
        s3_->UploadPart(key_, record_.upload_url, rec.number, part->data,
                        part->md5, part->sha256, on_send, &wire);
    wire_bytes_ += wire;
    sent_raw_ -= counted;
    if (etag.ok()) {
      part->record.etag = etag.value();
      return OkStatus();
    }
    if (cancelled_ || stop_) return Cancelled();
    std::optional<int64_t> delay = budget->NextDelay(etag.error(), NowMs());
    if (!delay) return etag.error();
    Event e;
    e.type = FERRY_EVENT_RETRY;
    e.code = etag.error().code;
    e.attempt = budget->attempt();
    e.delay_ms = static_cast<uint64_t>(*delay);
    e.offset = rec.raw_begin;
    e.message = "part " + std::to_string(rec.number) + ": " +
                etag.error().message;
    {
      MutexLock lock(&mu_);
      events_.push_back(std::move(e));
    }
    int64_t end = NowMs() + *delay;
    while (NowMs() < end) {
      if (cancelled_ || stop_) return Cancelled();
      std::this_thread::sleep_for(std::chrono::milliseconds(
          std::min<int64_t>(50, std::max<int64_t>(1, end - NowMs()))));
    }
  }
}

void S3UploadRun::Worker() {
  RetryBudget budget(core_->config().retry, std::random_device{}(), NowMs());
  for (;;) {
    std::unique_ptr<Part> part;
    {
      MutexLock lock(&mu_);
      while (queue_.empty() && !closing_) cv_.Wait(&mu_);
      if (queue_.empty()) return;
      part = std::move(queue_.front());
      queue_.pop_front();
    }
    Status s = (cancelled_ || stop_) ? Status(Cancelled())
                                     : UploadOne(part.get(), &budget);
    Done d;
    d.record = std::move(part->record);
    if (!s.ok()) d.error = s.error();
    {
      MutexLock lock(&mu_);
      spare_.push_back(std::move(part->data));
      done_.push_back(std::move(d));
      --in_memory_;
    }
    part.reset();
    cv_.SignalAll();
  }
}

Status S3UploadRun::Pump() {
  std::vector<Done> done;
  std::vector<Event> events;
  {
    MutexLock lock(&mu_);
    done.swap(done_);
    events.swap(events_);
  }
  std::optional<Error> failure;
  bool saved_any = false;
  for (Done& d : done) {
    if (d.error) {
      // The first real failure wins over the cancellations it caused.
      if (!failure || failure->code == FERRY_ERR_CANCELLED) failure = *d.error;
      stop_ = true;
      continue;
    }
    acked_raw_ += d.record.raw_end - d.record.raw_begin;
    record_.s3_parts.push_back(std::move(d.record));
    saved_any = true;
  }
  if (saved_any) {
    budget_.OnProgress(NowMs());
    Status s = core_->journal_.Save(record_);
    if (!s.ok()) return s.error();
  }
  for (const Event& e : events) Emit(e);
  if (!ReportProgress(false) || cancelled_) return Cancelled();
  if (failure) return *failure;
  return OkStatus();
}

Status S3UploadRun::SendParts() {
  for (uint32_t i = 0; i < workers_wanted_; ++i) {
    workers_.emplace_back([this] { Worker(); });
  }
  uint64_t size = source_->size();
  uint64_t raw = acked_raw_;
  uint32_t number = static_cast<uint32_t>(record_.s3_parts.size()) + 1;
  auto shut_down = [&](Error error) -> Status {
    stop_ = true;
    {
      MutexLock lock(&mu_);
      closing_ = true;
      in_memory_ -= static_cast<uint32_t>(queue_.size());
      queue_.clear();
    }
    cv_.SignalAll();
    for (std::thread& t : workers_) t.join();
    workers_.clear();
    // Parts that made it before the stop are kept for the next run.
    bool was_cancelled = cancelled_;
    Status last = Pump();
    (void)last;
    if (was_cancelled || error.code == FERRY_ERR_CANCELLED) return Cancelled();
    return error;
  };
  bool first = true;
  while (raw < size || (first && raw == 0 && record_.s3_parts.empty())) {
    first = false;
    for (;;) {  // wait for room in the memory budget
      Status s = Pump();
      if (!s.ok()) return shut_down(s.error());
      MutexLock lock(&mu_);
      if (in_memory_ < slots_) {
        ++in_memory_;
        break;
      }
      cv_.WaitForMs(&mu_, 100);
    }
    if (number > kS3MaxParts) {
      {
        MutexLock lock(&mu_);
        --in_memory_;
      }
      return shut_down(MakeError(FERRY_ERR_FILE_TOO_LARGE,
                                 "the file needs more than 10,000 S3 parts"));
    }
    Result<std::unique_ptr<Part>> part = MakePart(number, raw);
    if (!part.ok()) {
      {
        MutexLock lock(&mu_);
        --in_memory_;
      }
      return shut_down(part.error());
    }
    raw = part.value()->record.raw_end;
    ++number;
    {
      MutexLock lock(&mu_);
      queue_.push_back(std::move(part.value()));
    }
    cv_.SignalAll();
  }
  for (;;) {  // until every part is acknowledged
    Status s = Pump();
    if (!s.ok()) return shut_down(s.error());
    MutexLock lock(&mu_);
    if (in_memory_ == 0 && done_.empty()) break;
    cv_.WaitForMs(&mu_, 100);
  }
  {
    MutexLock lock(&mu_);
    closing_ = true;
  }
  cv_.SignalAll();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
  return OkStatus();
}

Result<UploadSummary> S3UploadRun::Finish() {
  Status unchanged = source_->CheckUnchanged();
  if (!unchanged.ok()) return unchanged.error();
  std::sort(record_.s3_parts.begin(), record_.s3_parts.end(),
            [](const S3PartRecord& a, const S3PartRecord& b) {
              return a.number < b.number;
            });
  std::vector<S3PartInfo> parts;
  uint64_t raw = 0;
  for (const S3PartRecord& p : record_.s3_parts) {
    if (p.number != parts.size() + 1 || p.raw_begin != raw) {
      return MakeError(FERRY_ERR_INTERNAL_ERROR,
                       "the parts do not cover the file in order");
    }
    raw = p.raw_end;
    parts.push_back(S3PartInfo{p.number, p.etag, p.wire_size});
  }
  if (raw != source_->size()) {
    return MakeError(FERRY_ERR_INTERNAL_ERROR,
                     "the parts do not cover the whole file");
  }
  Status complete = WithRetry<Ok>(
      [&] { return s3_->Complete(key_, record_.upload_url, parts); });
  if (!complete.ok()) return complete.error();
  (void)core_->journal_.Remove(journal_key_, source_->absolute_path());
  ReportProgress(true);
  UploadSummary out;
  out.url = s3_->ObjectUrl(key_);
  out.bytes = source_->size();
  out.wire_bytes = wire_bytes_;
  out.sha256_hex = HexEncode(file_hash_->Finish());
  out.resumed_from = resumed_from_;
  out.encoding = level_ > 0 ? "zstd" : "identity";
  return out;
}

Result<UploadSummary> S3UploadRun::Execute(const std::string& path) {
  Result<std::unique_ptr<FileSource>> opened = FileSource::Open(path);
  if (!opened.ok()) return opened.error();
  source_ = std::move(opened.value());
  const ClientConfig& cfg = core_->config();
  Status allowed = CheckFilePolicy(cfg, *source_);
  if (!allowed.ok()) return allowed.error();
  key_ = params_.object_key.empty() ? Basename(source_->path())
                                    : params_.object_key;
  if (key_.empty() || key_.size() > 1024) {
    return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                     "an S3 object key must be 1 to 1024 bytes");
  }
  journal_key_ = "s3 " + s3_->ObjectUrl(key_);
  uint64_t size = source_->size();
  if (size > kMaxObject) {
    Error e = MakeError(FERRY_ERR_FILE_TOO_LARGE,
                        "the file is " + std::to_string(size) +
                            " bytes; an S3 object holds at most 5 TiB "
                            "(refused before sending)");
    e.limit = static_cast<int64_t>(kMaxObject);
    return e;
  }
  part_size_ = S3PartSize(size, cfg.s3_part_size);

  // Compression: auto sends what does not shrink as identity.
  if (cfg.compress_level > 0) {
    level_ = cfg.compress_level;
  } else if (cfg.compress_level < 0 && size > 0) {
    Result<bool> worth = SampleCompresses(*source_, &encoder_);
    if (!worth.ok()) return worth.error();
    level_ = worth.value() ? 1 : 0;
    if (!worth.value()) {
      Event e;
      e.type = FERRY_EVENT_COMPRESSION_OFF;
      e.message = "the file does not compress; it goes as identity";
      if (!Emit(e)) return Cancelled();
    }
  }
  // A part in memory: its bytes, plus a frame of overshoot with zstd.
  uint64_t per_part = part_size_ + (level_ > 0 ? cfg.chunk_size + kMiB : 0);
  per_part_ = per_part;
  if (per_part > cfg.memory_budget) {
    return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                     "this file needs S3 parts of " +
                         std::to_string(part_size_ >> 20) +
                         " MiB, more than the memory budget (" +
                         std::to_string(cfg.memory_budget >> 20) +
                         " MiB): raise the budget");
  }
  uint32_t parallel = std::max<uint32_t>(1, cfg.s3_parallel_parts);
  slots_ = static_cast<uint32_t>(std::clamp<uint64_t>(
      cfg.memory_budget / per_part, 1, uint64_t{parallel} + 1));
  workers_wanted_ = std::max<uint32_t>(1, std::min(parallel, slots_));

  Journal& journal = core_->journal_;
  Result<std::optional<JournalRecord>> saved = LoadResumeState(
      journal, journal_key_, source_->absolute_path(),
      [this](const Event& e) { return Emit(e); }, Cancelled());
  if (!saved.ok()) return saved.error();
  bool resumed = false;
  if (saved.value()) {
    Result<bool> r = TryResume(*saved.value());
    if (!r.ok()) return r.error();
    resumed = r.value();
  }
  Status s = resumed ? OkStatus() : StartFresh();
  if (s.ok()) s = SendParts();
  if (!s.ok()) {
    Error err = s.error();
    if (err.code == FERRY_ERR_CANCELLED && params_.discard_on_cancel &&
        !record_.upload_url.empty()) {
      (void)s3_->Abort(key_, record_.upload_url);
      (void)journal.Remove(journal_key_, source_->absolute_path());
    }
    return err;
  }
  return Finish();
}

}  // namespace ferry::internal
