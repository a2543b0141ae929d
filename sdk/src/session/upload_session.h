// SPDX-License-Identifier: Apache-2.0
// One upload of one source, whatever the protocol: the session owns the
// source and its checks, the journal entry, the retry budget, events and
// progress, cancellation, the credential-refresh hook, the compression
// decision and the final report, and drives one Transfer through explicit
// phases. Data flows one way: session -> transfer -> http.
#ifndef FERRY_SDK_SRC_SESSION_UPLOAD_SESSION_H_
#define FERRY_SDK_SRC_SESSION_UPLOAD_SESSION_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "client/client_types.h"
#include "journal/journal.h"
#include "journal/journal_writer.h"
#include "protocols/transfer.h"
#include "retry/backoff.h"
#include "session/session_env.h"
#include "session/upload_control.h"
#include "source/source.h"

namespace ferry::internal {

class UploadSession {
 public:
  // `config`, `journal` and `params` must outlive the session. `control`
  // carries an app's pause/resume/cancel and receives the status; none: the
  // session makes its own.
  UploadSession(const ClientConfig& config, const Journal& journal,
                const UploadParams& params, std::unique_ptr<Transfer> transfer,
                SessionEnv env,
                std::shared_ptr<UploadControl> control = nullptr);
  // Ends the transfer first: its threads read the source and the context.
  ~UploadSession() {
    transfer_.reset();
    journal_.Unlock(journal_key_, context_.source_key, std::move(entry_lock_));
  }
  UploadSession(const UploadSession&) = delete;
  UploadSession& operator=(const UploadSession&) = delete;

  // Uploads `source`. The error is final: retries, refreshes and restarts
  // were tried as far as the budget and the app allowed.
  Result<UploadSummary> Run(std::unique_ptr<Source> source);

  Phase phase() const { return phase_; }

 private:
  void Enter(Phase next) {
    phase_ = next;
    control_->SetPhase(next);
  }
  // Whether the transfer should stop now: a cancel, or a pause while
  // sending (a pause in other phases waits for sending to begin).
  bool Stopping() const;
  bool PauseRequested() const {
    return phase_ == Phase::kSending && control_->pause_requested();
  }
  // Holds the upload while the app keeps it paused (no request in flight),
  // then asks the server where it stands. Errors: cancelled.
  Status HoldWhilePaused();
  bool DiscardOnCancel() const {
    return params_.discard_on_cancel || control_->discard_requested();
  }
  // Streams: reads the first chunk, so a short stream is an upload of
  // known length (and its content can be sampled).
  Status ReadAhead();

  Status Open();
  Status ChooseCompression();
  // Loads and checks the saved upload; true when it was resumed.
  Result<bool> Resume();
  Status StartFresh();
  Status SendAll();
  // A failed send: refresh, back off, restart, then ask the server where
  // it stands.
  Status Recover(Error error);
  Result<UploadSummary> Finish();
  // After any failure: discard on a cancel when asked.
  Error Fail(Error error);
  // Treats a saved upload that cannot be used: an error for a changed
  // file (unless restarting on change), else the entry is dropped.
  Status Abandon(const ResumeVerdict& verdict);
  // Replaces the current upload by a fresh one (once a run), saying why.
  Status Restart(ferry_code why, const std::string& message);

  // Runs a one-attempt operation until it succeeds, fails for good, or the
  // budget is spent (emitting a retry event before each wait).
  template <typename T, typename Op>
  Result<T> Retrying(Op&& op) {
    for (;;) {
      Result<T> r = op();
      if (r.ok()) return r;
      if (!BackOff(r.error())) return r;
    }
  }
  // Decides on a retry for `error`: a credential refresh, or a wait. True
  // when the operation should be tried again. On false, `error` is final
  // (replaced by cancelled when the app cancelled).
  bool BackOff(Error& error);
  bool RefreshCredentials(const Error& error);
  bool Emit(const Event& event);
  // A line for the app's log (when it asked for this level), prefixed
  // with the source's name.
  void Log(int level, const std::string& message) const;
  bool EmitRetry(const Error& error, uint32_t attempt, int64_t delay_ms,
                 std::string message);
  // Reports progress (at most every 100 ms unless forced); false once the
  // app cancelled.
  bool ReportProgress(bool force);
  // Waits `ms`, reporting progress; false when cancelled meanwhile.
  bool Wait(int64_t ms);
  // The server confirmed new bytes: retry budgets start over.
  void OnProgress();
  Error Cancelled() const;
  Status RemoveEntry();
  // Removes a cancelled upload from the server (discard on cancel).
  void DiscardAfterCancel();

  const ClientConfig& config_;
  const Journal& journal_;
  // Saves this upload's entry: whole, then deltas (journal_log.h).
  JournalWriter journal_writer_{&journal_};
  const UploadParams& params_;
  std::unique_ptr<Transfer> transfer_;
  SessionEnv env_;
  TransferContext context_;
  RetryBudget budget_;
  std::shared_ptr<UploadControl> control_;
  std::unique_ptr<Source> source_;
  std::string journal_key_;
  // The entry's lock (Journal::Lock), held for the whole upload of a source
  // with an identity on disk; released and removed by the destructor.
  UniqueFd entry_lock_;
  std::atomic<Phase> phase_{Phase::kOpening};
  std::atomic<bool> cancelled_{false};
  uint64_t resumed_from_ = 0;
  uint64_t reported_done_ = 0;
  int64_t last_report_ms_ = -1;
  int restarts_left_ = 1;
  int refreshes_left_ = 3;
  // Why compression is off, told when a fresh upload starts.
  std::optional<Event> compression_off_;
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_SESSION_UPLOAD_SESSION_H_
