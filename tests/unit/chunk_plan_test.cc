// SPDX-License-Identifier: Apache-2.0
#include "pipeline/chunk_plan.h"

#include <gtest/gtest.h>

namespace ferry::internal {
namespace {

TEST(ChunkPlan, EmptyFileHasNoChunks) {
  ChunkPlan plan(0, 4);
  EXPECT_EQ(plan.count(), 0u);
}

TEST(ChunkPlan, ExactMultiple) {
  ChunkPlan plan(12, 4);
  ASSERT_EQ(plan.count(), 3u);
  EXPECT_EQ(plan.Chunk(2).offset, 8u);
  EXPECT_EQ(plan.Chunk(2).length, 4u);
}

TEST(ChunkPlan, ShortLastChunkAndIndexAt) {
  ChunkPlan plan(3 * 4 + 3, 4);
  ASSERT_EQ(plan.count(), 4u);
  EXPECT_EQ(plan.Chunk(3).length, 3u);
  EXPECT_EQ(plan.Chunk(3).end(), 15u);
  EXPECT_EQ(plan.IndexAt(0), 0u);
  EXPECT_EQ(plan.IndexAt(3), 0u);
  EXPECT_EQ(plan.IndexAt(4), 1u);
  EXPECT_EQ(plan.IndexAt(14), 3u);
}

TEST(ChunkPlan, ChunksTileTheFile) {
  for (uint64_t size : {1ull, 5ull, 63ull, 64ull, 65ull, 1000ull}) {
    ChunkPlan plan(size, 16);
    uint64_t next = 0;
    for (uint64_t i = 0; i < plan.count(); ++i) {
      ChunkRange c = plan.Chunk(i);
      EXPECT_EQ(c.offset, next);
      EXPECT_GT(c.length, 0u);
      EXPECT_LE(c.length, 16u);
      next = c.end();
    }
    EXPECT_EQ(next, size);
  }
}

}  // namespace
}  // namespace ferry::internal
