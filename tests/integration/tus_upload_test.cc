// SPDX-License-Identifier: Apache-2.0
// Uploads through the public C++ API (over the C ABI) to the real local tus
// server (@tus/server); every upload's stored bytes are checked against the
// source's SHA-256.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "ferry/ferry.hpp"
#include "tus_server.h"

namespace {

using ferry_test::FileSha256;
using ferry_test::TempDir;
using ferry_test::TusServer;
using ferry_test::WriteRandomFile;

constexpr uint64_t kChunk = 64 * 1024;

// Byte-exact accounting (wire == file) needs compression off; the
// compression tests pass their own mode.
std::unique_ptr<ferry::Client> MakeClient(const TusServer& server,
                                          const std::string& state_dir,
                                          uint64_t chunk = kChunk,
                                          int compress = FERRY_COMPRESS_OFF) {
  ferry::ClientOptions o;
  o.endpoint = server.endpoint();
  o.state_dir = state_dir;
  o.chunk_size = chunk;
  o.retry_base_delay_ms = 20;
  o.retry_max_delay_ms = 200;
  o.compress_level = compress;
  auto c = ferry::Client::Create(o);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  return c.ok() ? std::move(c.value()) : nullptr;
}

int CountUploads(const TusServer& server) {
  int n = 0;
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(server.store_dir(), ec)) {
    if (e.path().extension() != ".json") ++n;
  }
  return n;
}

int CountFiles(const std::string& dir) {
  int n = 0;
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(dir, ec)) {
    (void)e;
    ++n;
  }
  return n;
}

// A fresh server, temp dir and client per test.
class TusUploadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok());
    client_ = MakeClient(server_, tmp_.path() + "/state");
    ASSERT_NE(client_, nullptr);
  }
  // Options that record every event into events_.
  ferry::UploadOptions Recording() {
    ferry::UploadOptions o;
    o.on_event = [this](const ferry::Event& e) {
      events_.push_back(e);
      return true;
    };
    return o;
  }

  TusServer server_;
  TempDir tmp_;
  std::unique_ptr<ferry::Client> client_;
  std::vector<ferry::Event> events_;
};

struct SizeCase {
  uint64_t size;
  uint64_t chunk;
  bool checksum;
};

class SizeTest : public ::testing::TestWithParam<SizeCase> {};

TEST_P(SizeTest, StoredBytesMatchTheSource) {
  const SizeCase& c = GetParam();
  std::vector<std::string> args;
  if (!c.checksum) args.push_back("--no-checksum");
  TusServer server(args);
  ASSERT_TRUE(server.ok());
  TempDir tmp;
  std::string file =
      WriteRandomFile(tmp.path(), "data.bin", c.size, 1000 + c.size);
  auto client = MakeClient(server, tmp.path() + "/state", c.chunk);
  ASSERT_NE(client, nullptr);

  std::vector<ferry::Progress> seen;
  ferry::UploadOptions o;
  o.on_progress = [&](const ferry::Progress& p) {
    seen.push_back(p);
    return true;
  };
  auto r = client->Upload(file, o);
  ASSERT_TRUE(r.ok()) << r.error().json;
  EXPECT_EQ(r.value().bytes, c.size);
  EXPECT_EQ(r.value().resumed_from, 0u);
  EXPECT_EQ(r.value().sha256, FileSha256(file));
  EXPECT_EQ(server.StoredSha256(r.value().url), FileSha256(file));
  EXPECT_EQ(r.value().wire_bytes, c.size);  // nothing sent twice
  // Progress never moves back nor past the total, and ends at 100%.
  ASSERT_FALSE(seen.empty());
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_LE(seen[i].bytes_done, seen[i].bytes_total);
    if (i > 0) {
      EXPECT_GE(seen[i].bytes_done, seen[i - 1].bytes_done);
    }
  }
  EXPECT_EQ(seen.back().bytes_done, c.size);
  EXPECT_EQ(seen.back().bytes_acked, c.size);
  // Success forgets the resume state.
  EXPECT_EQ(CountFiles(tmp.path() + "/state"), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Sizes, SizeTest,
    ::testing::Values(SizeCase{0, kChunk, true}, SizeCase{1, kChunk, true},
                      SizeCase{kChunk - 1, kChunk, true},
                      SizeCase{kChunk, kChunk, true},
                      SizeCase{kChunk + 1, kChunk, true},
                      SizeCase{3 * kChunk + 7, kChunk, true},
                      SizeCase{3 * kChunk + 7, kChunk, false},
                      SizeCase{0, kChunk, false}, SizeCase{1, kChunk, false},
                      SizeCase{40 * 1024 * 1024 + 13, 8 << 20, true},
                      SizeCase{40 * 1024 * 1024 + 13, 8 << 20, false}),
    [](const auto& info) {
      return "size" + std::to_string(info.param.size) + "_chunk" +
             std::to_string(info.param.chunk) +
             (info.param.checksum ? "_checksum" : "_nochecksum");
    });

TEST(TusUpload, RelativeLocationIsResolved) {
  TusServer server({"--relative-location"});
  ASSERT_TRUE(server.ok());
  TempDir tmp;
  std::string file = WriteRandomFile(tmp.path(), "f", 200000, 5);
  auto client = MakeClient(server, tmp.path() + "/state");
  auto r = client->Upload(file);
  ASSERT_TRUE(r.ok()) << r.error().json;
  EXPECT_EQ(r.value().url.rfind(server.endpoint(), 0), 0u) << r.value().url;
  EXPECT_EQ(server.StoredSha256(r.value().url), FileSha256(file));
}

TEST(TusUpload, TooLargeIsRefusedBeforeSendingAByte) {
  TusServer server({"--max-size", "100000"});
  ASSERT_TRUE(server.ok());
  TempDir tmp;
  std::string file = WriteRandomFile(tmp.path(), "big", 100001, 6);
  auto client = MakeClient(server, tmp.path() + "/state");
  auto r = client->Upload(file);
  ASSERT_FALSE(r.ok());
  const ferry::Error& e = r.error();
  EXPECT_EQ(e.code, ferry::Code::k_file_too_large);
  EXPECT_EQ(e.category, "policy");
  EXPECT_EQ(e.origin, "server");
  EXPECT_FALSE(e.retryable);
  EXPECT_TRUE(e.action == "split_file" || e.action == "compress_file");
  EXPECT_EQ(e.limit, 100000);
  EXPECT_EQ(CountUploads(server), 0);
  // Exactly at the limit is fine.
  std::string fits = WriteRandomFile(tmp.path(), "fits", 100000, 7);
  auto ok = client->Upload(fits);
  ASSERT_TRUE(ok.ok()) << ok.error().json;
  EXPECT_EQ(server.StoredSha256(ok.value().url), FileSha256(fits));
}

// Cancels the upload from the progress callback once `fraction` is acked.
ferry::Outcome<ferry::UploadResult> UploadAndCancel(ferry::Client& client,
                                                    const std::string& file,
                                                    double fraction,
                                                    bool discard = false) {
  ferry::UploadOptions o;
  o.discard_on_cancel = discard;
  o.on_progress = [&](const ferry::Progress& p) {
    return p.bytes_acked < fraction * p.bytes_total;
  };
  return client.Upload(file, o);
}

TEST_F(TusUploadTest, CancelKeepsStateAndTheNextRunResumesWhereTheServerIs) {
  const uint64_t size = 40 * kChunk + 5;
  std::string file = WriteRandomFile(tmp_.path(), "f", size, 8);
  auto first = UploadAndCancel(*client_, file, 0.5);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().code, ferry::Code::k_cancelled);
  EXPECT_EQ(first.error().category, "cancelled");
  EXPECT_EQ(CountFiles(tmp_.path() + "/state"), 1);

  ferry::UploadOptions o = Recording();
  auto second = client_->Upload(file, o);
  ASSERT_TRUE(second.ok()) << second.error().json;
  EXPECT_GE(second.value().resumed_from, size / 2);
  EXPECT_EQ(second.value().wire_bytes, size - second.value().resumed_from);
  EXPECT_EQ(server_.StoredSha256(second.value().url), FileSha256(file));
  ASSERT_FALSE(events_.empty());
  EXPECT_EQ(events_.front().type, FERRY_EVENT_RESUMED);
  EXPECT_EQ(events_.front().offset, second.value().resumed_from);
  EXPECT_EQ(CountUploads(server_), 1);
}

// No exception crosses libferry's C frames: a throwing callback cancels the
// upload (state kept) and the call rethrows the same exception.
TEST_F(TusUploadTest, ACallbacksExceptionCancelsAndIsRethrownUnchanged) {
  const uint64_t size = 40 * kChunk + 5;
  std::string file = WriteRandomFile(tmp_.path(), "x", size, 9);
  ferry::UploadOptions o;
  o.on_progress = [](const ferry::Progress& p) -> bool {
    if (p.bytes_acked > 0) throw std::runtime_error("from the app");
    return true;
  };
  try {
    (void)client_->Upload(file, o);
    ADD_FAILURE() << "the callback's exception was not rethrown";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "from the app");
  }
  EXPECT_EQ(CountFiles(tmp_.path() + "/state"), 1);  // resume state kept
  auto second = client_->Upload(file);
  ASSERT_TRUE(second.ok()) << second.error().json;
  EXPECT_GT(second.value().resumed_from, 0u);
  EXPECT_EQ(server_.StoredSha256(second.value().url), FileSha256(file));

  // A batch's callbacks the same way: the first exception, after the batch.
  std::vector<std::string> files = {WriteRandomFile(tmp_.path(), "b1", 9, 1),
                                    WriteRandomFile(tmp_.path(), "b2", 9, 2)};
  ferry::BatchOptions b;
  b.on_file_done = [](uint32_t, const ferry::Outcome<ferry::UploadResult>&) {
    throw std::logic_error("batch callback");
  };
  EXPECT_THROW((void)client_->UploadBatch(files, b), std::logic_error);
}

TEST_F(TusUploadTest, DiscardOnCancelDeletesTheUpload) {
  std::string file = WriteRandomFile(tmp_.path(), "f", 20 * kChunk, 9);
  auto first = UploadAndCancel(*client_, file, 0.3, /*discard=*/true);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().code, ferry::Code::k_cancelled);
  EXPECT_EQ(CountUploads(server_), 0);  // terminated on the server
  EXPECT_EQ(CountFiles(tmp_.path() + "/state"), 0);
  auto again = client_->Upload(file);
  ASSERT_TRUE(again.ok()) << again.error().json;
  EXPECT_EQ(again.value().resumed_from, 0u);
  EXPECT_EQ(server_.StoredSha256(again.value().url), FileSha256(file));
}

TEST_F(TusUploadTest, UploadGoneOnTheServerStartsANewOneAndSaysSo) {
  std::string file = WriteRandomFile(tmp_.path(), "f", 20 * kChunk, 10);
  ASSERT_FALSE(UploadAndCancel(*client_, file, 0.4).ok());
  // The server forgets the upload (as after expiry or a cleanup).
  for (auto& e : std::filesystem::directory_iterator(server_.store_dir())) {
    std::filesystem::remove(e.path());
  }
  ferry::UploadOptions o = Recording();
  auto r = client_->Upload(file, o);
  ASSERT_TRUE(r.ok()) << r.error().json;
  EXPECT_EQ(r.value().resumed_from, 0u);
  EXPECT_EQ(server_.StoredSha256(r.value().url), FileSha256(file));
  bool restarted = false;
  for (const auto& e : events_) {
    if (e.type == FERRY_EVENT_RESTARTED) {
      restarted = true;
      EXPECT_EQ(e.code, ferry::Code::k_upload_expired);
    }
  }
  EXPECT_TRUE(restarted);
}

TEST_F(TusUploadTest, ChangedFileIsNeverResumedOnto) {
  std::string file = WriteRandomFile(tmp_.path(), "f", 20 * kChunk, 11);
  ASSERT_FALSE(UploadAndCancel(*client_, file, 0.4).ok());
  std::ofstream(file, std::ios::app | std::ios::binary) << "appended";
  auto r = client_->Upload(file);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ferry::Code::k_file_changed);
  EXPECT_EQ(r.error().origin, "client");
  EXPECT_EQ(r.error().action, "restart_upload");
  // Opting in uploads the new content from scratch.
  ferry::UploadOptions o;
  o.restart_on_change = true;
  auto again = client_->Upload(file, o);
  ASSERT_TRUE(again.ok()) << again.error().json;
  EXPECT_EQ(again.value().resumed_from, 0u);
  EXPECT_EQ(server_.StoredSha256(again.value().url), FileSha256(file));
}

TEST_F(TusUploadTest, InPlaceEditWithRestoredMtimeIsCaughtByChunkHashes) {
  std::string file = WriteRandomFile(tmp_.path(), "f", 20 * kChunk, 12);
  ASSERT_FALSE(UploadAndCancel(*client_, file, 0.5).ok());
  struct stat before;
  ASSERT_EQ(stat(file.c_str(), &before), 0);
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(10);
    f.write("XXXX", 4);  // inside a chunk the server already holds
  }
  timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(utimensat(AT_FDCWD, file.c_str(), times, 0), 0);
  auto r = client_->Upload(file);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ferry::Code::k_file_changed);
}

TEST_F(TusUploadTest, FileChangedDuringTheUploadStopsBeforeMixingContent) {
  std::string file = WriteRandomFile(tmp_.path(), "f", 20 * kChunk, 16);
  for (const char* how : {"append", "rewrite", "truncate"}) {
    bool changed = false;
    ferry::UploadOptions o;
    o.restart_on_change = true;  // even then, a change mid-run is an error
    o.on_progress = [&](const ferry::Progress& p) {
      if (!changed && p.bytes_acked >= 4 * kChunk) {
        changed = true;
        if (std::string(how) == "append") {
          std::ofstream(file, std::ios::app | std::ios::binary) << "more";
        } else if (std::string(how) == "rewrite") {
          // Same size, later chunk, mtime restored: only the hash sees it.
          struct stat st;
          stat(file.c_str(), &st);
          std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
          f.seekp(15 * kChunk);
          f.write("rewritten", 9);
          f.close();
          timespec t[2] = {st.st_atim, st.st_mtim};
          utimensat(AT_FDCWD, file.c_str(), t, 0);
        } else {
          std::filesystem::resize_file(file, 10 * kChunk);
        }
      }
      return true;
    };
    auto r = client_->Upload(file, o);
    ASSERT_FALSE(r.ok()) << how;
    EXPECT_EQ(r.error().code, ferry::Code::k_file_changed) << how;
    std::filesystem::remove_all(tmp_.path() + "/state");
    file = WriteRandomFile(tmp_.path(), "f", 20 * kChunk, 16);
  }
  // Whatever the server holds is a prefix of the original content: no byte
  // of the changed file was sent.
  std::ifstream in(file, std::ios::binary);
  std::string original((std::istreambuf_iterator<char>(in)), {});
  int checked = 0;
  for (auto& e : std::filesystem::directory_iterator(server_.store_dir())) {
    if (e.path().extension() == ".json") continue;
    std::ifstream s(e.path(), std::ios::binary);
    std::string stored((std::istreambuf_iterator<char>(s)), {});
    EXPECT_GT(stored.size(), 0u);
    EXPECT_LT(stored.size(), original.size());
    EXPECT_EQ(original.compare(0, stored.size(), stored), 0);
    ++checked;
  }
  EXPECT_EQ(checked, 3);
}

TEST_F(TusUploadTest, CorruptResumeStateIsDiscardedNotTrusted) {
  std::string state = tmp_.path() + "/state";
  std::string file = WriteRandomFile(tmp_.path(), "f", 20 * kChunk, 13);
  ASSERT_FALSE(UploadAndCancel(*client_, file, 0.4).ok());
  for (auto& e : std::filesystem::directory_iterator(state)) {
    std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('#');
  }
  bool discarded = false;
  ferry::UploadOptions o;
  o.on_event = [&](const ferry::Event& e) {
    discarded |= e.type == FERRY_EVENT_STATE_DISCARDED;
    return true;
  };
  auto r = client_->Upload(file, o);
  ASSERT_TRUE(r.ok()) << r.error().json;
  EXPECT_TRUE(discarded);
  EXPECT_EQ(r.value().resumed_from, 0u);
  EXPECT_EQ(server_.StoredSha256(r.value().url), FileSha256(file));
}

TEST_F(TusUploadTest, LocalFileErrorsAreTyped) {
  auto missing = client_->Upload(tmp_.path() + "/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ferry::Code::k_file_not_found);
  EXPECT_EQ(missing.error().origin, "client");
  auto dir = client_->Upload(tmp_.path());
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().code, ferry::Code::k_file_unreadable);
  EXPECT_EQ(CountUploads(server_), 0);
}

TEST(TusUpload, ClosedPortIsConnectionRefusedAfterVisibleRetries) {
  TempDir tmp;
  ferry::ClientOptions o;
  o.endpoint = "http://127.0.0.1:9/files/";  // discard port: nothing listens
  o.state_dir = tmp.path();
  o.max_retries = 2;
  o.retry_base_delay_ms = 10;
  o.retry_max_delay_ms = 20;
  auto client = ferry::Client::Create(o);
  ASSERT_TRUE(client.ok());
  std::string file = WriteRandomFile(tmp.path(), "f", 10, 14);
  int retries = 0;
  ferry::UploadOptions uo;
  uo.on_event = [&](const ferry::Event& e) {
    if (e.type == FERRY_EVENT_RETRY) {
      ++retries;
      EXPECT_EQ(e.code, ferry::Code::k_connection_refused);
      EXPECT_EQ(e.attempt, static_cast<uint32_t>(retries));
    }
    return true;
  };
  auto r = client.value()->Upload(file, uo);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ferry::Code::k_connection_refused);
  EXPECT_EQ(r.error().origin, "network");
  EXPECT_TRUE(r.error().retryable);
  EXPECT_EQ(r.error().action, "check_network");
  EXPECT_EQ(retries, 2);
}

TEST(TusUpload, BadOptionsAreInvalidArgument) {
  ferry::ClientOptions o;
  o.endpoint = "ftp://example.invalid/";
  auto c = ferry::Client::Create(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ferry::Code::k_invalid_argument);
  o.endpoint = "http://127.0.0.1:1/";
  o.headers = {{"Upload-Offset", "0"}};
  auto managed = ferry::Client::Create(o);
  ASSERT_FALSE(managed.ok());
  EXPECT_EQ(managed.error().code, ferry::Code::k_invalid_argument);
  o.headers = {{"X-Bad", "a\r\nInjected: 1"}};
  EXPECT_FALSE(ferry::Client::Create(o).ok());
}

TEST_F(TusUploadTest, StateDirectoryThatCannotBeWrittenFailsBeforeSending) {
  std::string blocker = tmp_.path() + "/file";
  std::ofstream(blocker) << "x";
  auto client = MakeClient(server_, blocker + "/state");
  std::string file = WriteRandomFile(tmp_.path(), "f", 1000, 15);
  auto r = client->Upload(file);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ferry::Code::k_state_unwritable);
  EXPECT_EQ(CountUploads(server_), 0);
}

}  // namespace

namespace {

struct FreeRace {
  ferry_client* client = nullptr;
  std::atomic<uint64_t> acked{0};
  std::atomic<bool> free_from_callback{false};
};

int RecordAcked(const ferry_progress* p, void* data) {
  auto* race = static_cast<FreeRace*>(data);
  race->acked = p->bytes_acked;
  // Freeing the client from its own call's callback must refuse, not hang.
  if (race->free_from_callback.exchange(false)) {
    ferry_client_free(race->client);
  }
  return 0;
}

ferry_client* NewSlowClient(const TusServer& server, const std::string& state) {
  ferry_client_options o = FERRY_CLIENT_OPTIONS_INIT;
  o.endpoint = server.endpoint().c_str();
  o.state_dir = state.c_str();
  o.chunk_size = kChunk;
  o.compress_level = FERRY_COMPRESS_OFF;
  o.max_send_bytes_per_sec = 512 * 1024;
  return ferry_client_new(&o, nullptr);
}

}  // namespace

// ferry_client_free while a blocking upload runs on another thread: the
// upload ends as cancelled (state kept), free waits for it, nothing is used
// after it is freed (ASan would say so).
TEST(ClientFree, StopsAndWaitsForCallsOnOtherThreads) {
  TusServer server;
  ASSERT_TRUE(server.ok());
  TempDir tmp;
  std::string file = WriteRandomFile(tmp.path(), "f", 64 * kChunk, 3);
  FreeRace race;
  race.client = NewSlowClient(server, tmp.path() + "/state");
  ASSERT_NE(race.client, nullptr);
  race.free_from_callback = true;
  ferry_code rc = FERRY_OK;
  std::thread uploader([&] {
    ferry_upload_options u = FERRY_UPLOAD_OPTIONS_INIT;
    u.on_progress = &RecordAcked;
    u.progress_user_data = &race;
    rc = ferry_upload_file(race.client, file.c_str(), &u, nullptr, nullptr);
  });
  for (int i = 0; i < 3000 && race.acked.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GT(race.acked.load(), 0u);
  EXPECT_FALSE(race.free_from_callback.load());  // tried, and refused
  ferry_client_free(race.client);  // waits for the uploader's call
  uploader.join();
  EXPECT_EQ(rc, FERRY_ERR_CANCELLED);
  EXPECT_EQ(CountFiles(tmp.path() + "/state"), 1);  // resume state kept
}

TEST(ClientOptionsTest, ChunksFitAFrameAndTlsVersionsAreKnown) {
  ferry::ClientOptions o;
  o.endpoint = "http://127.0.0.1:9/files/";
  o.memory_budget = 16ull << 30;
  o.chunk_size = (2ull << 30) + 1;  // a zstd frame's sizes are 32 bits
  auto c = ferry::Client::Create(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ferry::Code::k_invalid_argument);
  o.chunk_size = 0;
  o.tls_min_version = 11;  // below the floor
  c = ferry::Client::Create(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ferry::Code::k_invalid_argument);
  o.tls_min_version = 13;
  EXPECT_TRUE(ferry::Client::Create(o).ok());
}

// TLS verification turned off is said by every upload, whichever API
// started it (here C++; the CLI and Python print the same event).
TEST_F(TusUploadTest, UnverifiedTlsIsSaidAtEveryUpload) {
  ferry::ClientOptions o;
  o.endpoint = server_.endpoint();
  o.state_dir = tmp_.path() + "/insecure";
  o.insecure_skip_tls_verify = true;
  auto c = ferry::Client::Create(o);
  ASSERT_TRUE(c.ok());
  for (int i = 0; i < 2; ++i) {
    std::string file =
        WriteRandomFile(tmp_.path(), "i" + std::to_string(i), 1000, 20 + i);
    events_.clear();
    auto r = c.value()->Upload(file, Recording());
    ASSERT_TRUE(r.ok()) << r.error().json;
    EXPECT_EQ(server_.StoredSha256(r.value().url), FileSha256(file));
    ASSERT_FALSE(events_.empty());
    EXPECT_EQ(events_.front().type, FERRY_EVENT_TLS_UNVERIFIED);
    EXPECT_NE(events_.front().message.find("TLS verification is OFF"),
              std::string::npos);
  }
}

// The calls documented thread-safe, from several threads at once beside
// reconfiguration (before the first upload) and uploads (after): no data
// race (the TSan stage runs this), no use of a replaced client core, and
// the uploads' stored bytes match.
TEST(ThreadSafety, DocumentedThreadSafeCallsBesideReconfigurationAndUploads) {
  TusServer server;
  ASSERT_TRUE(server.ok());
  TempDir tmp;
  std::string state = tmp.path() + "/state";
  ferry_client_options o = FERRY_CLIENT_OPTIONS_INIT;
  o.endpoint = server.endpoint().c_str();
  o.state_dir = state.c_str();
  o.chunk_size = kChunk;
  o.compress_level = FERRY_COMPRESS_OFF;
  ferry_client* c = ferry_client_new(&o, nullptr);
  ASSERT_NE(c, nullptr);
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0};
  auto reader = [&] {
    while (!stop.load()) {
      EXPECT_EQ(ferry_client_check_batch(c, 10, nullptr), FERRY_OK);
      ferry_pending* p = nullptr;
      EXPECT_EQ(ferry_client_pending(c, &p, nullptr), FERRY_OK);
      ferry_pending_free(p);
      ferry_code_info info = FERRY_CODE_INFO_INIT;
      EXPECT_EQ(ferry_code_info_get(FERRY_ERR_TIMEOUT, &info), 1);
      ++reads;
    }
  };
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) readers.emplace_back(reader);
  // Reconfiguration while they read: each replaces the client's core.
  for (int i = 0; i < 20; ++i) {
    std::string value = std::to_string(i);
    EXPECT_EQ(ferry_client_add_header(c, "X-Extra", value.c_str()), FERRY_OK);
  }
  std::vector<std::string> files;
  for (int i = 0; i < 2; ++i) {
    files.push_back(WriteRandomFile(tmp.path(), std::to_string(i),
                                    20 * kChunk + static_cast<uint64_t>(i),
                                    40 + i));
  }
  std::vector<std::thread> uploaders;
  std::vector<std::string> urls(files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    uploaders.emplace_back([&, i] {
      ferry_result* r = nullptr;
      EXPECT_EQ(ferry_upload_file(c, files[i].c_str(), nullptr, &r, nullptr),
                FERRY_OK);
      if (r != nullptr) urls[i] = ferry_result_url(r);
      ferry_result_free(r);
    });
  }
  for (auto& t : uploaders) t.join();
  // Once uploads started, reconfiguration is refused, not raced.
  EXPECT_EQ(ferry_client_add_header(c, "X-Late", "x"),
            FERRY_ERR_INVALID_ARGUMENT);
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_GT(reads.load(), 0);
  for (size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ(server.StoredSha256(urls[i]), FileSha256(files[i]));
  }
  ferry_client_free(c);
}
