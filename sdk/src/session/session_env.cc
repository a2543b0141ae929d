// SPDX-License-Identifier: Apache-2.0
#include "session/session_env.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

namespace ferry::internal {

SessionEnv SessionEnv::Real() {
  SessionEnv env;
  env.now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  env.sleep_ms = [](int64_t ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  };
  env.seed = [] { return static_cast<uint64_t>(std::random_device{}()); };
  return env;
}

bool WaitInSlices(const SessionEnv& env, int64_t ms, int64_t slice_ms,
                  const std::function<bool()>& go_on) {
  int64_t end = env.now_ms() + ms;
  for (;;) {
    if (!go_on()) return false;
    int64_t left = end - env.now_ms();
    if (left <= 0) return true;
    env.sleep_ms(std::min(left, slice_ms));
  }
}

}  // namespace ferry::internal
