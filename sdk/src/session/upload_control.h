// SPDX-License-Identifier: Apache-2.0
// What an app's handle and a running session share: the app's requests
// (pause, resume, cancel, discard) and what the session last reported
// (phase, progress, the last error it met). Any thread.
#ifndef FERRY_SDK_SRC_SESSION_UPLOAD_CONTROL_H_
#define FERRY_SDK_SRC_SESSION_UPLOAD_CONTROL_H_

#include <cstdint>
#include <optional>

#include "client/client_types.h"
#include "errors/error.h"
#include "sync/mutex.h"

namespace ferry::internal {

// Where an upload stands. Changed by the session in one place
// (UploadSession::Enter).
enum class Phase {
  kOpening,    // opening the source, the app's policy, discovery, preflight
  kResuming,   // checking a saved upload against the server and the source
  kCreating,   // a fresh upload: hashing if asked, the creation request
  kSending,    // pieces until every byte is acknowledged
  kPaused,     // the app paused it: no request, no connection held
  kFinishing,  // completing the object, removing the journal entry
  kDone,
  kFailed,
};
const char* PhaseName(Phase phase);

struct UploadStatus {
  Phase phase = Phase::kOpening;
  Progress progress;
  // The last error met, retried or final (nullopt: none yet).
  std::optional<Error> last_error;
};

class UploadControl {
 public:
  // Requests. Pausing stops the request in flight (the session asks the
  // server where it stands on resume); a cancel also ends a pause.
  void Pause();
  void Resume();
  void Cancel(bool discard);

  bool pause_requested() const;
  bool cancel_requested() const;
  bool discard_requested() const;
  // Blocks while paused and not cancelled. False when cancelled.
  bool WaitWhilePaused();

  // The session's reports.
  void SetPhase(Phase phase);
  void SetProgress(const Progress& progress);
  void SetError(const Error& error);
  UploadStatus status() const;

 private:
  mutable Mutex mu_;
  CondVar changed_;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool discard_ ABSL_GUARDED_BY(mu_) = false;
  UploadStatus status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_SESSION_UPLOAD_CONTROL_H_
