// SPDX-License-Identifier: Apache-2.0
// A stream read once: what it keeps, what it releases, and each way a
// stream or its callback can be wrong.
#include "source/stream_source.h"

#include <gtest/gtest.h>

#include <string>

#include "pipeline/chunk_plan.h"

namespace ferry::internal {
namespace {

// Reads `data` at most `step` bytes a call.
StreamReadFn Over(std::string data, uint64_t step = 7) {
  auto at = std::make_shared<size_t>(0);
  return [data = std::move(data), step, at](char* out,
                                            uint64_t max) -> Result<uint64_t> {
    size_t n = std::min<size_t>({max, step, data.size() - *at});
    std::memcpy(out, data.data() + *at, n);
    *at += n;
    return uint64_t{n};
  };
}

std::string Bytes(uint64_t n) {
  std::string s(n, '\0');
  for (uint64_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

TEST(StreamSource, FillsOnDemandAndLearnsItsLengthAtTheEnd) {
  StreamSource s(Over(Bytes(100)), std::nullopt, "s");
  EXPECT_FALSE(s.seekable());
  EXPECT_TRUE(s.absolute_path().empty());
  ASSERT_TRUE(s.Fill(40).ok());
  EXPECT_GE(s.size(), 40u);
  EXPECT_FALSE(s.length_known());
  EXPECT_EQ(s.expected_size(), std::nullopt);
  ASSERT_TRUE(s.Fill(1000).ok());
  EXPECT_TRUE(s.length_known());
  EXPECT_EQ(s.size(), 100u);
  EXPECT_EQ(s.expected_size(), 100u);
  std::string out(10, '\0');
  ASSERT_TRUE(s.ReadAt(90, 10, out.data()).ok());
  EXPECT_EQ(out, Bytes(100).substr(90));
}

TEST(StreamSource, ReleasedBytesAreGoneAndSaySo) {
  StreamSource s(Over(Bytes(100)), std::nullopt, "s");
  ASSERT_TRUE(s.Fill(100).ok());
  s.Release(60);
  EXPECT_EQ(s.held(), 40u);
  char c;
  Status gone = s.ReadAt(59, 1, &c);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, FERRY_ERR_SOURCE_NOT_RESUMABLE);
  EXPECT_TRUE(s.ReadAt(60, 1, &c).ok());
  EXPECT_EQ(c, Bytes(100)[60]);
  // Bytes not filled yet are a bug of the caller, never garbage.
  StreamSource t(Over(Bytes(100)), std::nullopt, "t");
  ASSERT_TRUE(t.Fill(10).ok());
  Status unread = t.ReadAt(50, 1, &c);
  ASSERT_FALSE(unread.ok());
  EXPECT_EQ(unread.error().code, FERRY_ERR_INTERNAL_ERROR);
}

TEST(StreamSource, ADeclaredLengthMustBeMetExactly) {
  StreamSource exact(Over(Bytes(50)), 50, "e");
  EXPECT_EQ(exact.expected_size(), 50u);
  ASSERT_TRUE(exact.Fill(50).ok());
  EXPECT_TRUE(exact.length_known());  // the end is checked at once

  StreamSource short_one(Over(Bytes(30)), 50, "s");
  Status s = short_one.Fill(50);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, FERRY_ERR_FILE_CHANGED);
  // A failed stream stays failed.
  EXPECT_EQ(short_one.Fill(60).error().code, FERRY_ERR_FILE_CHANGED);

  StreamSource long_one(Over(Bytes(80)), 50, "l");
  Status l = long_one.Fill(50);
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().code, FERRY_ERR_FILE_CHANGED);
  EXPECT_NE(l.error().message.find("past its declared length"),
            std::string::npos);
}

TEST(StreamSource, ACallbackThatFailsOrOverfillsIsATypedError) {
  StreamSource failing(
      [](char*, uint64_t) -> Result<uint64_t> {
        return MakeError(FERRY_ERR_FILE_UNREADABLE, "broken pipe");
      },
      std::nullopt, "f");
  EXPECT_EQ(failing.Fill(10).error().code, FERRY_ERR_FILE_UNREADABLE);
  StreamSource overfill(
      [](char*, uint64_t max) -> Result<uint64_t> { return max + 1; },
      std::nullopt, "o");
  EXPECT_EQ(overfill.Fill(10).error().code, FERRY_ERR_INVALID_ARGUMENT);
}

TEST(ChunkPlanOverAStream, GrowsInWholeChunksUntilTheEnd) {
  StreamSource s(Over(Bytes(25), 3), std::nullopt, "s");
  ChunkPlan plan(s, 10);
  EXPECT_EQ(plan.count(), 0u);
  EXPECT_FALSE(plan.complete());
  ASSERT_TRUE(s.Fill(14).ok());  // 14 or so bytes: one whole chunk
  EXPECT_EQ(plan.file_size(), 10u);
  EXPECT_EQ(plan.count(), 1u);
  EXPECT_EQ(plan.Chunk(0).length, 10u);
  ASSERT_TRUE(s.Fill(100).ok());
  EXPECT_TRUE(plan.complete());
  EXPECT_EQ(plan.count(), 3u);
  EXPECT_EQ(plan.Chunk(2).length, 5u);  // the short last chunk, only now
}

}  // namespace
}  // namespace ferry::internal
