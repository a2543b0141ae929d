// SPDX-License-Identifier: Apache-2.0
// The journal's deltas (journal_log.h) and the writer that appends them:
// bytes written linear in the chunks, every state readable back, a torn
// last delta dropped, every other damage detected.
#include "journal/journal_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "codec/hash.h"
#include "journal/journal_log.h"

namespace ferry::internal {
namespace {

constexpr uint64_t kMiB = 1 << 20;

class JournalWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ferry-jwriter-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/state";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  // A tus upload of `size` bytes in 4 MiB chunks, none acknowledged yet.
  static JournalRecord Upload(uint64_t size) {
    JournalRecord r;
    r.endpoint = "http://127.0.0.1:1080/files/";
    r.path = "/data/big.bin";
    r.identity = {7, 1234, size, 1700000000123456789};
    r.upload_url = "http://127.0.0.1:1080/files/abc";
    r.chunk_size = 4 * kMiB;
    r.created_unix = 1700000000;
    r.name = "big.bin";
    return r;
  }
  // Chunk i read and acknowledged: its fingerprint and zstd frame.
  static void AddChunk(JournalRecord* r, uint64_t i) {
    r->encoding = "zstd";
    std::string seed = "chunk " + std::to_string(i);
    r->chunk_digests.push_back(ChunkDigest(ChunkHash::kXxh3_128, seed));
    FrameInfo f;
    f.compressed_size = static_cast<uint32_t>(1000000 + i);
    f.raw_size = static_cast<uint32_t>(4 * kMiB);
    f.checksum = static_cast<uint32_t>(i * 2654435761u);
    f.level = 3;
    f.digest = r->chunk_digests.back();
    r->frames.push_back(f);
    r->acked = (i + 1) * 4 * kMiB;
  }
  std::string Bytes(const Journal& j, const JournalRecord& r) const {
    std::ifstream in(j.EntryPath(r.endpoint, r.path), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void Put(const Journal& j, const JournalRecord& r, const std::string& b) {
    std::ofstream out(j.EntryPath(r.endpoint, r.path),
                      std::ios::binary | std::ios::trunc);
    out << b;
  }

  std::string root_, dir_;
};

TEST_F(JournalWriterTest, BytesWrittenGrowLinearlyWithTheChunks) {
  // 10 GiB in 4 MiB chunks: 2,560 saves. Whole records would write the
  // growing record every time (about 1,280 final records in all).
  Journal j(dir_);
  JournalWriter writer(&j);
  JournalRecord r = Upload(10240 * kMiB);
  ASSERT_TRUE(writer.Save(r, true).ok());
  for (uint64_t i = 0; i < 2560; ++i) {
    AddChunk(&r, i);
    ASSERT_TRUE(writer.Save(r, true).ok());
  }
  uint64_t record = r.Encode().size();
  EXPECT_LT(writer.bytes_written(), 6 * record)
      << "record " << record << ", written " << writer.bytes_written();
  EXPECT_LT(writer.whole_writes(), 16u);  // the record doubles between them
  EXPECT_LE(Bytes(j, r).size(), 2 * record + JournalWriter::kMinAppendRoom);
  Journal::Loaded l = j.Load(r.endpoint, r.path);
  ASSERT_EQ(l.state, Journal::LoadState::kLoaded) << l.problem;
  EXPECT_EQ(l.record.Encode(), r.Encode());
}

TEST_F(JournalWriterTest, EveryStateReadsBack) {
  Journal j(dir_);
  JournalWriter writer(&j);
  JournalRecord r = Upload(64 * kMiB);
  for (uint64_t i = 0; i < 16; ++i) {
    AddChunk(&r, i);
    if (i == 5) r.expires = "Wed, 25 Jun 2031 16:00:00 GMT";  // a field set
    if (i == 9) r.name.clear();                               // and removed
    ASSERT_TRUE(writer.Save(r, i % 2 == 0).ok());
    Journal::Loaded l = j.Load(r.endpoint, r.path);
    ASSERT_EQ(l.state, Journal::LoadState::kLoaded) << i << l.problem;
    EXPECT_EQ(l.record.Encode(), r.Encode()) << i;
  }
  EXPECT_EQ(writer.whole_writes(), 1u);
  // Nothing new: nothing written.
  uint64_t before = writer.bytes_written();
  ASSERT_TRUE(writer.Save(r, false).ok());
  EXPECT_EQ(writer.bytes_written(), before);
}

TEST_F(JournalWriterTest, TheListingGivenIsWhatIsSaved) {
  // The session fills in the listing for every protocol without touching
  // the transfer's record: whole saves and deltas both carry it.
  Journal j(dir_);
  JournalWriter writer(&j);
  JournalRecord r = Upload(64 * kMiB);
  r.name.clear();
  for (uint64_t i = 0; i < 4; ++i) {
    AddChunk(&r, i);
    JournalListing listing{"stdin", true, (i + 1) * 4 * kMiB, i * 4 * kMiB};
    ASSERT_TRUE(writer.Save(r, listing, true).ok());
    Journal::Loaded l = j.Load(r.endpoint, r.path);
    ASSERT_EQ(l.state, Journal::LoadState::kLoaded) << i << l.problem;
    JournalRecord want = r;
    want.name = "stdin";
    want.stream = true;
    want.identity.size = (i + 1) * 4 * kMiB;
    want.acked = i * 4 * kMiB;
    EXPECT_EQ(l.record.Encode(), want.Encode()) << i;
  }
  EXPECT_EQ(writer.whole_writes(), 1u);
  EXPECT_TRUE(r.name.empty());
}

TEST_F(JournalWriterTest, ATornLastDeltaIsDroppedAndTheStateBeforeItLoads) {
  Journal j(dir_);
  JournalWriter writer(&j);
  JournalRecord r = Upload(64 * kMiB);
  ASSERT_TRUE(writer.Save(r, true).ok());
  size_t base = Bytes(j, r).size();
  std::vector<std::string> states = {r.Encode()};
  std::vector<size_t> ends = {base};
  for (uint64_t i = 0; i < 3; ++i) {
    AddChunk(&r, i);
    ASSERT_TRUE(writer.Save(r, true).ok());
    states.push_back(r.Encode());
    ends.push_back(Bytes(j, r).size());
  }
  ASSERT_EQ(writer.whole_writes(), 1u);
  std::string whole = Bytes(j, r);
  for (size_t cut = 0; cut < whole.size(); ++cut) {
    Put(j, r, whole.substr(0, cut));
    Journal::Loaded l = j.Load(r.endpoint, r.path);
    if (cut < base) {
      EXPECT_EQ(l.state, Journal::LoadState::kCorrupt) << cut;
      continue;
    }
    ASSERT_EQ(l.state, Journal::LoadState::kLoaded) << cut << l.problem;
    // The last block that is whole at this cut.
    size_t k = 0;
    while (k + 1 < ends.size() && ends[k + 1] <= cut) ++k;
    EXPECT_EQ(l.record.Encode(), states[k]) << cut;
  }
}

TEST_F(JournalWriterTest, EveryBitFlipIsDetected) {
  Journal j(dir_);
  JournalWriter writer(&j);
  JournalRecord r = Upload(64 * kMiB);
  for (uint64_t i = 0; i < 3; ++i) {
    AddChunk(&r, i);
    ASSERT_TRUE(writer.Save(r, true).ok());
  }
  std::string whole = Bytes(j, r);
  ASSERT_TRUE(JournalRecord::Decode(whole).ok());
  for (size_t at = 0; at < whole.size(); ++at) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = whole;
      flipped[at] = static_cast<char>(flipped[at] ^ (1 << bit));
      EXPECT_FALSE(JournalRecord::Decode(flipped).ok())
          << "byte " << at << " bit " << bit;
    }
  }
}

TEST_F(JournalWriterTest, WhatIsNotGrowthIsWrittenWhole) {
  Journal j(dir_);
  JournalWriter writer(&j);
  JournalRecord r = Upload(64 * kMiB);
  for (uint64_t i = 0; i < 4; ++i) AddChunk(&r, i);
  ASSERT_TRUE(writer.Save(r, true).ok());
  r.chunk_digests.pop_back();  // a list shrank (a restart, a resync)
  r.frames.pop_back();
  ASSERT_TRUE(writer.Save(r, true).ok());
  EXPECT_EQ(writer.whole_writes(), 2u);
  r.frames.back().checksum ^= 1;  // or changed in place
  ASSERT_TRUE(writer.Save(r, true).ok());
  EXPECT_EQ(writer.whole_writes(), 3u);
  EXPECT_EQ(j.Load(r.endpoint, r.path).record.Encode(), r.Encode());
}

TEST_F(JournalWriterTest, AFileReplacedBehindTheWriterIsWrittenWhole) {
  Journal j(dir_);
  JournalWriter writer(&j);
  JournalRecord r = Upload(64 * kMiB);
  AddChunk(&r, 0);
  ASSERT_TRUE(writer.Save(r, true).ok());
  // Someone else writes the entry (NoteFailure does, whole) ...
  JournalRecord noted = r;
  noted.last_error_code = FERRY_ERR_TIMEOUT;
  noted.last_error_message = "stalled";
  ASSERT_TRUE(j.Save(noted).ok());
  // ... so a delta computed against what this writer left would be wrong.
  AddChunk(&r, 1);
  ASSERT_TRUE(writer.Save(r, true).ok());
  EXPECT_EQ(writer.whole_writes(), 2u);
  EXPECT_EQ(j.Load(r.endpoint, r.path).record.Encode(), r.Encode());
  // Removed behind it: written whole again.
  ASSERT_TRUE(j.Remove(r.endpoint, r.path).ok());
  AddChunk(&r, 2);
  ASSERT_TRUE(writer.Save(r, true).ok());
  EXPECT_EQ(writer.whole_writes(), 3u);
  EXPECT_EQ(j.Load(r.endpoint, r.path).record.Encode(), r.Encode());
}

TEST_F(JournalWriterTest, S3PartsAcknowledgedOutOfOrderAreAppended) {
  Journal j(dir_);
  JournalWriter writer(&j);
  JournalRecord r = Upload(64 * kMiB);
  r.protocol = "s3";
  r.chunk_size = 8 * kMiB;
  ASSERT_TRUE(writer.Save(r, true).ok());
  auto part = [](uint32_t n) {
    S3PartRecord p;
    p.number = n;
    p.raw_begin = (n - 1) * 8 * kMiB;
    p.raw_end = n * 8 * kMiB;
    p.wire_size = 8 * kMiB;
    p.etag = "\"e" + std::to_string(n) + "\"";
    p.digest = ChunkDigest(ChunkHash::kXxh3_128, std::to_string(n));
    return p;
  };
  for (uint32_t n : {1u, 3u, 2u, 5u, 4u}) {
    r.s3_parts.push_back(part(n));
    std::sort(r.s3_parts.begin(), r.s3_parts.end(),
              [](auto& a, auto& b) { return a.number < b.number; });
    ASSERT_TRUE(writer.Save(r, true).ok());
    Journal::Loaded l = j.Load(r.endpoint, r.path);
    ASSERT_EQ(l.state, Journal::LoadState::kLoaded) << l.problem;
    EXPECT_EQ(l.record.Encode(), r.Encode()) << n;
  }
  EXPECT_EQ(writer.whole_writes(), 1u);
}

TEST_F(JournalWriterTest, DeltasOfTheWrongShapeAreCorrupt) {
  nlohmann::json record = JournalWriterTest::Upload(kMiB).ToJson();
  for (const char* text :
       {R"([1])", R"({"set":{"frames":[]}})", R"({"append":{"name":["x"]}})",
        R"({"append":{"frames":5}})", R"({"parts":[{"x":1}]})",
        R"({"unset":[3]})"}) {
    nlohmann::json copy = record;
    EXPECT_FALSE(ApplyDelta(nlohmann::json::parse(text), &copy).ok()) << text;
  }
}

}  // namespace
}  // namespace ferry::internal
