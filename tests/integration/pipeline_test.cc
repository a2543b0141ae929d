// SPDX-License-Identifier: Apache-2.0
// Streaming requests and batches through the public C++ API against the
// real local @tus/server; every stored upload is compared with its source.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>

#include "ferry/ferry.hpp"
#include "tus_server.h"

// GCC 12 at -O3 reports -Wrestrict inside std::string's own code for
// `"c" + std::to_string(i)` and short literal assignments (GCC bug 105651);
// the code is fine, and newer GCCs are quiet.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

namespace {

using ferry_test::FileSha256;
using ferry_test::TempDir;
using ferry_test::TusServer;
using ferry_test::WriteRandomFile;

constexpr uint64_t kChunk = 64 * 1024;

std::unique_ptr<ferry::Client> MakeClient(const TusServer& server,
                                          const std::string& state_dir,
                                          uint64_t request_size = 0,
                                          uint64_t memory_budget = 0) {
  ferry::ClientOptions o;
  o.endpoint = server.endpoint();
  o.state_dir = state_dir;
  o.chunk_size = kChunk;
  o.request_size = request_size;
  o.memory_budget = memory_budget;
  o.retry_base_delay_ms = 20;
  o.retry_max_delay_ms = 200;
  o.compress_level = FERRY_COMPRESS_OFF;
  auto c = ferry::Client::Create(o);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  return c.ok() ? std::move(c.value()) : nullptr;
}

// Without the checksum extension requests stream many chunks; with a
// request_size they are cut there. Either way the bytes arrive exactly.
TEST(Streaming, RequestsCarryManyChunksAndArriveExactly) {
  TusServer server({"--no-checksum"});
  ASSERT_TRUE(server.ok());
  TempDir tmp;
  for (uint64_t request_size : {uint64_t{0}, 3 * kChunk + 7}) {
    auto client = MakeClient(server, tmp.path() + "/state", request_size);
    ASSERT_NE(client, nullptr);
    for (uint64_t size : {uint64_t{1}, kChunk, 40 * kChunk + 13}) {
      std::string file = WriteRandomFile(tmp.path(), "f", size, 3);
      uint64_t acks = 0;
      ferry::UploadOptions o;
      o.on_progress = [&](const ferry::Progress& p) {
        if (p.bytes_acked > 0) ++acks;
        EXPECT_LE(p.bytes_done, p.bytes_total);
        return true;
      };
      auto r = client->Upload(file, o);
      ASSERT_TRUE(r.ok()) << r.error().json;
      EXPECT_EQ(r.value().wire_bytes, size);
      EXPECT_EQ(server.StoredSha256(r.value().url), FileSha256(file));
      EXPECT_GE(acks, 1u);
    }
  }
}

// A chunk rewritten (mtime restored) while an earlier part streams is caught
// when it is read, before any of it is sent: the server holds a prefix.
TEST(Streaming, ChangeDuringAStreamingRequestIsFileChanged) {
  TusServer server({"--no-checksum"});
  ASSERT_TRUE(server.ok());
  TempDir tmp;
  ferry::ClientOptions o;
  o.endpoint = server.endpoint();
  o.state_dir = tmp.path() + "/state";
  o.chunk_size = kChunk;
  o.compress_level = FERRY_COMPRESS_OFF;
  o.max_send_bytes_per_sec = 2 * 1024 * 1024;  // time to edit mid-request
  auto client = ferry::Client::Create(o);
  ASSERT_TRUE(client.ok());
  std::string file = WriteRandomFile(tmp.path(), "f", 60 * kChunk, 5);
  std::string original = ferry_test::ReadFile(file);
  bool changed = false;
  ferry::UploadOptions u;
  u.on_progress = [&](const ferry::Progress& p) {
    if (!changed && p.bytes_done >= 4 * kChunk) {
      changed = true;
      struct stat st;
      stat(file.c_str(), &st);
      std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(50 * kChunk);
      f.write("rewritten", 9);
      f.close();
      timespec t[2] = {st.st_atim, st.st_mtim};
      utimensat(AT_FDCWD, file.c_str(), t, 0);
    }
    return true;
  };
  auto r = client.value()->Upload(file, u);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ferry::Code::k_file_changed) << r.error().json;
  int checked = 0;
  for (auto& e : std::filesystem::directory_iterator(server.store_dir())) {
    if (e.path().extension() == ".json") continue;
    std::string stored = ferry_test::ReadFile(e.path());
    EXPECT_LE(stored.size(), 50 * kChunk);
    EXPECT_EQ(original.compare(0, stored.size(), stored), 0);
    ++checked;
  }
  EXPECT_EQ(checked, 1);
}

class BatchTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.ok()); }
  std::vector<std::string> MakeFiles(int n) {
    std::vector<std::string> files;
    for (int i = 0; i < n; ++i) {
      uint64_t size = (i % 5 == 0) ? 0 : (i * 7919ull * 13) % (9 * kChunk);
      files.push_back(
          WriteRandomFile(tmp_.path(), "f" + std::to_string(i), size, 100 + i));
    }
    return files;
  }
  TusServer server_;
  TempDir tmp_;
};

TEST_F(BatchTest, EveryFileArrivesWithOneResultEachAndMonotonicProgress) {
  auto client = MakeClient(server_, tmp_.path() + "/state");
  ASSERT_NE(client, nullptr);
  std::vector<std::string> files = MakeFiles(24);
  uint64_t total = 0;
  for (const auto& f : files) total += std::filesystem::file_size(f);
  std::mutex mu;
  uint64_t last_done = 0;
  uint32_t max_active = 0, last_files_done = 0;
  std::map<uint32_t, int> done_calls;
  ferry::BatchOptions b;
  b.concurrency = 6;
  b.metadata = {{"batch", "yes"}};
  b.on_progress = [&](const ferry::BatchProgress& p) {
    std::lock_guard<std::mutex> lock(mu);  // would deadlock if overlapping
    EXPECT_GE(p.bytes_done, last_done);
    EXPECT_LE(p.bytes_done, p.bytes_total);
    EXPECT_EQ(p.bytes_total, total);
    EXPECT_EQ(p.files_total, files.size());
    EXPECT_GE(p.files_done, last_files_done);
    last_done = p.bytes_done;
    last_files_done = p.files_done;
    max_active = std::max(max_active, p.files_active);
    return true;
  };
  b.on_file_done = [&](uint32_t i,
                       const ferry::Outcome<ferry::UploadResult>& r) {
    std::lock_guard<std::mutex> lock(mu);
    ++done_calls[i];
    EXPECT_TRUE(r.ok());
  };
  auto results = client->UploadBatch(files, b);
  ASSERT_EQ(results.size(), files.size());
  std::set<std::string> urls;
  for (size_t i = 0; i < files.size(); ++i) {
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].error().json;
    EXPECT_EQ(server_.StoredSha256(results[i].value().url),
              FileSha256(files[i]))
        << i;
    urls.insert(results[i].value().url);
    EXPECT_EQ(done_calls[static_cast<uint32_t>(i)], 1);
  }
  EXPECT_EQ(urls.size(), files.size());
  EXPECT_EQ(last_done, total);
  EXPECT_EQ(last_files_done, files.size());
  EXPECT_LE(max_active, 6u);
  EXPECT_GE(max_active, 2u);  // files really overlapped
}

TEST_F(BatchTest, AFailedFileIsItsOwnTypedErrorAndTheOthersGoOn) {
  auto client = MakeClient(server_, tmp_.path() + "/state");
  std::vector<std::string> files = MakeFiles(5);
  files.insert(files.begin() + 2, tmp_.path() + "/missing");
  auto results = client->UploadBatch(files);
  ASSERT_EQ(results.size(), files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    if (i == 2) {
      ASSERT_FALSE(results[i].ok());
      EXPECT_EQ(results[i].error().code, ferry::Code::k_file_not_found);
    } else {
      ASSERT_TRUE(results[i].ok()) << results[i].error().json;
      EXPECT_EQ(server_.StoredSha256(results[i].value().url),
                FileSha256(files[i]));
    }
  }
}

TEST_F(BatchTest, TheMemoryBudgetBoundsHowManyRunAtOnce) {
  // Room for one upload's four chunks only: files run one at a time.
  auto client = MakeClient(server_, tmp_.path() + "/state", 0, 4 * kChunk);
  ASSERT_NE(client, nullptr);
  std::vector<std::string> files;
  for (int i = 0; i < 6; ++i) {
    files.push_back(WriteRandomFile(tmp_.path(), "big" + std::to_string(i),
                                    3 * kChunk, 200 + i));
  }
  uint32_t max_active = 0;
  ferry::BatchOptions b;
  b.concurrency = 6;
  b.on_progress = [&](const ferry::BatchProgress& p) {
    max_active = std::max(max_active, p.files_active);
    return true;
  };
  auto results = client->UploadBatch(files, b);
  for (size_t i = 0; i < files.size(); ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].error().json;
    EXPECT_EQ(server_.StoredSha256(results[i].value().url),
              FileSha256(files[i]));
  }
  EXPECT_EQ(max_active, 1u);
  // And a budget below one upload's need is refused up front.
  ferry::ClientOptions o;
  o.endpoint = server_.endpoint();
  o.chunk_size = kChunk;
  o.memory_budget = 2 * kChunk;
  auto refused = ferry::Client::Create(o);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ferry::Code::k_invalid_argument);
}

TEST_F(BatchTest, CancelEndsTheRunningFilesAndSkipsTheRest) {
  auto client = MakeClient(server_, tmp_.path() + "/state");
  std::vector<std::string> files;
  for (int i = 0; i < 12; ++i) {
    files.push_back(WriteRandomFile(tmp_.path(), "c" + std::to_string(i),
                                    30 * kChunk, 300 + i));
  }
  ferry::BatchOptions b;
  b.concurrency = 2;
  b.on_progress = [&](const ferry::BatchProgress& p) {
    return p.files_done < 1;  // cancel once the first file has ended
  };
  auto results = client->UploadBatch(files, b);
  int ok = 0, cancelled = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    if (results[i].ok()) {
      ++ok;
      EXPECT_EQ(server_.StoredSha256(results[i].value().url),
                FileSha256(files[i]));
    } else {
      EXPECT_EQ(results[i].error().code, ferry::Code::k_cancelled);
      ++cancelled;
    }
  }
  EXPECT_GE(ok, 1);
  EXPECT_LE(ok, 3);
  EXPECT_EQ(ok + cancelled, 12);
}

TEST_F(BatchTest, TooManyFilesIsRefusedBeforeAnyRequest) {
  ferry::ClientOptions o;
  o.endpoint = server_.endpoint();
  o.state_dir = tmp_.path() + "/state";
  o.max_files_per_batch = 3;
  auto client = ferry::Client::Create(o);
  ASSERT_TRUE(client.ok());
  auto results = client.value()->UploadBatch(MakeFiles(4));
  ASSERT_EQ(results.size(), 4u);
  for (const auto& r : results) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ferry::Code::k_too_many_files);
  }
  int stored = 0;
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(server_.store_dir(), ec)) {
    (void)e;
    ++stored;
  }
  EXPECT_EQ(stored, 0);
}

}  // namespace
