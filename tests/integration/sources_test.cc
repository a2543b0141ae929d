// SPDX-License-Identifier: Apache-2.0
// The C ABI's sources and upload handles against the real local tus server:
// what a C caller can get wrong (a read callback that fails or overfills, a
// stream shorter or longer than it declared, a stream used twice, a buffer
// changed after a copying source was made, handles used after their end)
// is each a typed error, and what it gets right is stored byte for byte.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "ferry/ferry.h"
#include "ferry/ferry.hpp"
#include "tus_server.h"

namespace {

using ferry_test::FileSha256;
using ferry_test::ReadFile;
using ferry_test::TempDir;
using ferry_test::TusServer;
using ferry_test::WriteRandomFile;

constexpr uint64_t kChunk = 256 * 1024;

class SourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok());
    ferry_client_options o = FERRY_CLIENT_OPTIONS_INIT;
    o.endpoint = server_.endpoint().c_str();
    state_ = tmp_.path() + "/state";
    o.state_dir = state_.c_str();
    o.chunk_size = kChunk;
    o.compress_level = FERRY_COMPRESS_OFF;
    o.retry_base_delay_ms = 10;
    o.retry_max_delay_ms = 20;
    client_ = ferry_client_new(&o, nullptr);
    ASSERT_NE(client_, nullptr);
  }
  void TearDown() override { ferry_client_free(client_); }

  // Uploads `source`; the code, and in *url the result's URL.
  ferry_code Upload(const ferry_source* source, std::string* url,
                    std::string* message = nullptr) {
    ferry_result* r = nullptr;
    ferry_error* e = nullptr;
    ferry_code rc = ferry_upload_source(client_, source, nullptr, &r, &e);
    if (r != nullptr && url != nullptr) *url = ferry_result_url(r);
    if (e != nullptr && message != nullptr) *message = ferry_error_message(e);
    ferry_result_free(r);
    ferry_error_free(e);
    return rc;
  }

  TempDir tmp_;
  TusServer server_;
  std::string state_;
  ferry_client* client_ = nullptr;
};

// A stream over a string, `step` bytes at most a read; what the callback
// does wrong is set by the test.
struct Feed {
  std::string data;
  size_t at = 0;
  size_t step = 100000;
  int fail_after_reads = -1;  // -1: never
  bool overfill = false;
  int reads = 0;
};

int64_t ReadFeed(void* out, uint64_t max, void* user) {
  auto* f = static_cast<Feed*>(user);
  if (f->fail_after_reads >= 0 && f->reads >= f->fail_after_reads) return -1;
  ++f->reads;
  if (f->overfill) return static_cast<int64_t>(max) + 1;
  size_t n = std::min<size_t>({max, f->step, f->data.size() - f->at});
  std::memcpy(out, f->data.data() + f->at, n);
  f->at += n;
  return static_cast<int64_t>(n);
}

TEST_F(SourcesTest, CallbackStreamsOfKnownAndUnknownLengthAreStoredExactly) {
  std::string file = WriteRandomFile(tmp_.path(), "data", 9 * kChunk + 17, 3);
  for (int64_t length :
       {int64_t{FERRY_LENGTH_UNKNOWN}, int64_t{9 * kChunk + 17}}) {
    Feed feed{ReadFile(file)};
    ferry_source* s =
        ferry_source_from_callback(&ReadFeed, &feed, length, nullptr);
    ASSERT_NE(s, nullptr);
    std::string url;
    ASSERT_EQ(Upload(s, &url), FERRY_OK) << length;
    EXPECT_EQ(server_.StoredSha256(url), FileSha256(file));
    // Read once: a second upload of the same stream is refused.
    std::string msg;
    EXPECT_EQ(Upload(s, &url, &msg), FERRY_ERR_INVALID_ARGUMENT);
    EXPECT_NE(msg.find("read once"), std::string::npos);
    ferry_source_free(s);
  }
}

TEST_F(SourcesTest, ACallbackThatFailsIsFileUnreadable) {
  Feed feed{std::string(3 * kChunk, 'a')};
  feed.fail_after_reads = 2;
  ferry_source* s = ferry_source_from_callback(&ReadFeed, &feed,
                                               FERRY_LENGTH_UNKNOWN, nullptr);
  std::string msg;
  EXPECT_EQ(Upload(s, nullptr, &msg), FERRY_ERR_FILE_UNREADABLE);
  EXPECT_NE(msg.find("read callback"), std::string::npos);
  ferry_source_free(s);
}

TEST_F(SourcesTest, ACallbackReturningMoreThanAskedIsRefused) {
  Feed feed{std::string(kChunk, 'a')};
  feed.overfill = true;
  ferry_source* s = ferry_source_from_callback(&ReadFeed, &feed,
                                               FERRY_LENGTH_UNKNOWN, nullptr);
  std::string msg;
  EXPECT_EQ(Upload(s, nullptr, &msg), FERRY_ERR_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("when asked for at most"), std::string::npos);
  ferry_source_free(s);
}

TEST_F(SourcesTest, AStreamShorterOrLongerThanDeclaredIsNeverStored) {
  for (int64_t declared : {int64_t{6 * kChunk}, int64_t{2 * kChunk}}) {
    Feed feed{std::string(4 * kChunk, 'z')};
    ferry_source* s =
        ferry_source_from_callback(&ReadFeed, &feed, declared, nullptr);
    std::string msg;
    EXPECT_EQ(Upload(s, nullptr, &msg), FERRY_ERR_FILE_CHANGED) << declared;
    EXPECT_NE(msg.find("declared length"), std::string::npos) << msg;
    ferry_source_free(s);
  }
}

TEST_F(SourcesTest, BadSourceArgumentsAreTypedErrors) {
  ferry_error* e = nullptr;
  EXPECT_EQ(ferry_source_from_fd(-1, &e), nullptr);
  EXPECT_EQ(ferry_error_code(e), FERRY_ERR_INVALID_ARGUMENT);
  ferry_error_free(e);
  EXPECT_EQ(ferry_source_from_memory(nullptr, 5, 0, &e), nullptr);
  EXPECT_EQ(ferry_error_code(e), FERRY_ERR_INVALID_ARGUMENT);
  ferry_error_free(e);
  EXPECT_EQ(ferry_source_from_callback(nullptr, nullptr, -1, &e), nullptr);
  ferry_error_free(e);
  EXPECT_EQ(ferry_source_from_callback(&ReadFeed, nullptr, -2, nullptr),
            nullptr);
  EXPECT_EQ(ferry_source_from_path(nullptr), nullptr);
  EXPECT_EQ(ferry_source_set_name(nullptr, "x"), FERRY_ERR_INVALID_ARGUMENT);
  ferry_source* s = ferry_source_from_path("/nonexistent/file");
  EXPECT_EQ(ferry_source_set_name(s, "bad\nname"), FERRY_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(Upload(s, nullptr), FERRY_ERR_FILE_NOT_FOUND);
  ferry_source_free(s);
  EXPECT_EQ(ferry_upload_source(client_, nullptr, nullptr, nullptr, nullptr),
            FERRY_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ferry_upload_start(client_, nullptr, nullptr, nullptr), nullptr);
}

TEST_F(SourcesTest, ACopyingMemorySourceIsIndependentOfTheCallersBuffer) {
  std::string file = WriteRandomFile(tmp_.path(), "m", 3 * kChunk + 5, 9);
  std::string bytes = ReadFile(file);
  ferry_source* s =
      ferry_source_from_memory(bytes.data(), bytes.size(), 1, nullptr);
  ASSERT_NE(s, nullptr);
  std::memset(bytes.data(), 0, bytes.size());  // the caller reuses its buffer
  std::string url;
  ASSERT_EQ(Upload(s, &url), FERRY_OK);
  EXPECT_EQ(server_.StoredSha256(url), FileSha256(file));
  ferry_source_free(s);
}

TEST_F(SourcesTest, AFileDescriptorOfARegularFileResumesLikeAPath) {
  std::string file = WriteRandomFile(tmp_.path(), "fd.bin", 5 * kChunk, 4);
  int fd = ::open(file.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ::lseek(fd, 1000, SEEK_SET);  // the position does not matter: pread
  ferry_source* s = ferry_source_from_fd(fd, nullptr);
  ::close(fd);  // ferry has its own duplicate
  ASSERT_NE(s, nullptr);
  // Cancelled after the first acknowledgement: the state is kept, keyed on
  // the file's path, so a path upload of it resumes.
  ferry_upload_options o = FERRY_UPLOAD_OPTIONS_INIT;
  o.on_progress = [](const ferry_progress* p, void*) {
    return p->bytes_acked > 0 ? 1 : 0;
  };
  EXPECT_EQ(ferry_upload_source(client_, s, &o, nullptr, nullptr),
            FERRY_ERR_CANCELLED);
  ferry_source_free(s);
  ferry_result* r = nullptr;
  ASSERT_EQ(ferry_upload_file(client_, file.c_str(), nullptr, &r, nullptr),
            FERRY_OK);
  EXPECT_GT(ferry_result_resumed_from(r), 0u);
  EXPECT_EQ(server_.StoredSha256(ferry_result_url(r)), FileSha256(file));
  ferry_result_free(r);
}

TEST_F(SourcesTest, HandlesAfterTheirEndOrFreeAreTypedErrors) {
  std::string file = WriteRandomFile(tmp_.path(), "h.bin", 2 * kChunk, 5);
  ferry_source* s = ferry_source_from_path(file.c_str());
  ferry_upload* up = ferry_upload_start(client_, s, nullptr, nullptr);
  ferry_source_free(s);  // the upload holds what it needs
  ASSERT_NE(up, nullptr);
  ASSERT_EQ(ferry_upload_wait(up, -1), 1);
  ferry_result* r = nullptr;
  ASSERT_EQ(ferry_upload_outcome(up, &r, nullptr), FERRY_OK);
  EXPECT_EQ(server_.StoredSha256(ferry_result_url(r)), FileSha256(file));
  ferry_result_free(r);
  ferry_upload_status st = FERRY_UPLOAD_STATUS_INIT;
  ASSERT_EQ(ferry_upload_get_status(up, &st), FERRY_OK);
  EXPECT_EQ(st.phase, FERRY_PHASE_DONE);
  EXPECT_EQ(st.bytes_done, 2 * kChunk);
  ferry_error* e = nullptr;
  EXPECT_EQ(ferry_upload_pause(up, &e), FERRY_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(ferry_error_message(e)).find("ended"),
            std::string::npos);
  ferry_error_free(e);
  EXPECT_EQ(ferry_upload_cancel(up, 1, nullptr), FERRY_ERR_INVALID_ARGUMENT);
  ferry_upload_free(up);
  EXPECT_EQ(ferry_upload_resume(up, nullptr), FERRY_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ferry_upload_wait(up, 0), -1);
  EXPECT_EQ(ferry_upload_get_status(up, &st), FERRY_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ferry_upload_outcome(up, nullptr, nullptr),
            FERRY_ERR_INVALID_ARGUMENT);
  ferry_upload_free(up);  // twice: ignored
}

TEST_F(SourcesTest, FreeingARunningUploadCancelsItAndKeepsItsState) {
  std::string file = WriteRandomFile(tmp_.path(), "r.bin", 40 * kChunk, 6);
  ferry_source* s = ferry_source_from_path(file.c_str());
  ferry_upload_options o = FERRY_UPLOAD_OPTIONS_INIT;
  o.on_progress = [](const ferry_progress*, void*) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return 0;
  };
  ferry_upload* up = ferry_upload_start(client_, s, &o, nullptr);
  ferry_source_free(s);
  ASSERT_EQ(ferry_upload_wait(up, 200), 0);  // still running
  ferry_upload_free(up);                     // cancels and joins
  ferry_pending* list = nullptr;
  ASSERT_EQ(ferry_client_pending(client_, &list, nullptr), FERRY_OK);
  ASSERT_EQ(ferry_pending_count(list), 1u);
  ferry_pending_entry entry = FERRY_PENDING_ENTRY_INIT;
  ASSERT_EQ(ferry_pending_get(list, 0, &entry), 1);
  EXPECT_EQ(std::string(entry.name), "r.bin");
  EXPECT_EQ(entry.resumable, 1);
  EXPECT_EQ(entry.last_error_code, FERRY_ERR_CANCELLED);
  EXPECT_EQ(ferry_pending_get(list, 1, &entry), 0);
  ferry_pending_free(list);
}

TEST_F(SourcesTest, CxxSourcesAndHandle) {
  std::string file = WriteRandomFile(tmp_.path(), "cxx.bin", 3 * kChunk, 8);
  std::string bytes = ReadFile(file);
  ferry::ClientOptions co;
  co.endpoint = server_.endpoint();
  co.state_dir = state_;
  co.chunk_size = kChunk;
  std::mutex log_mu;
  std::vector<std::string> logged;
  co.on_log = [&](int level, const std::string& line) {
    std::lock_guard<std::mutex> lock(log_mu);
    if (level >= FERRY_LOG_INFO) logged.push_back(line);
  };
  auto client = ferry::Client::Create(co);
  ASSERT_TRUE(client.ok());
  size_t at = 0;
  auto reader = ferry::Source::Reader([&](char* out, uint64_t max) {
    size_t n = std::min<size_t>(max, bytes.size() - at);
    std::memcpy(out, bytes.data() + at, n);
    at += n;
    return static_cast<int64_t>(n);
  });
  ASSERT_TRUE(reader.ok());
  reader.value().Name("cxx-stream.bin");
  auto started = client.value()->Start(reader.value());
  ASSERT_TRUE(started.ok());
  auto result = started.value()->Result();
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result.value().sha256, FileSha256(file));
  EXPECT_EQ(server_.StoredSha256(result.value().url), FileSha256(file));
  EXPECT_EQ(started.value()->Status().phase, ferry::Phase::kDone);
  {
    std::lock_guard<std::mutex> lock(log_mu);
    ASSERT_FALSE(logged.empty());
    EXPECT_EQ(logged.back(), "cxx-stream.bin: uploaded " +
                                 std::to_string(3 * kChunk) + " bytes (" +
                                 std::to_string(3 * kChunk) +
                                 " on the wire, identity)");
  }
  // A reader that throws is a failed read, never an exception into C.
  auto throwing = ferry::Source::Reader(
      [](char*, uint64_t) -> int64_t { throw std::runtime_error("no"); });
  auto failed = client.value()->Upload(throwing.value());
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ferry::Code::k_file_unreadable);
  EXPECT_TRUE(client.value()->Pending().size() <= 1);
}

}  // namespace
