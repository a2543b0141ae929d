// SPDX-License-Identifier: Apache-2.0
#include "codec/level_chooser.h"

#include <gtest/gtest.h>

#include "codec/zstd_frames.h"

namespace ferry::internal {
namespace {

TEST(LevelChooser, IncompressibleSamplesAreAlwaysStored) {
  LevelChooser fixed(9);
  EXPECT_EQ(fixed.Choose(0.99), 0);
  EXPECT_EQ(fixed.Choose(0.5), 9);
  LevelChooser automatic;
  automatic.OnSent(1e6, 1.0);
  EXPECT_EQ(automatic.Choose(0.999), 0);
}

TEST(LevelChooser, OpensWithLevelOneOnlyForClearlyCompressibleData) {
  LevelChooser c;
  EXPECT_EQ(c.Choose(0.4), 1);
  LevelChooser d;
  EXPECT_EQ(d.Choose(0.9), 0);
}

TEST(LevelChooser, FastLinkSendsStoredSlowLinkCompresses) {
  LevelChooser fast;
  fast.OnSent(8e9, 1.0);  // 8 GB/s: no compressor keeps up
  fast.OnCompressed(1, 8e6, 0.02, 0.5);
  EXPECT_EQ(fast.Choose(0.5), 0);

  LevelChooser slow;
  slow.OnSent(12.5e6, 1.0);  // 100 Mbit/s
  slow.OnCompressed(1, 8e6, 0.02, 0.5);
  slow.OnFrameDone(0, 8e6, 0.64);  // stored: the link's speed
  int level = slow.Choose(0.5);
  EXPECT_GT(level, 0);
}

TEST(LevelChooser, MeasuredThroughputOverridesTheModel) {
  LevelChooser c;
  c.OnSent(200e6, 1.0);
  c.OnCompressed(1, 8e6, 0.01, 0.5);
  // The model favours compression, but stored frames are measured faster
  // end to end (a local server shares the CPU): stored wins.
  c.OnFrameDone(0, 8e6, 0.04);
  c.OnFrameDone(1, 8e6, 0.08);
  int stored = 0;
  for (int i = 0; i < 32; ++i) stored += c.Choose(0.5) == 0;
  EXPECT_GT(stored, 24);  // mostly stored, with occasional probes
  EXPECT_LT(stored, 32);
}

TEST(ZstdFrames, StoredFrameSizeMatchesTheFrame) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{131072}, size_t{131073},
                   size_t{1} << 20}) {
    std::string data(n, 'x');
    EXPECT_EQ(StoredFrame(data).size(), StoredFrameSize(n)) << n;
  }
}

TEST(ZstdFrames, EncodeFallsBackToStoredWhenItDoesNotShrink) {
  FrameEncoder enc;
  std::string random;
  uint32_t x = 1;
  for (int i = 0; i < 100000; ++i) {
    x = x * 1664525 + 1013904223;
    random.push_back(static_cast<char>(x >> 24));
  }
  FrameInfo info;
  std::string frame = enc.Encode(random, 3, &info);
  EXPECT_EQ(info.level, 0);
  EXPECT_EQ(frame, StoredFrame(random));
  std::string text(100000, 'a');
  frame = enc.Encode(text, 3, &info);
  EXPECT_EQ(info.level, 3);
  EXPECT_LT(frame.size(), 1000u);
  EXPECT_EQ(info.raw_size, 100000u);
  EXPECT_EQ(info.compressed_size, frame.size());
}

}  // namespace
}  // namespace ferry::internal
