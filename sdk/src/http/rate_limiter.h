/* SPDX-License-Identifier: Apache-2.0 */
// A token bucket shared by every request of a client, so a bandwidth cap
// holds across requests (libcurl's own limit is per transfer, and a small
// PATCH body fits in the socket buffer before it can act).
#ifndef FERRY_SDK_SRC_HTTP_RATE_LIMITER_H_
#define FERRY_SDK_SRC_HTTP_RATE_LIMITER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "sync/mutex.h"

namespace ferry::internal {

class RateLimiter {
 public:
  // bytes_per_sec > 0. The burst is a tenth of a second's worth (>= 16 KiB).
  explicit RateLimiter(uint64_t bytes_per_sec);

  // Blocks until some bytes may be sent; returns how many (1..want).
  size_t Take(size_t want);

 private:
  using Clock = std::chrono::steady_clock;
  const double rate_;
  const double burst_;
  const double quantum_;  // bytes released at a time: few wake-ups
  Mutex mu_;
  double tokens_ ABSL_GUARDED_BY(mu_);
  Clock::time_point last_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_HTTP_RATE_LIMITER_H_
