// SPDX-License-Identifier: Apache-2.0
// S3's client-wide half: the S3Protocol all uploads of a client share (its
// signer, clock correction and credentials), an S3Transfer per upload, and
// the probe ferry-doctor runs: a signed request to the bucket (the
// server's clock, the credentials, the bucket), then a multipart upload
// created and aborted again.
#include <cstdlib>
#include <initializer_list>
#include <memory>
#include <random>
#include <string>

#include "errors/classify.h"
#include "http/http_client.h"
#include "http/url.h"
#include "protocols/protocol_client.h"
#include "protocols/s3/s3_protocol.h"
#include "protocols/s3/s3_transfer.h"

namespace ferry::internal {
namespace {

class S3Client : public ProtocolClient {
 public:
  S3Client(const ClientConfig& config, std::unique_ptr<S3Protocol> s3)
      : config_(config), s3_(std::move(s3)) {}

  std::unique_ptr<Transfer> NewTransfer() override {
    return std::make_unique<S3Transfer>(s3_.get());
  }

  uint64_t PerUploadMemory(uint64_t file_size) const override {
    // What S3Transfer holds: parts in flight (no more than the file has),
    // each as compressed (the most a part can hold).
    uint64_t part = S3PartSize(file_size, config_.s3_part_size);
    uint64_t parts = std::min<uint64_t>(
        uint64_t{std::max<uint32_t>(1, config_.s3_parallel_parts)} + 1,
        std::max<uint64_t>(1, (file_size + part - 1) / part));
    return std::min<uint64_t>(config_.memory_budget,
                              parts * S3PartMemory(S3PartBytes(part, file_size),
                                                   config_.chunk_size, true));
  }

  bool OwnsEntry(const JournalRecord& record) const override {
    std::string prefix = "s3 " + RedactUrl(s3_->ObjectUrl(""));
    return record.protocol == "s3" &&
           record.endpoint.compare(0, prefix.size(), prefix) == 0;
  }

  Status DiscardSaved(const JournalRecord& record) override {
    if (record.s3_key.empty() || record.upload_url.empty()) {
      return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                       "the entry does not name its multipart upload");
    }
    return s3_->Abort(record.s3_key, record.upload_url);
  }

  void Probe(DoctorReport* report) override {
    if (config_.s3_presigner) {
      report->Skip("auth",
                   "presigned mode: the app's backend signs every request");
    } else if (!CheckBucket(report)) {
      return;
    }
    CheckUpload(report);
  }

 private:
  bool CheckBucket(DoctorReport* report) {
    Result<HttpResponse> answer = s3_->ProbeBucket();
    if (!answer.ok()) {
      report->Fail("server", "no answer from the S3 endpoint", answer.error());
      return false;
    }
    const HttpResponse& r = answer.value();
    ReportClockSkew(r, config_.max_clock_skew_ms, report);
    if (r.status / 100 == 2) {
      report->Ok("auth", "signed request accepted (SigV4, region " +
                             s3_->region() + ")");
      report->Ok("bucket", "bucket " + config_.s3_bucket + " is reachable");
      return true;
    }
    Error e = s3_->ClassifyProbe(r);
    bool missing = e.server_code == "NoSuchBucket" || r.status == 404;
    if (missing) {
      report->Ok("auth", "signed request accepted");
      report->Fail("bucket", "bucket " + config_.s3_bucket + " does not exist",
                   e);
    } else if (e.category == FERRY_CATEGORY_AUTH) {
      report->Fail("auth", "the server refused these credentials", e);
    } else {
      report->Fail("bucket",
                   "the bucket answered HTTP " + std::to_string(r.status), e);
    }
    return false;
  }

  void CheckUpload(DoctorReport* report) {
    std::string key =
        "ferry-doctor-probe-" + std::to_string(std::random_device{}());
    Result<std::string> id = s3_->CreateMultipartUpload(key, {});
    if (!id.ok()) {
      const Error& e = id.error();
      bool auth = e.category == FERRY_CATEGORY_AUTH;
      report->Fail(auth ? "auth" : "upload",
                   auth ? "the server refused to create a multipart upload "
                          "with these credentials"
                        : "the server refused to create a multipart upload",
                   e);
      return;
    }
    Status aborted = s3_->Abort(key, id.value());
    report->Ok("upload", aborted.ok()
                             ? "a multipart upload was created and aborted"
                             : "a multipart upload was created; aborting it "
                               "failed: " +
                                   aborted.error().message);
  }

  const ClientConfig& config_;
  std::unique_ptr<S3Protocol> s3_;
};

}  // namespace

bool S3ManagesHeader(std::string_view lower_name) {
  // The signature and what it covers, and the part's own digest.
  for (const char* managed :
       {"authorization", "x-amz-date", "x-amz-content-sha256",
        "x-amz-security-token", "content-md5", "content-type"}) {
    if (lower_name == managed) return true;
  }
  return false;
}

Result<std::unique_ptr<ProtocolClient>> NewS3Client(const ClientConfig& config,
                                                    HttpClient* http) {
  if (config.s3_part_size != 0 && (config.s3_part_size < kS3MinPart ||
                                   config.s3_part_size > (5ull << 30))) {
    return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                     "an S3 part size must be between 5 MiB and 5 GiB");
  }
  S3Config s3;
  s3.endpoint = config.endpoint;
  s3.bucket = config.s3_bucket;
  s3.addressing = config.s3_addressing;
  s3.credentials = config.s3_credentials;
  if (!config.s3_presigner) {
    // As the AWS CLI finds them: options, environment, profile files.
    auto chain = AwsCredentialChain::Resolve(
        config.s3_credentials, AwsCredentialDeps::System(), config.s3_profile);
    if (!chain.ok()) return chain.error();
    auto keys = chain.value()->Current();
    if (!keys.ok()) return keys.error();
    s3.credentials = keys.value();
    s3.credential_chain = std::move(chain.value());
  } else if (s3.credentials.region.empty()) {
    for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
      const char* v = std::getenv(name);
      if (s3.credentials.region.empty() && v != nullptr) {
        s3.credentials.region = v;
      }
    }
  }
  s3.unsigned_payload = config.s3_unsigned_payload;
  s3.headers = config.headers;
  s3.clock_offset_ms = config.clock_offset_ms;
  s3.presigner = config.s3_presigner;
  auto made = S3Protocol::Create(
      http, std::move(s3),
      ClassifyOptions{&config.rules, config.max_clock_skew_ms, nullptr});
  if (!made.ok()) return made.error();
  return std::unique_ptr<ProtocolClient>(
      new S3Client(config, std::move(made.value())));
}

}  // namespace ferry::internal
