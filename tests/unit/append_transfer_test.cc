// SPDX-License-Identifier: Apache-2.0
// AppendTransfer against a fake AppendWire that keeps the upload in memory
// (and checks every offset as a server would): how requests are split by
// the server's limits, which request says it is the last, what creation
// carries, when the upload's URL is journaled, the server's digest of the
// whole upload. The real wires are tested against the real servers
// (tests/python/test_ietf_upload.py, the tus suites).
#include "protocols/append/append_transfer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "codec/hash.h"
#include "source/memory_source.h"

namespace ferry::internal {
namespace {

// One request the fake server received.
struct Received {
  std::string method;
  uint64_t offset = 0;
  uint64_t bytes = 0;
  std::optional<uint64_t> declared;  // the request said it is the last
  std::string checksum;
};

class FakeWire : public AppendWire {
 public:
  explicit FakeWire(AppendCapabilities caps) : caps_(std::move(caps)) {}

  std::string_view Name() const override { return "ietf"; }
  Result<AppendCapabilities> CachedCapabilities() override { return caps_; }
  Status CheckUploadUrl(const std::string&) const override {
    return OkStatus();
  }
  Result<CreateResult> Create(const CreateParams& params, const SendProgressFn&,
                              uint64_t* wire_bytes) override {
    if (params.on_url) params.on_url("http://server/u/1");
    stored_.append(params.first_bytes);
    *wire_bytes += params.first_bytes.size();
    CreateResult r;
    r.url = "http://server/u/1";
    r.offset = stored_.size();
    r.complete = !params.defer_length && stored_.size() == params.length;
    complete_ = r.complete;
    requests.push_back(
        {"POST", 0, params.first_bytes.size(),
         r.complete ? std::optional(params.length) : std::nullopt,
         params.checksum});
    return r;
  }
  Result<OffsetResult> QueryOffset(const std::string&) override {
    OffsetResult r;
    r.offset = stored_.size();
    r.complete = complete_;
    return r;
  }
  Result<SendResult> Send(const std::string&, uint64_t offset,
                          const BodySource& body, const std::string& checksum,
                          std::optional<uint64_t> declare_length,
                          const SendProgressFn&,
                          uint64_t* wire_bytes) override {
    EXPECT_EQ(offset, stored_.size()) << "an append at the wrong offset";
    EXPECT_FALSE(complete_) << "an append to a completed upload";
    uint64_t before = stored_.size();
    char buf[4096];
    for (uint64_t pos = 0;;) {
      if (body.length != BodySource::kUnknownLength && pos >= body.length) {
        break;
      }
      // As libcurl does: never more than the body's length.
      size_t want = sizeof buf;
      if (body.length != BodySource::kUnknownLength) {
        want = static_cast<size_t>(std::min<uint64_t>(want, body.length - pos));
      }
      int64_t n = body.read(pos, buf, want);
      if (n <= 0) break;
      stored_.append(buf, static_cast<size_t>(n));
      pos += static_cast<uint64_t>(n);
    }
    uint64_t got = stored_.size() - before;
    *wire_bytes += got;
    requests.push_back({"PATCH", offset, got, declare_length, checksum});
    if (caps_.limits.max_append_size > 0) {
      EXPECT_LE(got, caps_.limits.max_append_size);
    }
    SendResult r;
    r.offset = stored_.size();
    if (declare_length) {
      EXPECT_EQ(*declare_length, stored_.size());
      complete_ = true;
      r.stored_sha256 = repr_sha256.value_or(Sha256(stored_));
    }
    return r;
  }
  Status Terminate(const std::string&) override { return OkStatus(); }
  void SetHeader(const std::string&, const std::string&) override {}

  const std::string& stored() const { return stored_; }
  std::vector<Received> requests;
  std::optional<std::string> repr_sha256;  // what the server claims

 private:
  AppendCapabilities caps_;
  std::string stored_;
  bool complete_ = false;
};

AppendCapabilities Draft() {
  AppendCapabilities c;
  c.create_with_bytes = true;
  c.deferred_length = true;
  c.marks_last_request = true;
  return c;
}

class AppendTransferTest : public ::testing::Test {
 protected:
  // Uploads `size` bytes through `wire`; the transfer's first error, if any.
  Status Upload(FakeWire* wire, uint64_t size) {
    data_ = std::string(size, '\0');
    for (uint64_t i = 0; i < size; ++i) data_[i] = static_cast<char>(i * 7);
    source_ =
        std::make_unique<MemorySource>(data_.data(), size, nullptr, "f.bin");
    ctx_.config = &config_;
    ctx_.params = &params_;
    ctx_.source = source_.get();
    ctx_.source_key = "mem:f.bin";
    env_ = SessionEnv::Real();
    ctx_.env = &env_;
    ctx_.emit = [](const Event&) { return true; };
    ctx_.tick = [] { return true; };
    ctx_.save = [this](const JournalRecord& r, bool) {
      saved_urls_.push_back(r.upload_url);
      return OkStatus();
    };
    ctx_.cancelled = [] { return false; };
    transfer_ = std::make_unique<AppendTransfer>(wire, 0);
    transfer_->Attach(&ctx_);
    // In the session's order, stopping at the first refusal.
    std::function<Status()> steps[] = {
        [&] { return transfer_->Discover(); },
        [&] { return transfer_->Preflight(); },
        [&] { return transfer_->SetCompression(0); },
        [&] { return transfer_->PrepareFresh(); },
        [&] { return transfer_->Create(); }};
    for (const auto& step : steps) {
      Status s = step();
      if (!s.ok()) return s;
    }
    while (!transfer_->AllSent()) {
      Result<SendStep> step = transfer_->SendNext();
      if (!step.ok()) return step.error();
    }
    Result<UploadSummary> summary = transfer_->Summarize();
    if (!summary.ok()) return summary.error();
    return OkStatus();
  }

  ClientConfig config_;
  UploadParams params_;
  std::string data_;
  std::unique_ptr<MemorySource> source_;
  SessionEnv env_;
  TransferContext ctx_;
  std::vector<std::string> saved_urls_;
  std::unique_ptr<AppendTransfer> transfer_;
};

TEST_F(AppendTransferTest, AppendsSplitAtTheServersMaxAppendSize) {
  AppendCapabilities caps = Draft();
  caps.limits.max_append_size = 1000;
  FakeWire wire(caps);
  config_.chunk_size = 4096;
  ASSERT_TRUE(Upload(&wire, 10500).ok());
  EXPECT_EQ(wire.stored(), data_);
  ASSERT_EQ(wire.requests.size(), 11u);  // 10 × 1000 (creation first) + 500
  EXPECT_EQ(wire.requests.front().method, "POST");
  for (size_t i = 0; i + 1 < wire.requests.size(); ++i) {
    EXPECT_EQ(wire.requests[i].bytes, 1000u) << i;
    if (i > 0) {
      EXPECT_FALSE(wire.requests[i].declared) << i;
    }
  }
  // Only the last append says it is the last.
  EXPECT_EQ(wire.requests.back().declared, std::optional<uint64_t>(10500));
}

TEST_F(AppendTransferTest, TheUploadsUrlIsJournaledBeforeTheCreationAnswers) {
  FakeWire wire(Draft());
  config_.chunk_size = 1024;
  ASSERT_TRUE(Upload(&wire, 5000).ok());
  // on_url (the 104) saved the record with its URL first.
  ASSERT_FALSE(saved_urls_.empty());
  EXPECT_EQ(saved_urls_.front(), "http://server/u/1");
  EXPECT_EQ(wire.requests.front().bytes, 1024u);
  EXPECT_EQ(wire.stored(), data_);
}

TEST_F(AppendTransferTest, ASmallFileIsOneCompleteCreation) {
  for (uint64_t size : {uint64_t{0}, uint64_t{500}}) {
    FakeWire wire(Draft());
    config_.chunk_size = 1024;
    ASSERT_TRUE(Upload(&wire, size).ok()) << size;
    ASSERT_EQ(wire.requests.size(), 1u) << size;
    EXPECT_EQ(wire.requests[0].method, "POST");
    EXPECT_EQ(wire.requests[0].declared, std::optional<uint64_t>(size));
    EXPECT_EQ(wire.stored(), data_);
  }
}

TEST_F(AppendTransferTest, ACreationCarriesNoMoreThanTheWireAllows) {
  AppendCapabilities caps = Draft();
  caps.creation_bytes_cap = 500;  // the draft's version not yet settled
  FakeWire wire(caps);
  config_.chunk_size = 1024;
  ASSERT_TRUE(Upload(&wire, 5000).ok());
  EXPECT_EQ(wire.requests.front().bytes, 500u);
  EXPECT_EQ(wire.stored(), data_);
}

TEST_F(AppendTransferTest, ACreationTooSmallForMinAppendSizeCarriesNothing) {
  AppendCapabilities caps = Draft();
  caps.limits.min_append_size = 3000;
  FakeWire wire(caps);
  config_.chunk_size = 1024;
  ASSERT_TRUE(Upload(&wire, 10000).ok());
  EXPECT_EQ(wire.requests.front().bytes, 0u);
  for (const Received& r : wire.requests) {
    if (!r.declared && r.method == "PATCH") {
      EXPECT_GE(r.bytes, 3000u);
    }
  }
  EXPECT_EQ(wire.stored(), data_);
}

TEST_F(AppendTransferTest, MinAppendSizeAboveAChunkWithDigestsIsRefused) {
  AppendCapabilities caps = Draft();
  caps.limits.min_append_size = 3000;
  caps.checksum_algorithm = "sha256";  // one chunk per request
  FakeWire wire(caps);
  config_.chunk_size = 1024;
  Status s = Upload(&wire, 10000);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, FERRY_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(s.error().limit, 3000);
  EXPECT_TRUE(wire.requests.empty());
}

TEST_F(AppendTransferTest, EveryAppendCarriesItsDigestWhenTheServerWantsIt) {
  AppendCapabilities caps = Draft();
  caps.checksum_algorithm = "sha256";
  caps.limits.max_append_size = 700;
  FakeWire wire(caps);
  config_.chunk_size = 1024;
  ASSERT_TRUE(Upload(&wire, 3000).ok());
  uint64_t at = 0;
  for (const Received& r : wire.requests) {
    std::string_view bytes(data_.data() + at, r.bytes);
    EXPECT_EQ(r.checksum, "sha256 " + Base64Encode(Sha256(bytes)));
    at += r.bytes;
  }
  EXPECT_EQ(wire.stored(), data_);
}

TEST_F(AppendTransferTest, AServerDigestThatIsNotTheFilesFailsTheUpload) {
  FakeWire wire(Draft());
  wire.repr_sha256 = std::string(32, '\0');
  config_.chunk_size = 1024;
  Status s = Upload(&wire, 5000);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, FERRY_ERR_INTEGRITY_FAILED);
}

TEST_F(AppendTransferTest, WithoutALastRequestMarkAKnownLengthIsNotRepeated) {
  // tus: the length is known from creation; no request declares it again.
  AppendCapabilities caps = Draft();
  caps.marks_last_request = false;
  FakeWire wire(caps);
  config_.chunk_size = 1024;
  ASSERT_TRUE(Upload(&wire, 5000).ok());
  for (size_t i = 1; i < wire.requests.size(); ++i) {
    EXPECT_FALSE(wire.requests[i].declared) << i;
  }
  EXPECT_EQ(wire.stored(), data_);
}

}  // namespace
}  // namespace ferry::internal
