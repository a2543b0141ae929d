/* SPDX-License-Identifier: Apache-2.0 */
// The engine's locks: Abseil's Mutex and CondVar, made visible to
// ThreadSanitizer. Debian's Abseil is not built with TSan, so its lock
// operations are invisible to it and every guarded access would look like a
// race; in a TSan build each lock and unlock is announced to TSan as an
// acquire and a release of the mutex. Elsewhere these are plain wrappers.
#ifndef FERRY_SDK_SRC_SYNC_MUTEX_H_
#define FERRY_SDK_SRC_SYNC_MUTEX_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define FERRY_TSAN_ACQUIRE(addr) __tsan_acquire(addr)
#define FERRY_TSAN_RELEASE(addr) __tsan_release(addr)
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#include <sanitizer/tsan_interface.h>
#define FERRY_TSAN_ACQUIRE(addr) __tsan_acquire(addr)
#define FERRY_TSAN_RELEASE(addr) __tsan_release(addr)
#endif
#endif
#ifndef FERRY_TSAN_ACQUIRE
#define FERRY_TSAN_ACQUIRE(addr) static_cast<void>(addr)
#define FERRY_TSAN_RELEASE(addr) static_cast<void>(addr)
#endif

namespace ferry::internal {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    mu_.Lock();
    FERRY_TSAN_ACQUIRE(this);
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    FERRY_TSAN_RELEASE(this);
    mu_.Unlock();
  }

 private:
  friend class CondVar;
  absl::Mutex mu_;
};

class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->Lock();
  }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

class CondVar {
 public:
  // Releases `mu` while waiting and holds it again on return.
  void Wait(Mutex* mu) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    FERRY_TSAN_RELEASE(mu);
    cv_.Wait(&mu->mu_);
    FERRY_TSAN_ACQUIRE(mu);
  }
  // The same, returning after at most `ms` milliseconds.
  void WaitForMs(Mutex* mu, int64_t ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    FERRY_TSAN_RELEASE(mu);
    cv_.WaitWithTimeout(&mu->mu_, absl::Milliseconds(ms));
    FERRY_TSAN_ACQUIRE(mu);
  }
  void SignalAll() { cv_.SignalAll(); }

 private:
  absl::CondVar cv_;
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_SYNC_MUTEX_H_
