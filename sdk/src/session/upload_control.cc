// SPDX-License-Identifier: Apache-2.0
#include "session/upload_control.h"

namespace ferry::internal {

const char* PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kOpening:
      return "opening";
    case Phase::kResuming:
      return "resuming";
    case Phase::kCreating:
      return "creating";
    case Phase::kSending:
      return "sending";
    case Phase::kPaused:
      return "paused";
    case Phase::kFinishing:
      return "finishing";
    case Phase::kDone:
      return "done";
    case Phase::kFailed:
      return "failed";
  }
  return "unknown";
}

void UploadControl::Pause() {
  MutexLock lock(&mu_);
  paused_ = true;
  changed_.SignalAll();
}

void UploadControl::Resume() {
  MutexLock lock(&mu_);
  paused_ = false;
  changed_.SignalAll();
}

void UploadControl::Cancel(bool discard) {
  MutexLock lock(&mu_);
  cancelled_ = true;
  discard_ = discard_ || discard;
  changed_.SignalAll();
}

bool UploadControl::pause_requested() const {
  MutexLock lock(&mu_);
  return paused_ && !cancelled_;
}

bool UploadControl::cancel_requested() const {
  MutexLock lock(&mu_);
  return cancelled_;
}

bool UploadControl::discard_requested() const {
  MutexLock lock(&mu_);
  return discard_;
}

bool UploadControl::WaitWhilePaused() {
  MutexLock lock(&mu_);
  while (paused_ && !cancelled_) changed_.Wait(&mu_);
  return !cancelled_;
}

void UploadControl::SetPhase(Phase phase) {
  MutexLock lock(&mu_);
  status_.phase = phase;
}

void UploadControl::SetProgress(const Progress& progress) {
  MutexLock lock(&mu_);
  status_.progress = progress;
}

void UploadControl::SetError(const Error& error) {
  MutexLock lock(&mu_);
  status_.last_error = error;
}

UploadStatus UploadControl::status() const {
  MutexLock lock(&mu_);
  return status_;
}

}  // namespace ferry::internal
