// SPDX-License-Identifier: Apache-2.0
#include "session/upload_session.h"

#include <algorithm>
#include <utility>

#include "session/source_checks.h"

namespace ferry::internal {

UploadSession::UploadSession(const ClientConfig& config, const Journal& journal,
                             const UploadParams& params,
                             std::unique_ptr<Transfer> transfer, SessionEnv env,
                             std::shared_ptr<UploadControl> control)
    : config_(config),
      journal_(journal),
      params_(params),
      transfer_(std::move(transfer)),
      env_(std::move(env)),
      budget_(config.retry, env_.seed(), env_.now_ms()),
      control_(control ? std::move(control)
                       : std::make_shared<UploadControl>()) {
  context_.config = &config_;
  context_.params = &params_;
  context_.env = &env_;
  context_.emit = [this](const Event& e) { return Emit(e); };
  context_.tick = [this] { return ReportProgress(false); };
  context_.save = [this](const JournalRecord& record, bool durable) {
    // What the list of unfinished uploads shows, filled in for every
    // protocol (without copying the record: it grows with the upload).
    JournalListing listing;
    listing.name = source_->name();
    listing.stream = source_->absolute_path().empty();
    listing.size = listing.stream ? source_->size() : record.identity.size;
    listing.acked = transfer_->Position().raw_acked;
    return journal_writer_.Save(record, listing, durable);
  };
  context_.cancelled = [this] { return Stopping(); };
}

bool UploadSession::Stopping() const {
  return cancelled_ || control_->cancel_requested() || PauseRequested();
}

Error UploadSession::Cancelled() const {
  return MakeError(FERRY_ERR_CANCELLED,
                   DiscardOnCancel()
                       ? "the upload was cancelled and discarded"
                       : "the upload was cancelled; its resume state is kept, "
                         "so uploading the same source again continues where "
                         "the server's copy ends");
}

void UploadSession::Log(int level, const std::string& message) const {
  if (!config_.log || level < config_.log_level) return;
  std::string name =
      source_ && !source_->name().empty() ? source_->name() : "(unnamed)";
  config_.log(level, name + ": " + message);
}

namespace {

// How an event reads in a log, and at which level.
std::pair<int, std::string> LogLineOf(const Event& e) {
  const char* code = e.code != FERRY_OK ? CodeName(e.code) : "";
  switch (e.type) {
    case FERRY_EVENT_RETRY:
      return {FERRY_LOG_WARNING,
              std::string("retry ") + std::to_string(e.attempt) + " in " +
                  std::to_string(e.delay_ms) + " ms after " + code +
                  " at offset " + std::to_string(e.offset) + ": " + e.message};
    case FERRY_EVENT_RESTARTED:
      return {FERRY_LOG_WARNING,
              std::string("restarted (") + code + "): " + e.message};
    case FERRY_EVENT_STATE_DISCARDED:
      return {FERRY_LOG_WARNING, "resume state discarded: " + e.message};
    case FERRY_EVENT_RESUMED:
      return {FERRY_LOG_INFO, "resumed at offset " + std::to_string(e.offset) +
                                  ": " + e.message};
    case FERRY_EVENT_COMPRESSION_OFF:
      return {FERRY_LOG_INFO, "compression off: " + e.message};
    case FERRY_EVENT_TLS_UNVERIFIED:
      return {FERRY_LOG_WARNING, e.message};
    default:
      return {FERRY_LOG_INFO, e.message};
  }
}

}  // namespace

bool UploadSession::Emit(const Event& event) {
  if (event.type == FERRY_EVENT_RETRY) {
    Error seen = MakeError(event.code, event.message);
    control_->SetError(seen);
  }
  if (config_.log) {
    auto [level, line] = LogLineOf(event);
    Log(level, line);
  }
  if (params_.on_event && !params_.on_event(event)) cancelled_ = true;
  return !Stopping();
}

bool UploadSession::EmitRetry(const Error& error, uint32_t attempt,
                              int64_t delay_ms, std::string message) {
  Event e;
  e.type = FERRY_EVENT_RETRY;
  e.code = error.code;
  e.attempt = attempt;
  e.delay_ms = static_cast<uint64_t>(std::max<int64_t>(delay_ms, 0));
  e.offset = transfer_->Position().offset;
  e.message = std::move(message);
  return Emit(e);
}

bool UploadSession::ReportProgress(bool force) {
  if (Stopping()) return false;
  int64_t now = env_.now_ms();
  if (!force && last_report_ms_ >= 0 && now - last_report_ms_ < 100) {
    return true;
  }
  last_report_ms_ = now;
  TransferPosition at = transfer_->Position();
  Progress p;
  std::optional<uint64_t> expected =
      source_ ? source_->expected_size() : std::nullopt;
  p.total_known = expected.has_value();
  // A stream of unknown length: what was read so far (it only grows).
  p.bytes_total = expected ? *expected : source_ ? source_->size() : 0;
  p.bytes_acked = std::min(p.bytes_total, at.raw_acked);
  // Monotonic and capped: a retry never moves the bar back or past 100%.
  reported_done_ = std::max(
      reported_done_, std::min(p.bytes_total, at.raw_acked + at.raw_sending));
  p.bytes_done = reported_done_;
  p.wire_bytes = at.wire_bytes;
  control_->SetProgress(p);
  if (params_.on_progress && !params_.on_progress(p)) cancelled_ = true;
  return !Stopping();
}

bool UploadSession::Wait(int64_t ms) {
  return WaitInSlices(env_, ms, 100, [this] { return ReportProgress(false); });
}

void UploadSession::OnProgress() {
  budget_.OnProgress(env_.now_ms());
  refreshes_left_ = 3;
}

bool UploadSession::RefreshCredentials(const Error& error) {
  const auto& refresh = config_.refresh_credentials;
  if (!refresh || refreshes_left_ <= 0) return false;
  --refreshes_left_;
  FreshCredentials fresh;
  if (!refresh(error, &fresh) || (fresh.headers.empty() && !fresh.s3)) {
    return false;
  }
  transfer_->UseCredentials(fresh);
  return true;
}

bool UploadSession::BackOff(Error& error) {
  if (Stopping() || error.code == FERRY_ERR_CANCELLED) {
    error = Cancelled();
    return false;
  }
  if (CredentialsRefused(error)) {
    if (!RefreshCredentials(error)) return false;
    if (!EmitRetry(error, 3 - refreshes_left_, 0,
                   "credentials refreshed by the app; retrying")) {
      error = Cancelled();
      return false;
    }
    return true;
  }
  std::optional<int64_t> delay = budget_.NextDelay(error, env_.now_ms());
  if (!delay) return false;
  if (!EmitRetry(error, budget_.attempt(), *delay, error.message) ||
      !Wait(*delay)) {
    error = Cancelled();
    return false;
  }
  return true;
}

Status UploadSession::RemoveEntry() {
  return journal_.Remove(journal_key_, context_.source_key);
}

Status UploadSession::ReadAhead() {
  if (source_->seekable()) return OkStatus();
  return source_->Fill(config_.chunk_size + 1);
}

Status UploadSession::Open() {
  Enter(Phase::kOpening);
  if (config_.http.insecure_skip_tls_verify) {
    // Said at every upload, from every API: not only where the option was
    // set.
    Event e;
    e.type = FERRY_EVENT_TLS_UNVERIFIED;
    e.message =
        "WARNING: TLS verification is OFF (insecure_skip_tls_verify): "
        "anyone on the path can read and alter this upload";
    if (!Emit(e)) return Cancelled();
  }
  Status read = ReadAhead();
  if (!read.ok()) return read;
  Status allowed = CheckFilePolicy(config_, *source_);
  if (!allowed.ok()) return allowed;
  Status found = Retrying<Ok>([&] { return transfer_->Discover(); });
  if (!found.ok()) return found;
  Status fits = transfer_->Preflight();
  if (!fits.ok()) return fits;
  Status chosen = ChooseCompression();
  if (!chosen.ok()) return chosen;
  journal_key_ = transfer_->JournalKey();
  if (!source_->absolute_path().empty()) {
    // One process at a time uploads this source to this endpoint: a second
    // one is refused before it reads the entry or sends a byte.
    Result<UniqueFd> lock = journal_.Lock(journal_key_, context_.source_key);
    if (!lock.ok()) return lock.error();
    entry_lock_ = std::move(lock.value());
  }
  return OkStatus();
}

Status UploadSession::ChooseCompression() {
  int level = config_.compress_level;
  if (source_->expected_size() == 0) level = 0;
  // Said when a fresh upload starts: a resumed one follows its record.
  auto off = [&](std::string why) {
    level = 0;
    compression_off_ = Event();
    compression_off_->type = FERRY_EVENT_COMPRESSION_OFF;
    compression_off_->message = std::move(why);
  };
  if (level < 0) {
    FrameEncoder sampler;
    Result<bool> worth = SampleCompresses(*source_, &sampler);
    if (!worth.ok()) return worth.error();
    // Stored zstd frames would only add work at both ends.
    if (!worth.value()) {
      off("the file does not compress (sampled): sending it as it is");
    }
  }
  if (level != 0) {
    if (std::optional<std::string> why = transfer_->CompressionUnsupported()) {
      off(*why);
    }
  }
  Log(FERRY_LOG_DEBUG,
      level == 0  ? "compression: off"
      : level < 0 ? "compression: zstd, adaptive level"
                  : "compression: zstd level " + std::to_string(level));
  return transfer_->SetCompression(level);
}

Status UploadSession::Abandon(const ResumeVerdict& verdict) {
  if (verdict.file_changed && !params_.restart_on_change) {
    return MakeError(
        FERRY_ERR_FILE_CHANGED,
        verdict.message +
            "; ferry will not resume onto it (opt in to restarting, "
            "e.g. --on-change restart, to upload the new content)");
  }
  if (verdict.discard_saved) (void)transfer_->Discard();  // best effort
  Event e;
  e.type = FERRY_EVENT_RESTARTED;
  e.code = verdict.why;
  e.message = verdict.message + "; starting a new upload";
  if (!Emit(e)) return Cancelled();
  return RemoveEntry();
}

Result<bool> UploadSession::Resume() {
  Enter(Phase::kResuming);
  if (source_->absolute_path().empty()) {
    // Nothing on disk says what this source was: no resume across runs
    // (its entry exists only to list the upload as pending).
    Status writable = journal_.Prepare();
    if (!writable.ok()) return writable.error();
    return false;
  }
  Result<std::optional<JournalRecord>> loaded = LoadResumeState(
      journal_, journal_key_, context_.source_key, context_.emit, Cancelled());
  if (!loaded.ok()) return loaded.error();
  if (!loaded.value()) return false;
  const JournalRecord& saved = *loaded.value();
  std::optional<ResumeVerdict> verdict = transfer_->Screen(saved);
  if (!verdict && !(saved.identity == source_->identity())) {
    verdict = Unusable(FERRY_ERR_FILE_CHANGED,
                       "the file changed (size, time or inode) since its "
                       "interrupted upload began",
                       /*file_changed=*/true);
    verdict->discard_saved = true;
  }
  if (!verdict) {
    Result<std::optional<ResumeVerdict>> held =
        Retrying<std::optional<ResumeVerdict>>(
            [&] { return transfer_->QueryServer(saved); });
    if (!held.ok()) return held.error();
    verdict = held.value();
  }
  if (!verdict) {
    Result<ResumeVerdict> adopted = transfer_->Adopt(saved);
    if (!adopted.ok()) return adopted.error();
    verdict = adopted.value();
  }
  if (!verdict->resumed) {
    Status dropped = Abandon(*verdict);
    if (!dropped.ok()) return dropped.error();
    return false;
  }
  resumed_from_ = verdict->offset;
  Event e;
  e.type = FERRY_EVENT_RESUMED;
  e.offset = verdict->offset;
  e.message = verdict->message;
  if (!Emit(e)) return Cancelled();
  return true;
}

Status UploadSession::StartFresh() {
  Enter(Phase::kCreating);
  resumed_from_ = 0;
  if (compression_off_) {
    Event said = *compression_off_;
    compression_off_.reset();  // once, not again on a restart
    if (!Emit(said)) return Cancelled();
  }
  Status prepared = transfer_->PrepareFresh();
  if (!prepared.ok()) return prepared;
  if (!ReportProgress(false)) return Cancelled();
  Status created = Retrying<Ok>([&] { return transfer_->Create(); });
  if (!created.ok()) return created;
  if (transfer_->Position().raw_acked > 0) {
    // The creation request carried bytes (tus creation-with-upload).
    OnProgress();
    if (!ReportProgress(true)) return Cancelled();
  }
  Event e;
  e.type = FERRY_EVENT_CREATED;
  e.offset = transfer_->Position().offset;
  e.message = transfer_->CreatedMessage();
  if (!Emit(e)) return Cancelled();
  return OkStatus();
}

Status UploadSession::Restart(ferry_code why, const std::string& message) {
  if (restarts_left_-- <= 0) return MakeError(why, message);
  if (!source_->seekable() && source_->size() > 0) {
    // A fresh upload starts at byte 0: a stream that already let its first
    // bytes go cannot, and no empty upload is created to find out.
    char first;
    Status kept = source_->ReadAt(0, 1, &first);
    if (!kept.ok()) {
      Error e = kept.error();
      e.message = message +
                  "; a new upload would start from the stream's "
                  "beginning, which was already sent and released "
                  "(upload the data again)";
      return e;
    }
  }
  ResumeVerdict verdict = Unusable(why, message);
  verdict.discard_saved = true;
  Status dropped = Abandon(verdict);
  if (!dropped.ok()) return dropped;
  return StartFresh();
}

Status UploadSession::Recover(Error error) {
  if (Stopping() || error.code == FERRY_ERR_CANCELLED) return Cancelled();
  if (restarts_left_ > 0 && transfer_->RestartCures(error)) {
    Status s = Restart(error.code,
                       error.code == FERRY_ERR_UPLOAD_EXPIRED
                           ? "the server lost the upload while it was being "
                             "sent"
                           : error.message);
    if (s.ok()) Enter(Phase::kSending);
    return s;
  }
  if (transfer_->RetriesPieces()) {
    // Each piece had its own retries; what is left is the app's to cure.
    if (CredentialsRefused(error) && BackOff(error)) return OkStatus();
    return error;
  }
  if (!BackOff(error)) return error;
  // Never trust a position from a failed request: ask the server.
  uint64_t before = transfer_->Position().raw_acked;
  Status synced = Retrying<Ok>([&] { return transfer_->Resync(); });
  if (synced.ok() && transfer_->Position().raw_acked > before) OnProgress();
  return synced;
}

Status UploadSession::HoldWhilePaused() {
  Enter(Phase::kPaused);
  Event paused;
  paused.type = FERRY_EVENT_PAUSED;
  paused.offset = transfer_->Position().offset;
  paused.message = "paused by the app; no request is in flight";
  Log(FERRY_LOG_INFO, paused.message);
  if (params_.on_event && !params_.on_event(paused)) cancelled_ = true;
  if (cancelled_ || !control_->WaitWhilePaused()) return Cancelled();
  Enter(Phase::kSending);
  // The request the pause stopped may have reached the server in part:
  // ask where it stands (S3 keeps the parts it saw acknowledged).
  uint64_t before = transfer_->Position().raw_acked;
  Status synced = Retrying<Ok>([&] { return transfer_->Resync(); });
  if (!synced.ok()) return synced;
  OnProgress();  // a pause spends no retry budget
  Event resumed;
  resumed.type = FERRY_EVENT_UNPAUSED;
  resumed.offset = transfer_->Position().offset;
  resumed.message = "resumed by the app from offset " +
                    std::to_string(resumed.offset) +
                    (transfer_->Position().raw_acked > before
                         ? " (the server kept bytes sent before the pause)"
                         : "");
  if (!Emit(resumed)) return Cancelled();
  return OkStatus();
}

Status UploadSession::SendAll() {
  Enter(Phase::kSending);
  while (!transfer_->AllSent()) {
    if (PauseRequested()) {
      Status held = HoldWhilePaused();
      if (!held.ok()) return held;
      continue;
    }
    if (!ReportProgress(false) && !PauseRequested()) return Cancelled();
    Result<SendStep> step = transfer_->SendNext();
    if (!step.ok()) {
      if (PauseRequested()) continue;  // the pause stopped the request
      Status recovered = Recover(step.error());
      if (!recovered.ok() && PauseRequested()) continue;
      if (!recovered.ok()) return recovered;
      continue;
    }
    if (step.value().progressed) {
      OnProgress();
      // Every acknowledgement is reported: callers see each step the
      // server confirms (and can cancel at a precise point).
      if (!ReportProgress(true) && !PauseRequested()) return Cancelled();
    }
    if (step.value().resync) {
      Status s = Retrying<Ok>([&] { return transfer_->Resync(); });
      if (!s.ok()) return s;
    }
  }
  return OkStatus();
}

Result<UploadSummary> UploadSession::Finish() {
  Enter(Phase::kFinishing);
  if (!source_->length_known()) {
    return MakeError(FERRY_ERR_INTERNAL_ERROR,
                     "finishing before the stream's end was read");
  }
  Status unchanged = source_->CheckUnchanged();
  if (!unchanged.ok()) return unchanged.error();
  Status complete = Retrying<Ok>([&] { return transfer_->Complete(); });
  if (!complete.ok()) return complete.error();
  Result<UploadSummary> summary = transfer_->Summarize();
  if (!summary.ok()) return summary.error();
  Status removed = RemoveEntry();
  if (!removed.ok()) {
    // The object is whole on the server; a stale entry only costs the next
    // upload of this source a question to the server. Said, not fatal.
    Event e;
    e.type = FERRY_EVENT_STATE_DISCARDED;
    e.code = removed.error().code;
    e.message =
        "the upload is complete, but its resume state could not be "
        "removed: " +
        removed.error().message;
    if (!Emit(e)) return Cancelled();
  }
  // An empty or fully resumed source has had no acknowledgement this run.
  if (reported_done_ < source_->size() || source_->size() == 0) {
    ReportProgress(true);
  }

  UploadSummary out = summary.value();
  out.bytes = source_->size();
  out.wire_bytes = transfer_->Position().wire_bytes;
  out.resumed_from = resumed_from_;
  return out;
}

Error UploadSession::Fail(Error error) {
  if (cancelled_ || control_->cancel_requested()) error = Cancelled();
  control_->SetError(error);
  Log(error.code == FERRY_ERR_CANCELLED ? FERRY_LOG_INFO : FERRY_LOG_ERROR,
      std::string("failed in phase ") + PhaseName(phase_) + ": " +
          CodeName(error.code) + ": " + error.message);
  if (!journal_key_.empty() && source_) {
    journal_.NoteFailure(journal_key_, context_.source_key, error);
  }
  Enter(Phase::kFailed);
  if (error.code == FERRY_ERR_CANCELLED && DiscardOnCancel() &&
      transfer_->HasUpload()) {
    DiscardAfterCancel();
    (void)RemoveEntry();
  }
  return error;
}

void UploadSession::DiscardAfterCancel() {
  // The server may still hold the cancelled request's lock on the upload
  // (423) for a moment: a few tries, then the upload is forgotten locally
  // either way (it expires on the server).
  constexpr int kTries = 5;
  for (int attempt = 0; attempt < kTries; ++attempt) {
    Status gone = transfer_->Discard();
    if (gone.ok() || !gone.error().retryable) return;
    Log(FERRY_LOG_WARNING, "discarding the cancelled upload: " +
                               std::string(CodeName(gone.error().code)) +
                               "; trying again");
    if (attempt + 1 < kTries) env_.sleep_ms(200LL << attempt);
  }
}

Result<UploadSummary> UploadSession::Run(std::unique_ptr<Source> source) {
  source_ = std::move(source);
  context_.source = source_.get();
  context_.source_key = source_->absolute_path();
  if (context_.source_key.empty()) {
    // Unique to this upload: listed as pending, never matched on resume.
    static constexpr char kHex[] = "0123456789abcdef";
    uint64_t id = env_.seed();
    context_.source_key = "stream:";
    for (int i = 0; i < 16; ++i)
      context_.source_key += kHex[(id >> (4 * i)) & 15];
  }
  transfer_->Attach(&context_);
  Status s = Open();
  if (!s.ok()) return Fail(s.error());
  Result<bool> resumed = Resume();
  if (!resumed.ok()) return Fail(resumed.error());
  if (!resumed.value()) s = StartFresh();
  if (s.ok()) s = SendAll();
  if (!s.ok()) return Fail(s.error());
  Result<UploadSummary> done = Finish();
  if (!done.ok()) return Fail(done.error());
  Enter(Phase::kDone);
  Log(FERRY_LOG_INFO, "uploaded " + std::to_string(done.value().bytes) +
                          " bytes (" + std::to_string(done.value().wire_bytes) +
                          " on the wire, " + done.value().encoding + ")");
  return done;
}

}  // namespace ferry::internal
