// SPDX-License-Identifier: Apache-2.0
// What an upload session's logic takes from the outside world: a monotonic
// clock, a way to wait, and random seeds. Injected so that unit tests drive
// retries, Retry-After floors and deadlines with a fake clock and no real
// sleeping.
#ifndef FERRY_SDK_SRC_SESSION_SESSION_ENV_H_
#define FERRY_SDK_SRC_SESSION_SESSION_ENV_H_

#include <cstdint>
#include <functional>

namespace ferry::internal {

struct SessionEnv {
  // Milliseconds on a monotonic clock.
  std::function<int64_t()> now_ms;
  // Waits `ms` milliseconds (the session waits in slices of at most 100 ms,
  // reporting progress and checking for a cancel in between).
  std::function<void(int64_t ms)> sleep_ms;
  // A seed for one retry budget's jitter.
  std::function<uint64_t()> seed;

  // The steady clock, std::this_thread::sleep_for and std::random_device.
  static SessionEnv Real();
};

// Waits `ms` on `env` in slices of at most `slice_ms`, asking `go_on`
// before each; false as soon as it says stop. The one wait every retry
// uses (the session's and each S3 part worker's).
bool WaitInSlices(const SessionEnv& env, int64_t ms, int64_t slice_ms,
                  const std::function<bool()>& go_on);

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_SESSION_SESSION_ENV_H_
