/* SPDX-License-Identifier: Apache-2.0 */
// When to retry: exponential backoff with full jitter, Retry-After honoured,
// bounded by attempts in a row and by time spent without progress.
#ifndef FERRY_SDK_SRC_RETRY_BACKOFF_H_
#define FERRY_SDK_SRC_RETRY_BACKOFF_H_

#include <cstdint>
#include <optional>
#include <random>

#include "errors/error.h"

namespace ferry::internal {

struct RetryOptions {
  uint32_t max_retries = 8;  // failures in a row without progress
  uint32_t base_delay_ms = 250;
  uint32_t max_delay_ms = 30000;
  uint32_t deadline_ms = 300000;  // time spent failing without progress
};

// Delay before retry number `attempt` (1-based): uniform in
// [0, min(max_delay, base * 2^(attempt-1))] ("full jitter").
int64_t FullJitterDelayMs(const RetryOptions& options, uint32_t attempt,
                          std::mt19937_64& rng);

class RetryBudget {
 public:
  RetryBudget(RetryOptions options, uint64_t seed, int64_t now_ms)
      : options_(options), rng_(seed), streak_start_ms_(now_ms) {}

  // After a failure: the delay to wait before retrying, or nullopt to give
  // up (not retryable, attempts used up, or the wait would pass the
  // deadline). Counts the attempt.
  std::optional<int64_t> NextDelay(const Error& error, int64_t now_ms);
  // Forward progress: a new streak of attempts starts.
  void OnProgress(int64_t now_ms) {
    attempt_ = 0;
    streak_start_ms_ = now_ms;
  }
  uint32_t attempt() const { return attempt_; }

 private:
  RetryOptions options_;
  std::mt19937_64 rng_;
  int64_t streak_start_ms_;
  uint32_t attempt_ = 0;
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_RETRY_BACKOFF_H_
