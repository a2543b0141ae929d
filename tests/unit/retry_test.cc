// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "retry/backoff.h"

namespace ferry::internal {
namespace {

Error Retryable() { return MakeError(FERRY_ERR_SERVER_ERROR, "boom"); }

TEST(Backoff, FullJitterStaysUnderTheExponentialCeiling) {
  RetryOptions o;
  o.base_delay_ms = 100;
  o.max_delay_ms = 1000;
  std::mt19937_64 rng(42);
  for (uint32_t attempt = 1; attempt <= 8; ++attempt) {
    int64_t ceiling = std::min<int64_t>(1000, 100ll << (attempt - 1));
    int64_t max_seen = 0;
    for (int i = 0; i < 2000; ++i) {
      int64_t d = FullJitterDelayMs(o, attempt, rng);
      ASSERT_GE(d, 0);
      ASSERT_LE(d, ceiling);
      max_seen = std::max(max_seen, d);
    }
    // Full jitter spreads over the whole range, not just near the top.
    EXPECT_GT(max_seen, ceiling / 2);
  }
}

TEST(Backoff, GivesUpAfterMaxRetriesAndResetsOnProgress) {
  RetryOptions o;
  o.max_retries = 3;
  RetryBudget b(o, 1, 0);
  EXPECT_TRUE(b.NextDelay(Retryable(), 0).has_value());
  EXPECT_TRUE(b.NextDelay(Retryable(), 0).has_value());
  EXPECT_TRUE(b.NextDelay(Retryable(), 0).has_value());
  EXPECT_FALSE(b.NextDelay(Retryable(), 0).has_value());
  b.OnProgress(10);
  EXPECT_EQ(b.attempt(), 0u);
  EXPECT_TRUE(b.NextDelay(Retryable(), 10).has_value());
}

TEST(Backoff, NeverRetriesWhatIsNotRetryable) {
  RetryBudget b(RetryOptions{}, 1, 0);
  EXPECT_FALSE(b.NextDelay(MakeError(FERRY_ERR_FILE_TOO_LARGE, ""), 0));
  EXPECT_FALSE(b.NextDelay(MakeError(FERRY_ERR_PERMISSION_DENIED, ""), 0));
}

TEST(Backoff, HonoursRetryAfterAsAFloor) {
  RetryOptions o;
  o.base_delay_ms = 1;
  o.max_delay_ms = 1;
  RetryBudget b(o, 1, 0);
  Error e = MakeError(FERRY_ERR_RATE_LIMITED, "slow down");
  e.retry_after_ms = 5000;
  EXPECT_EQ(b.NextDelay(e, 0), 5000);
}

TEST(Backoff, DeadlineEndsRetriesThatWouldWaitPastIt) {
  RetryOptions o;
  o.deadline_ms = 10000;
  RetryBudget b(o, 1, 0);
  Error e = MakeError(FERRY_ERR_SERVER_UNAVAILABLE, "maintenance");
  e.retry_after_ms = 60000;
  EXPECT_FALSE(b.NextDelay(e, 0).has_value());
  Error soon = MakeError(FERRY_ERR_SERVER_UNAVAILABLE, "");
  EXPECT_FALSE(b.NextDelay(soon, 20000).has_value());
}

}  // namespace
}  // namespace ferry::internal
