// SPDX-License-Identifier: Apache-2.0
// The ledger every read of an uploading file goes through: fingerprints on
// the first read, checks on later ones, the whole file's SHA-256 in order;
// and the frame producer reading through it on several workers.
#include "pipeline/chunk_ledger.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "codec/hash.h"
#include "pipeline/chunk_plan.h"
#include "pipeline/frame_producer.h"
#include "source/file_source.h"

namespace ferry::internal {
namespace {

class ChunkLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ferry-ledger-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/f";
    content_.resize(10 * 1000 + 7);
    for (size_t i = 0; i < content_.size(); ++i) {
      content_[i] = static_cast<char>((i * 131) % 251);
    }
    std::ofstream(path_, std::ios::binary) << content_;
    auto opened = FileSource::Open(path_);
    ASSERT_TRUE(opened.ok());
    source_ = std::move(opened.value());
    plan_ = std::make_unique<ChunkPlan>(content_.size(), 1000);
  }
  void TearDown() override {
    std::remove(path_.c_str());
    rmdir(dir_.c_str());
  }
  std::string dir_, path_, content_;
  std::unique_ptr<FileSource> source_;
  std::unique_ptr<ChunkPlan> plan_;
};

TEST_F(ChunkLedgerTest, FirstReadsFingerprintAndTheFileHashIsTheSha256) {
  ChunkLedger ledger(source_.get(), plan_.get(), ChunkHash::kXxh3_128, {});
  std::vector<char> buf(1000);
  for (uint64_t i = 0; i < plan_->count(); ++i) {
    ASSERT_TRUE(ledger.Read(i, buf.data()).ok()) << i;
    ASSERT_TRUE(ledger.Read(i, buf.data()).ok()) << i;  // again: checked
  }
  EXPECT_EQ(ledger.known(), plan_->count());
  EXPECT_EQ(ledger.Fingerprints()[3],
            ChunkDigest(ChunkHash::kXxh3_128, content_.substr(3000, 1000)));
  auto sha = ledger.FileSha256();
  ASSERT_TRUE(sha.ok());
  EXPECT_EQ(sha.value(), Sha256(content_));
  EXPECT_EQ(ledger.FileSha256().value(), Sha256(content_));  // stable
}

TEST_F(ChunkLedgerTest, ChunksNeverReadInOrderAreReadForTheHash) {
  ChunkLedger ledger(source_.get(), plan_.get(), ChunkHash::kXxh3_128, {});
  std::vector<char> buf(1000);
  ASSERT_TRUE(ledger.Read(0, buf.data()).ok());
  ASSERT_TRUE(ledger.Read(1, buf.data()).ok());
  auto sha = ledger.FileSha256();
  ASSERT_TRUE(sha.ok());
  EXPECT_EQ(sha.value(), Sha256(content_));
}

TEST_F(ChunkLedgerTest, SkippingAheadIsRefused) {
  ChunkLedger ledger(source_.get(), plan_.get(), ChunkHash::kXxh3_128, {});
  std::vector<char> buf(1000);
  Status s = ledger.Read(2, buf.data());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, FERRY_ERR_INTERNAL_ERROR);
}

TEST_F(ChunkLedgerTest, RecordedFingerprintsAreCheckedEvenWithTimesRestored) {
  // Fingerprints from an earlier run (as a resume has them), then an edit
  // in place with the mtime put back, before this run opened the file.
  std::vector<std::string> known;
  for (uint64_t i = 0; i < 3; ++i) {
    known.push_back(
        ChunkDigest(ChunkHash::kXxh3_128, content_.substr(i * 1000, 1000)));
  }
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1500);
    f.write("edit", 4);
  }
  timespec t[2] = {st.st_atim, st.st_mtim};
  ASSERT_EQ(utimensat(AT_FDCWD, path_.c_str(), t, 0), 0);
  auto reopened = FileSource::Open(path_);
  ASSERT_TRUE(reopened.ok());
  ChunkLedger ledger(reopened.value().get(), plan_.get(), ChunkHash::kXxh3_128,
                     known);
  std::vector<char> buf(1000);
  EXPECT_TRUE(ledger.Read(0, buf.data()).ok());
  Status s = ledger.Read(1, buf.data());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, FERRY_ERR_FILE_CHANGED);
}

TEST_F(ChunkLedgerTest, AWriteDuringTheRunIsSeenThroughCtime) {
  ChunkLedger ledger(source_.get(), plan_.get(), ChunkHash::kXxh3_128, {});
  std::vector<char> buf(1000);
  ASSERT_TRUE(ledger.Read(0, buf.data()).ok());
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  {
    // A chunk not read yet: no fingerprint could catch it; ctime does.
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(9000);
    f.write("edit", 4);
  }
  timespec t[2] = {st.st_atim, st.st_mtim};
  ASSERT_EQ(utimensat(AT_FDCWD, path_.c_str(), t, 0), 0);
  Status s = ledger.Read(1, buf.data());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, FERRY_ERR_FILE_CHANGED);
}

// Frames made by several workers at once are the frames one encoder makes
// alone, in order, and the ledger still sees its first reads in order.
TEST_F(ChunkLedgerTest, FramesMadeOnSeveralWorkersAreTheFramesOfOne) {
  std::vector<std::string> expected;
  FrameEncoder alone;
  for (uint64_t i = 0; i < plan_->count(); ++i) {
    FrameInfo info;
    ChunkRange c = plan_->Chunk(i);
    expected.push_back(alone.Encode(
        std::string_view(content_).substr(c.offset, c.length), 3, &info));
  }
  for (int workers : {1, 2, 4}) {
    ChunkLedger ledger(source_.get(), plan_.get(), ChunkHash::kXxh3_128, {});
    LevelChooser chooser(3);
    FrameProducer producer(&ledger, plan_.get(), &chooser, workers);
    for (uint64_t i = 0; i < plan_->count(); ++i) {
      ProducedFrame frame = producer.Take(i);
      ASSERT_TRUE(frame.status.ok()) << frame.status.error().message;
      EXPECT_EQ(frame.index, i);
      EXPECT_EQ(frame.bytes, expected[i]) << workers << " workers, frame " << i;
      producer.Recycle(std::move(frame.bytes));
    }
    EXPECT_EQ(ledger.FileSha256().value(), Sha256(content_));
  }
}

// Asking for a frame out of order (a retry from an earlier offset) drops
// what was made ahead and makes it afresh, right.
TEST_F(ChunkLedgerTest, FramesAskedForOutOfOrderAreMadeAfresh) {
  ChunkLedger ledger(source_.get(), plan_.get(), ChunkHash::kXxh3_128, {});
  LevelChooser chooser(1);
  FrameProducer producer(&ledger, plan_.get(), &chooser, 3);
  FrameEncoder alone;
  for (uint64_t i : {0, 1, 2, 1, 2, 3, 0, 4, 5}) {
    ProducedFrame frame = producer.Take(i);
    ASSERT_TRUE(frame.status.ok()) << i;
    ChunkRange c = plan_->Chunk(i);
    FrameInfo info;
    EXPECT_EQ(frame.bytes, alone.Encode(std::string_view(content_).substr(
                                            c.offset, c.length),
                                        1, &info))
        << i;
  }
  producer.Drop();
  EXPECT_TRUE(producer.Take(6).status.ok());
}

// A chunk the ledger refuses is the frame's error; nothing made after it
// is handed out.
TEST_F(ChunkLedgerTest, AFailedReadIsTheFramesError) {
  ChunkLedger ledger(source_.get(), plan_.get(), ChunkHash::kXxh3_128, {});
  LevelChooser chooser(1);
  FrameProducer producer(&ledger, plan_.get(), &chooser, 2);
  // Chunk 1 before chunk 0 is refused by the ledger (first reads in order).
  ProducedFrame skipped = producer.Take(1);
  ASSERT_FALSE(skipped.status.ok());
  EXPECT_EQ(skipped.status.error().code, FERRY_ERR_INTERNAL_ERROR);
  EXPECT_TRUE(producer.Take(0).status.ok());
  EXPECT_TRUE(producer.Take(1).status.ok());
}

// One worker per core, as far as the memory holds a chunk, a frame and an
// encoder for each; never none.
TEST(FrameWorkers, OnePerCoreAsFarAsTheMemoryHolds) {
  const uint64_t chunk = 4 << 20;
  int cores =
      static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  EXPECT_EQ(FrameWorkers(0, chunk, 3), 1);
  EXPECT_EQ(FrameWorkers(uint64_t{1} << 40, chunk, 19), cores);
  uint64_t each = FrameWorkerMemory(chunk, 19);
  EXPECT_EQ(each, 2 * chunk + EncoderMemory(19, chunk));
  EXPECT_EQ(FrameWorkers(2 * each, chunk, 19), std::min(cores, 2));
  EXPECT_EQ(FrameWorkers(2 * each - 1, chunk, 19), 1);
  // Levels 10 and up keep their encoders near 9 MiB for 4 MiB chunks.
  EXPECT_LT(EncoderMemory(19, chunk), uint64_t{12} << 20);
  EXPECT_GT(EncoderMemory(19, chunk), EncoderMemory(1, chunk));
  EXPECT_EQ(EncoderMemory(0, chunk), 0u);
}

}  // namespace
}  // namespace ferry::internal
