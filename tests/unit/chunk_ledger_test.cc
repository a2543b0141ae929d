// SPDX-License-Identifier: Apache-2.0
// The ledger every read of an uploading file goes through: fingerprints on
// the first read, checks on later ones, the whole file's SHA-256 in order.
#include "pipeline/chunk_ledger.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "codec/hash.h"
#include "pipeline/chunk_plan.h"
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

}  // namespace
}  // namespace ferry::internal
