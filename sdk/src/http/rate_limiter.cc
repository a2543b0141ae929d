// SPDX-License-Identifier: Apache-2.0
#include "http/rate_limiter.h"

#include <algorithm>
#include <thread>

namespace ferry::internal {

RateLimiter::RateLimiter(uint64_t bytes_per_sec)
    : rate_(static_cast<double>(bytes_per_sec)),
      burst_(std::max(16384.0, static_cast<double>(bytes_per_sec) / 10)),
      quantum_(std::clamp(static_cast<double>(bytes_per_sec) / 50, 1024.0,
                          262144.0)),
      tokens_(0),
      last_(Clock::now()) {}

size_t RateLimiter::Take(size_t want) {
  for (;;) {
    double wait_s;
    {
      MutexLock lock(&mu_);
      Clock::time_point now = Clock::now();
      tokens_ = std::min(
          burst_,
          tokens_ + rate_ * std::chrono::duration<double>(now - last_).count());
      last_ = now;
      double need = std::min(static_cast<double>(want), quantum_);
      if (tokens_ >= need) {
        size_t n = std::min<size_t>(want, static_cast<size_t>(tokens_));
        tokens_ -= static_cast<double>(n);
        return n;
      }
      wait_s = (need - tokens_) / rate_;
    }
    // Short naps keep the wait responsive; the read callback runs again.
    std::this_thread::sleep_for(
        std::chrono::duration<double>(std::clamp(wait_s, 0.0005, 0.05)));
  }
}

}  // namespace ferry::internal
