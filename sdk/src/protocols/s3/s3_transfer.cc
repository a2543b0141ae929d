// SPDX-License-Identifier: Apache-2.0
#include "protocols/s3/s3_transfer.h"

#include <algorithm>
#include <ctime>

#include "absl/strings/match.h"
#include "http/http_client.h"
#include "http/url.h"
#include "session/source_checks.h"
#include "source/content_type.h"

namespace ferry::internal {
namespace {

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kMaxObject = 5ull << 40;  // S3's largest object: 5 TiB

bool ByNumber(const S3PartRecord& a, const S3PartRecord& b) {
  return a.number < b.number;
}

// The parts (sorted by number) that cover the file from its start without
// a gap: how many, and the file offset where they end.
struct Covered {
  size_t parts = 0;
  uint64_t raw_end = 0;
};
Covered CoveredPrefix(const std::vector<S3PartRecord>& sorted) {
  Covered c;
  for (const S3PartRecord& p : sorted) {
    if (p.number != c.parts + 1 || p.raw_begin != c.raw_end) break;
    c.raw_end = p.raw_end;
    ++c.parts;
  }
  return c;
}

}  // namespace

uint64_t S3PartSize(uint64_t file_size, uint64_t asked) {
  uint64_t part = std::max(asked != 0 ? asked : 8 * kMiB, kS3MinPart);
  uint64_t need = (file_size + 8999) / 9000;
  need = (need + kMiB - 1) / kMiB * kMiB;
  return std::max(part, need);
}

S3Transfer::S3Transfer(S3Protocol* s3) : s3_(s3) {}

S3Transfer::~S3Transfer() {
  {
    MutexLock lock(&mu_);
    closing_ = true;
  }
  stop_ = true;
  cv_.SignalAll();
  for (std::thread& t : workers_) t.join();
}

void S3Transfer::Attach(const TransferContext* context) {
  ctx_ = context;
  source_ = context->source;
}

bool S3Transfer::Stopping() const { return stop_ || ctx_->cancelled(); }

Status S3Transfer::Preflight() {
  key_ = ctx_->params->object_key.empty() ? source_->name()
                                          : ctx_->params->object_key;
  if (key_.empty()) {
    return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                     "this source has no name to use as the S3 object key: "
                     "give one (object_key, --key or --name)");
  }
  if (key_.size() > 1024) {
    return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                     "an S3 object key must be 1 to 1024 bytes");
  }
  // A stream of unknown length gets the asked part size (parts until its
  // end; 10,000 of them at most).
  uint64_t size = source_->expected_size().value_or(0);
  if (size > kMaxObject) {
    Error e = MakeError(FERRY_ERR_FILE_TOO_LARGE,
                        "the file is " + std::to_string(size) +
                            " bytes; an S3 object holds at most 5 TiB "
                            "(refused before sending)");
    e.limit = static_cast<int64_t>(kMaxObject);
    return e;
  }
  part_size_ = S3PartSize(size, ctx_->config->s3_part_size);
  const ClientConfig& cfg = *ctx_->config;
  single_ = !cfg.s3_presigner && source_->seekable() &&
            source_->expected_size().has_value() &&
            cfg.s3_multipart_threshold > 0 &&
            size < static_cast<uint64_t>(cfg.s3_multipart_threshold);
  if (single_) {
    // One "part" holds it all, with room for zstd frames of incompressible
    // bytes, which come out slightly larger.
    part_size_ = std::max(part_size_, size + size / 16 + kMiB);
  }
  return OkStatus();
}

uint64_t S3PartBytes(uint64_t part_size, std::optional<uint64_t> file_size) {
  if (!file_size) return part_size;
  return std::min(part_size, *file_size + *file_size / 16 + 64 * 1024);
}

uint64_t S3PartMemory(uint64_t part_bytes, uint64_t chunk_size,
                      bool compressed) {
  return part_bytes + (compressed ? chunk_size + kMiB : 0) +
         (part_bytes > kLargeBodyBytes ? kLargeBodySendBuffer : 0);
}

Status S3Transfer::SetCompression(int level) {
  const ClientConfig& cfg = *ctx_->config;
  // Adaptive means level 1 here: parts are big and sent in parallel.
  level_ = level < 0 ? 1 : level;
  // A part in memory (S3PartMemory); a stream also keeps the part's raw
  // bytes until it is acknowledged.
  per_part_ = S3PartMemory(S3PartBytes(part_size_, source_->expected_size()),
                           cfg.chunk_size, level_ > 0);
  if (!source_->seekable()) per_part_ += part_size_;
  if (per_part_ > cfg.memory_budget) {
    return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                     "this file needs S3 parts of " +
                         std::to_string(part_size_ >> 20) +
                         " MiB, more than the memory budget (" +
                         std::to_string(cfg.memory_budget >> 20) +
                         " MiB): raise the budget");
  }
  uint32_t parallel = std::max<uint32_t>(1, cfg.s3_parallel_parts);
  slots_ = static_cast<uint32_t>(std::clamp<uint64_t>(
      cfg.memory_budget / per_part_, 1, uint64_t{parallel} + 1));
  workers_wanted_ = std::max<uint32_t>(1, std::min(parallel, slots_));
  // A stream reads the parts in flight's worth ahead while they are sent.
  source_->SetReadAhead(uint64_t{slots_} * part_size_);
  return OkStatus();
}

// Redacted, as tus's: no user info or query string at rest.
std::string S3Transfer::JournalKey() const {
  return "s3 " + RedactUrl(s3_->ObjectUrl(key_));
}

void S3Transfer::FeedFileHash(uint64_t begin, std::string_view bytes) {
  uint64_t end = begin + bytes.size();
  // Bytes of a part made again after a failure were fed the first time.
  if (end <= hashed_to_ || begin > hashed_to_) return;
  file_hash_->Update(bytes.data() + (hashed_to_ - begin), end - hashed_to_);
  hashed_to_ = end;
}

Result<std::string> S3Transfer::HashRange(uint64_t begin, uint64_t end) {
  auto digest = Hasher::ForChunks(record_.chunk_hash);
  std::string block(std::min<uint64_t>(end - begin, 4 * kMiB), '\0');
  for (uint64_t at = begin; at < end;) {
    uint64_t n = std::min<uint64_t>(block.size(), end - at);
    Status s = source_->ReadAt(at, n, block.data());
    if (!s.ok()) return s.error();
    digest->Update(block.data(), n);
    FeedFileHash(at, std::string_view(block.data(), n));
    at += n;
  }
  return digest->Finish();
}

std::optional<ResumeVerdict> S3Transfer::Screen(const JournalRecord& saved) {
  record_ = saved;  // what Discard aborts if the session drops it
  if (single_) {
    // Small enough for one PutObject now (another threshold): the saved
    // multipart upload is aborted, and the object goes whole.
    ResumeVerdict v = Unusable(FERRY_ERR_UPLOAD_EXPIRED,
                               "the file now goes in one PutObject");
    v.discard_saved = true;
    return v;
  }
  std::string encoding = level_ > 0 ? "zstd" : "identity";
  if (saved.protocol != "s3" || saved.upload_url.empty() ||
      saved.encoding != encoding || saved.chunk_size != part_size_ ||
      (level_ > 0 && saved.zstd_version != ZstdVersion())) {
    ResumeVerdict v = Unusable(FERRY_ERR_UPLOAD_EXPIRED,
                               "the saved upload was made with other options");
    v.discard_saved = true;
    return v;
  }
  return std::nullopt;
}

Result<std::optional<ResumeVerdict>> S3Transfer::QueryServer(
    const JournalRecord& saved) {
  Result<std::vector<S3PartInfo>> listed =
      s3_->ListParts(key_, saved.upload_url);
  if (!listed.ok()) {
    if (listed.error().code != FERRY_ERR_UPLOAD_EXPIRED) return listed.error();
    ResumeVerdict v = Unusable(FERRY_ERR_UPLOAD_EXPIRED,
                               "the server no longer knows the saved "
                               "multipart upload (NoSuchUpload)");
    v.discard_saved = true;
    return std::optional<ResumeVerdict>(v);
  }
  server_parts_.clear();
  for (const S3PartInfo& p : listed.value()) server_parts_[p.number] = p;
  return std::optional<ResumeVerdict>();
}

Result<ResumeVerdict> S3Transfer::Adopt(const JournalRecord& saved) {
  // The server is the truth: a journaled part counts only when it holds
  // that part with the same ETag and size, and the local bytes still hash
  // the same. Parts finish in any order, so a part held after one that is
  // not counts too: only the missing ones are sent again (SendNext).
  record_ = saved;
  file_hash_ = Hasher::Sha256();
  hashed_to_ = 0;
  resumed_from_ = 0;
  std::vector<S3PartRecord> parts = saved.s3_parts;
  std::sort(parts.begin(), parts.end(), ByNumber);
  std::vector<S3PartRecord> kept;
  for (const S3PartRecord& rec : parts) {
    // In file order: each part after the one before it, never overlapping.
    if (!kept.empty() && (rec.number == kept.back().number ||
                          rec.raw_begin < kept.back().raw_end)) {
      break;
    }
    auto held = server_parts_.find(rec.number);
    if (held == server_parts_.end() || held->second.etag != rec.etag ||
        held->second.size != rec.wire_size) {
      continue;
    }
    Result<std::string> digest = HashRange(rec.raw_begin, rec.raw_end);
    if (!digest.ok()) return digest.error();
    if (digest.value() != rec.digest) {
      ResumeVerdict v =
          Unusable(FERRY_ERR_FILE_CHANGED,
                   "the file's bytes " + std::to_string(rec.raw_begin) + ".." +
                       std::to_string(rec.raw_end) +
                       " differ from those the server holds as part " +
                       std::to_string(rec.number),
                   /*file_changed=*/true);
      v.discard_saved = true;
      return v;
    }
    resumed_from_ += rec.wire_size;
    kept.push_back(rec);
    if (!ctx_->tick()) return TransferCancelled();
  }
  record_.s3_parts = std::move(kept);
  acked_raw_ = AckedRaw();
  return Resumed(resumed_from_, "resuming: the server holds " +
                                    std::to_string(record_.s3_parts.size()) +
                                    " verified part(s), " +
                                    std::to_string(acked_raw_) +
                                    " bytes of the file");
}

Status S3Transfer::PrepareFresh() {
  record_ = JournalRecord();
  record_.protocol = "s3";
  record_.endpoint = JournalKey();
  record_.s3_key = key_;
  record_.path = ctx_->source_key;
  record_.identity = source_->identity();
  record_.chunk_size = part_size_;
  record_.chunk_hash = ChunkHash::kXxh3_128;
  record_.encoding = level_ > 0 ? "zstd" : "identity";
  record_.zstd_version = ZstdVersion();
  record_.created_unix = static_cast<int64_t>(time(nullptr));
  file_hash_ = Hasher::Sha256();
  hashed_to_ = 0;
  frames_.clear();
  server_parts_.clear();
  resumed_from_ = 0;
  acked_raw_ = 0;
  whole_.reset();  // a restart reads the file again

  create_meta_.clear();
  if (!source_->name().empty()) {
    create_meta_.emplace_back("filename", source_->name());
  }
  if (level_ > 0) {
    create_meta_.emplace_back("encoding", "zstd");
    if (std::optional<uint64_t> expected = source_->expected_size()) {
      create_meta_.emplace_back("original-length", std::to_string(*expected));
    }
  }
  if (ctx_->config->announce_sha256 && !source_->seekable()) {
    return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                     "announce_sha256 reads the whole source before the "
                     "first byte, which a stream cannot: upload it without "
                     "announcing (the result still reports its SHA-256)");
  }
  if (ctx_->config->announce_sha256) {
    auto whole = Hasher::Sha256();
    std::string block(std::min<uint64_t>(source_->size(), 4 * kMiB), '\0');
    for (uint64_t at = 0; at < source_->size();) {
      uint64_t n = std::min<uint64_t>(block.size(), source_->size() - at);
      Status s = source_->ReadAt(at, n, block.data());
      if (!s.ok()) return s.error();
      whole->Update(block.data(), n);
      at += n;
      if (!ctx_->tick()) return TransferCancelled();
    }
    create_meta_.emplace_back("sha256", HexEncode(whole->Finish()));
  }
  for (const auto& kv : ctx_->params->metadata) create_meta_.push_back(kv);
  const ObjectSettings& object = ctx_->params->object;
  create_headers_ = object.headers;
  bool has_type = false;
  for (const auto& h : object.headers) {
    has_type = has_type || absl::EqualsIgnoreCase(h.first, "content-type");
  }
  if (object.guess_content_type && !has_type) {
    // The name the object goes by: its key, else the source's.
    auto type = GuessContentType(key_);
    if (type) create_headers_.emplace_back("Content-Type", *type);
  }
  return OkStatus();
}

Status S3Transfer::Create() {
  if (single_) return PutWhole();
  Result<std::string> id =
      s3_->CreateMultipartUpload(key_, create_meta_, create_headers_);
  if (!id.ok()) return id.error();
  record_.upload_url = id.value();
  return ctx_->save(record_, /*durable=*/true);
}

std::string S3Transfer::CreatedMessage() const {
  if (single_) return "stored " + s3_->ObjectUrl(key_) + " with one PutObject";
  return "created a multipart upload for " + s3_->ObjectUrl(key_);
}

Status S3Transfer::PutWhole() {
  if (!whole_) {  // read, compress and hash once; a retry sends it again
    Result<std::unique_ptr<Part>> made = MakePart(1, 0);
    if (!made.ok()) return made.error();
    whole_ = std::move(made.value());
    HashBody(whole_.get());
    if (whole_->record.raw_end != source_->size()) {
      return MakeError(FERRY_ERR_INTERNAL_ERROR,
                       "the object did not fit in one request");
    }
  }
  uint64_t wire = 0;
  SendProgressFn on_send = [&](uint64_t) { return !Stopping(); };
  Result<std::string> etag =
      s3_->PutObject(key_, whole_->data, whole_->md5, whole_->sha256,
                     create_meta_, create_headers_, on_send, &wire);
  wire_bytes_ += wire;
  if (!etag.ok()) return Stopping() ? TransferCancelled() : etag.error();
  whole_->record.etag = etag.value();
  record_.s3_parts = {whole_->record};
  acked_raw_ = AckedRaw();
  return OkStatus();
}

const S3PartRecord* S3Transfer::HeldPart(uint32_t number) const {
  S3PartRecord probe;
  probe.number = number;
  auto it = std::lower_bound(record_.s3_parts.begin(), record_.s3_parts.end(),
                             probe, ByNumber);
  return it != record_.s3_parts.end() && it->number == number ? &*it : nullptr;
}

Status S3Transfer::TakeHeldPart(const S3PartRecord& held) {
  frames_.insert(frames_.end(), held.frames.begin(), held.frames.end());
  if (hashed_to_ >= held.raw_end) return OkStatus();
  // Held after a gap: its bytes reach the file's SHA-256 now, in order,
  // and must still be the ones the server holds.
  Result<std::string> digest = HashRange(held.raw_begin, held.raw_end);
  if (!digest.ok()) return digest.error();
  if (digest.value() != held.digest) {
    return MakeError(FERRY_ERR_FILE_CHANGED,
                     "the file's bytes " + std::to_string(held.raw_begin) +
                         ".." + std::to_string(held.raw_end) +
                         " changed during the upload");
  }
  return OkStatus();
}

void S3Transfer::DropPartsFrom(uint32_t number) {
  std::erase_if(record_.s3_parts,
                [&](const S3PartRecord& p) { return p.number >= number; });
  acked_raw_ = AckedRaw();
}

uint64_t S3Transfer::AckedRaw() const {
  uint64_t sum = 0;
  for (const S3PartRecord& p : record_.s3_parts) sum += p.raw_end - p.raw_begin;
  return sum;
}

bool S3Transfer::AllSent() const {
  Covered covered = CoveredPrefix(record_.s3_parts);
  return !record_.s3_parts.empty() && source_->length_known() &&
         covered.parts == record_.s3_parts.size() &&
         covered.raw_end == source_->size();
}

Result<std::unique_ptr<S3Transfer::Part>> S3Transfer::MakePart(uint32_t number,
                                                               uint64_t begin) {
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
  auto digest = Hasher::ForChunks(record_.chunk_hash);
  if (level_ == 0) {
    Status filled = Fill(begin + part_size_);
    if (!filled.ok()) return filled.error();
    rec.raw_end = std::min(source_->size(), begin + part_size_);
    part->data.resize(rec.raw_end - begin);
    Status s = source_->ReadAt(begin, part->data.size(), part->data.data());
    if (!s.ok()) return s.error();
    digest->Update(part->data.data(), part->data.size());
    FeedFileHash(begin, part->data);
  } else {
    // Frames of a chunk each until the part reaches its size: compressed
    // parts still meet S3's 5 MiB minimum.
    uint64_t chunk = ctx_->config->chunk_size;
    // Once, at its bound: growing by appends would double the capacity
    // past what the memory budget counted.
    if (part->data.capacity() < per_part_) part->data.reserve(per_part_);
    std::string raw_block;
    uint64_t at = begin;
    for (;;) {
      Status filled = Fill(at + chunk);
      if (!filled.ok()) return filled.error();
      uint64_t size = source_->size();
      if (at >= size || part->data.size() >= part_size_) break;
      uint64_t n = std::min(chunk, size - at);
      raw_block.resize(n);
      Status s = source_->ReadAt(at, n, raw_block.data());
      if (!s.ok()) return s.error();
      digest->Update(raw_block.data(), n);
      FeedFileHash(at, raw_block);
      FrameInfo info;
      part->data += encoder_.Encode(raw_block, level_, &info);
      info.digest.clear();
      rec.frames.push_back(info);
      frames_.push_back(info);
      at += n;
    }
    rec.raw_end = at;
    if (source_->length_known() && at >= source_->size()) {
      part->data += SeekTable(frames_);
    }
  }
  rec.digest = digest->Finish();
  rec.wire_size = part->data.size();
  // MD5 and SHA-256 of the body are left to the worker that sends it: the
  // session's thread only does what must go in file order.
  return part;
}

// A signed payload's SHA-256 is verified by the server, so it alone
// protects the body; Content-MD5 is what protects an unsigned one
// (--unsigned-payload, presigned URLs). Computing both would spend an MD5
// pass (~1.3 CPU-s per GiB) on what the signature already proves.
void S3Transfer::HashBody(Part* part) const {
  if (s3_->SignsPayload()) {
    part->sha256 = Sha256(part->data);
    return;
  }
  auto md5 = Hasher::Create("md5");
  md5->Update(part->data.data(), part->data.size());
  part->md5 = md5->Finish();
}

Status S3Transfer::UploadOne(Part* part, RetryBudget* budget) {
  budget->OnProgress(ctx_->env->now_ms());
  if (part->md5.empty() && part->sha256.empty()) HashBody(part);
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
      return !Stopping();
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
    if (Stopping()) return TransferCancelled();
    const Error& error = etag.error();
    // Credentials are the app's to refresh, through the session.
    if (CredentialsRefused(error)) return error;
    std::optional<int64_t> delay =
        budget->NextDelay(error, ctx_->env->now_ms());
    if (!delay) return error;
    Event e;
    e.type = FERRY_EVENT_RETRY;
    e.code = error.code;
    e.attempt = budget->attempt();
    e.delay_ms = static_cast<uint64_t>(*delay);
    e.offset = rec.raw_begin;
    e.message = "part " + std::to_string(rec.number) + ": " + error.message;
    {
      MutexLock lock(&mu_);
      events_.push_back(std::move(e));
    }
    if (!WaitInSlices(*ctx_->env, *delay, 50, [this] { return !Stopping(); })) {
      return TransferCancelled();
    }
  }
}

void S3Transfer::Worker() {
  RetryBudget budget(ctx_->config->retry, ctx_->env->seed(),
                     ctx_->env->now_ms());
  for (;;) {
    std::unique_ptr<Part> part;
    {
      MutexLock lock(&mu_);
      while (queue_.empty() && !closing_) cv_.Wait(&mu_);
      if (queue_.empty()) return;
      part = std::move(queue_.front());
      queue_.pop_front();
    }
    Status s = Stopping() ? Status(TransferCancelled())
                          : UploadOne(part.get(), &budget);
    PartOutcome outcome;
    outcome.record = std::move(part->record);
    if (!s.ok()) outcome.error = s.error();
    {
      MutexLock lock(&mu_);
      spare_.push_back(std::move(part->data));
      outcomes_.push_back(std::move(outcome));
      --in_memory_;
    }
    part.reset();
    cv_.SignalAll();
  }
}

Status S3Transfer::CollectOutcomes() {
  std::vector<PartOutcome> outcomes;
  std::vector<Event> events;
  {
    MutexLock lock(&mu_);
    outcomes.swap(outcomes_);
    events.swap(events_);
  }
  std::optional<Error> failure;
  bool saved_any = false;
  for (PartOutcome& o : outcomes) {
    if (o.error) {
      // The first real failure wins over the cancellations it caused.
      if (!failure || failure->code == FERRY_ERR_CANCELLED) failure = *o.error;
      stop_ = true;
      continue;
    }
    acked_raw_ += o.record.raw_end - o.record.raw_begin;
    // Kept in part order: parts finish in any order.
    auto at = std::upper_bound(record_.s3_parts.begin(), record_.s3_parts.end(),
                               o.record, ByNumber);
    record_.s3_parts.insert(at, std::move(o.record));
    saved_any = true;
  }
  if (saved_any) {
    Status s = ctx_->save(record_, /*durable=*/true);
    if (!s.ok()) return s.error();
    // A stream keeps the bytes of parts not yet acknowledged, no more.
    source_->Release(CoveredPrefix(record_.s3_parts).raw_end);
  }
  for (const Event& e : events) ctx_->emit(e);
  if (!ctx_->tick() || ctx_->cancelled()) return TransferCancelled();
  if (failure) return *failure;
  return OkStatus();
}

bool S3Transfer::ReserveSlot(std::optional<Error>* failure) {
  for (;;) {
    Status s = CollectOutcomes();
    if (!s.ok()) {
      *failure = s.error();
      return false;
    }
    MutexLock lock(&mu_);
    if (in_memory_ < slots_) {
      ++in_memory_;
      return true;
    }
    cv_.WaitForMs(&mu_, 100);
  }
}

void S3Transfer::ReleaseSlot() {
  MutexLock lock(&mu_);
  --in_memory_;
}

Error S3Transfer::StopWorkers(Error error) {
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
  // Parts that made it before the stop are kept for the next attempt.
  bool cancelled = ctx_->cancelled();
  (void)CollectOutcomes();
  if (cancelled || error.code == FERRY_ERR_CANCELLED)
    return TransferCancelled();
  return error;
}

Result<SendStep> S3Transfer::SendNext() {
  acked_raw_ = AckedRaw();
  uint64_t acked_before = acked_raw_;
  stop_ = false;
  {
    MutexLock lock(&mu_);
    closing_ = false;
    in_memory_ = 0;
  }
  for (uint32_t i = 0; i < workers_wanted_; ++i) {
    workers_.emplace_back([this] { Worker(); });
  }
  // Parts in file order: those the server holds are taken as they are,
  // the others made and sent. An empty file is one empty part. A stream
  // is read on as parts are made, until its end.
  uint64_t raw = 0;
  frames_.clear();
  for (uint32_t number = 1;; ++number) {
    Status filled = Fill(raw);
    if (!filled.ok()) return StopWorkers(filled.error());
    bool more = raw < source_->size() || !source_->length_known();
    if (!more && !(source_->size() == 0 && number == 1)) break;
    if (const S3PartRecord* held = HeldPart(number)) {
      if (held->raw_begin == raw) {
        Status taken = TakeHeldPart(*held);
        if (!taken.ok()) return StopWorkers(taken.error());
        raw = held->raw_end;
        continue;
      }
      // The parts made now end elsewhere: the held ones from here on are
      // sent again (same numbers, replaced on the server).
      DropPartsFrom(number);
    }
    std::optional<Error> failure;
    if (!ReserveSlot(&failure)) return StopWorkers(*failure);
    if (number > kS3MaxParts) {
      ReleaseSlot();
      return StopWorkers(MakeError(FERRY_ERR_FILE_TOO_LARGE,
                                   "the file needs more than 10,000 S3 parts"));
    }
    Result<std::unique_ptr<Part>> part = MakePart(number, raw);
    if (!part.ok()) {
      ReleaseSlot();
      return StopWorkers(part.error());
    }
    raw = part.value()->record.raw_end;
    {
      MutexLock lock(&mu_);
      queue_.push_back(std::move(part.value()));
    }
    cv_.SignalAll();
  }
  for (;;) {  // until every part is acknowledged
    Status s = CollectOutcomes();
    if (!s.ok()) return StopWorkers(s.error());
    MutexLock lock(&mu_);
    if (in_memory_ == 0 && outcomes_.empty()) break;
    cv_.WaitForMs(&mu_, 100);
  }
  {
    MutexLock lock(&mu_);
    closing_ = true;
  }
  cv_.SignalAll();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
  SendStep step;
  step.progressed = acked_raw_ > acked_before || source_->size() == 0;
  return step;
}

bool S3Transfer::RestartCures(const Error& error) const {
  // NoSuchUpload while sending parts: the multipart upload is gone.
  return error.code == FERRY_ERR_UPLOAD_EXPIRED;
}

Status S3Transfer::Complete() {
  if (single_) return OkStatus();  // PutObject stored it whole
  Covered covered = CoveredPrefix(record_.s3_parts);
  if (covered.parts != record_.s3_parts.size()) {
    return MakeError(FERRY_ERR_INTERNAL_ERROR,
                     "the parts do not cover the file in order");
  }
  if (covered.raw_end != source_->size()) {
    return MakeError(FERRY_ERR_INTERNAL_ERROR,
                     "the parts do not cover the whole file");
  }
  std::vector<S3PartInfo> parts;
  for (const S3PartRecord& p : record_.s3_parts) {
    parts.push_back(S3PartInfo{p.number, p.etag, p.wire_size});
  }
  Status s = s3_->Complete(key_, record_.upload_url, parts);
  if (s.ok() || s.error().code != FERRY_ERR_UPLOAD_EXPIRED) return s;
  return CompletedBefore(parts, s.error());
}

// NoSuchUpload in answer to CompleteMultipartUpload: when an earlier
// completion's answer was lost, the upload is no longer listed because it
// became the object. The object counts as this upload only when its ETag is
// the one these parts make; otherwise the error stands.
Status S3Transfer::CompletedBefore(const std::vector<S3PartInfo>& parts,
                                   const Error& no_such_upload) {
  std::optional<std::string> expected = MultipartEtag(parts);
  if (!expected) return no_such_upload;
  auto etag = s3_->HeadObjectEtag(key_);
  if (!etag.ok() || !etag.value() || *etag.value() != *expected) {
    return no_such_upload;
  }
  return OkStatus();
}

Result<UploadSummary> S3Transfer::Summarize() {
  if (hashed_to_ != source_->size()) {
    return MakeError(FERRY_ERR_INTERNAL_ERROR,
                     "the file's SHA-256 did not see every byte");
  }
  UploadSummary out;
  out.url = s3_->ObjectUrl(key_);
  out.sha256_hex = HexEncode(file_hash_->Finish());
  out.encoding = level_ > 0 ? "zstd" : "identity";
  return out;
}

Status S3Transfer::Discard() {
  if (record_.upload_url.empty()) return OkStatus();
  return s3_->Abort(key_, record_.upload_url);
}

void S3Transfer::UseCredentials(const FreshCredentials& fresh) {
  s3_->UseCredentials(fresh.headers, fresh.s3);
}

TransferPosition S3Transfer::Position() const {
  TransferPosition p;
  p.raw_acked = acked_raw_;
  p.raw_sending = sent_raw_.load();
  p.wire_bytes = wire_bytes_.load();
  p.offset = acked_raw_;
  return p;
}

}  // namespace ferry::internal
