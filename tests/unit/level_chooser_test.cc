// SPDX-License-Identifier: Apache-2.0
#include "codec/level_chooser.h"

#include <gtest/gtest.h>
#include <zstd.h>

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

// One worker cannot keep up with the link at any level above 1, so the
// cheapest is taken; two can, so the link sets the pace and the best ratio
// wins, up to the highest level the memory budget allows.
TEST(LevelChooser, MoreWorkersAffordHigherLevelsUpToTheMemoryCap) {
  auto measured = [](int workers, int max_level) {
    LevelChooser c;
    c.SetWorkers(workers, max_level);
    c.OnSent(12.5e6, 1.0);  // 100 Mbit/s
    c.OnFrameDone(0, 8e6, 0.64);
    for (int level : {1, 3, 6, 9, 12, 15, 19}) {
      // 25 MB/s a worker at every level; higher levels shrink more.
      c.OnCompressed(level, 4e6, 0.16, 0.4 - level * 0.002, 0.4);
    }
    return c.Choose(0.4);
  };
  EXPECT_EQ(measured(1, 19), 1);
  EXPECT_EQ(measured(2, 19), 19);
  EXPECT_EQ(measured(2, 9), 9);
}

// Unmeasured levels are predicted from the measured ones: a slow link
// moves past level 6 (the highest an automatic choice once took).
TEST(LevelChooser, SlowLinkGoesPastLevelSix) {
  LevelChooser c;
  c.SetWorkers(2, 19);
  c.OnSent(2.5e6, 1.0);  // 20 Mbit/s
  c.OnFrameDone(0, 4e6, 1.6);
  c.OnCompressed(1, 4e6, 0.01, 0.4, 0.4);
  EXPECT_GT(c.Choose(0.4), 6);
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

// Levels 10 and up run with capped tables: their frames still decode to
// the chunk, shrink about as well as level 9's, and encode the same
// bytes twice (a resume regenerates them).
TEST(ZstdFrames, CappedHighLevelsDecodeAndAreDeterministic) {
  std::string text;
  for (int i = 0; text.size() < (3u << 20); ++i) {
    text += "line " + std::to_string(i % 977) + " of a log, value " +
            std::to_string((i * 7919) % 10007) + "\n";
  }
  FrameEncoder enc;
  FrameInfo info9;
  size_t level9 = enc.Encode(text, 9, &info9).size();
  for (int level : {12, 19}) {
    FrameInfo info, again;
    std::string frame = enc.Encode(text, level, &info);
    EXPECT_EQ(info.level, level);
    EXPECT_LT(frame.size(), level9 * 11 / 10) << level;
    EXPECT_EQ(enc.Encode(text, level, &again), frame) << level;
    std::string back(text.size(), '\0');
    size_t n =
        ZSTD_decompress(back.data(), back.size(), frame.data(), frame.size());
    ASSERT_FALSE(ZSTD_isError(n)) << ZSTD_getErrorName(n);
    EXPECT_EQ(back.substr(0, n), text) << level;
  }
}

TEST(ZstdFrames, StoredFrameSizeMatchesTheFrame) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{131072}, size_t{131073},
                   size_t{1} << 20}) {
    std::string data(n, 'x');
    EXPECT_EQ(StoredFrame(data).size(), StoredFrameSize(n)) << n;
  }
}

// A frame buffer is reused from chunk to chunk, stored or compressed: it
// must not grow by doubling (a 4 MiB chunk's buffer became 8 MiB when a
// compressed frame followed a stored one, and peak memory grew with the
// file's length).
TEST(ZstdFrames, AReusedFrameBufferDoesNotDouble) {
  constexpr size_t kChunk = 4u << 20;
  std::string noise(kChunk, '\0'), text;
  uint32_t x = 7;
  for (char& c : noise) {
    x = x * 1664525 + 1013904223;
    c = static_cast<char>(x >> 24);
  }
  for (int i = 0; text.size() < kChunk; ++i) text += std::to_string(i) + ",";
  text.resize(kChunk);
  FrameEncoder enc;
  FrameInfo info;
  std::string buffer;
  StoredFrameInto(noise, &buffer);
  size_t room = buffer.capacity();
  EXPECT_GE(room, ZSTD_compressBound(kChunk));
  enc.Encode(text, 1, &info, ChunkHash::kXxh3_128, &buffer);
  EXPECT_EQ(info.level, 1);
  enc.Encode(noise, 1, &info, ChunkHash::kXxh3_128, &buffer);
  EXPECT_EQ(info.level, 0);
  EXPECT_EQ(buffer.capacity(), room);
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
