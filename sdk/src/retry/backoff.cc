// SPDX-License-Identifier: Apache-2.0
#include "retry/backoff.h"

#include <algorithm>

namespace ferry::internal {

int64_t FullJitterDelayMs(const RetryOptions& options, uint32_t attempt,
                          std::mt19937_64& rng) {
  uint32_t shift = attempt == 0 ? 0 : std::min<uint32_t>(attempt - 1, 30);
  int64_t ceiling =
      std::min<int64_t>(options.max_delay_ms,
                        static_cast<int64_t>(options.base_delay_ms) << shift);
  std::uniform_int_distribution<int64_t> dist(0, std::max<int64_t>(ceiling, 0));
  return dist(rng);
}

std::optional<int64_t> RetryBudget::NextDelay(const Error& error,
                                              int64_t now_ms) {
  if (!error.retryable) return std::nullopt;
  if (attempt_ >= options_.max_retries) return std::nullopt;
  ++attempt_;
  int64_t delay = FullJitterDelayMs(options_, attempt_, rng_);
  if (error.retry_after_ms >= 0) delay = std::max(delay, error.retry_after_ms);
  if (now_ms + delay - streak_start_ms_ > options_.deadline_ms) {
    return std::nullopt;
  }
  return delay;
}

}  // namespace ferry::internal
