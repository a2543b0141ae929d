/* SPDX-License-Identifier: Apache-2.0 */
// S3 multipart upload over path-style URLs (endpoint/bucket/key), signed with
// SigV4: CreateMultipartUpload, UploadPart (Content-MD5 and, in signed-payload
// mode, the body's SHA-256 that the server verifies), ListParts (all pages),
// CompleteMultipartUpload (a 200 carrying <Error> is a failure) and
// AbortMultipartUpload. A clock the server says is skewed is corrected from
// its Date header and the request retried once. In presigned mode no secret
// is held: the app's presigner hands a URL for every request.
#ifndef FERRY_SDK_SRC_PROTOCOLS_S3_S3_PROTOCOL_H_
#define FERRY_SDK_SRC_PROTOCOLS_S3_S3_PROTOCOL_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "errors/classify.h"
#include "errors/error.h"
#include "http/http_client.h"
#include "protocols/s3/aws_credentials.h"
#include "protocols/s3/s3_xml.h"
#include "protocols/s3/sigv4.h"
#include "sync/mutex.h"

namespace ferry::internal {

enum class S3Op {
  kCreate = 1,
  kUploadPart,
  kListParts,
  kComplete,
  kAbort,
  kHeadObject,
  kPutObject
};

// What a presigned URL must allow: the operation, its object, upload and
// part, and the headers ferry will send with it (x-amz-meta-*, Content-MD5,
// Content-Type), which the signature may cover.
struct S3PresignRequest {
  S3Op op = S3Op::kCreate;
  std::string method;
  std::string bucket;
  std::string key;
  std::string upload_id;     // "" for create
  uint32_t part_number = 0;  // upload: the part; list: the marker (0 first)
  HeaderList headers;
};
// Returns the URL to send the request to, or the error to end it with.
using S3Presigner = std::function<Result<std::string>(const S3PresignRequest&)>;

// Where the bucket goes in a request's URL.
enum class S3Addressing {
  kAuto,     // virtual-hosted for AWS endpoints when the bucket allows it
  kPath,     // endpoint/bucket/key
  kVirtual,  // bucket.endpoint-host/key
};

// Whether `bucket` can be the first label of a host name in a request:
// 3-63 of a-z 0-9 . -, starting and ending with a letter or digit, no "..",
// not an IPv4 address; over https no dot either (a wildcard certificate
// covers one label).
bool BucketIsHostLabel(std::string_view bucket, bool https);

struct S3Config {
  std::string endpoint;  // "https://host[:port]" (a path prefix is kept)
  std::string bucket;
  S3Addressing addressing = S3Addressing::kAuto;
  S3Credentials credentials;
  // Send UNSIGNED-PAYLOAD instead of the body's SHA-256 (Content-MD5 still
  // protects every part).
  bool unsigned_payload = false;
  HeaderList headers;  // the app's, sent and signed with every request
  // This device's clock error to correct from the start (server − local).
  int64_t clock_offset_ms = 0;
  // Presigned mode when set: requests go to the URLs it returns, unsigned by
  // ferry (credentials are then not needed). The app's headers go only to
  // the endpoint's own origin.
  S3Presigner presigner;
  // Where `credentials` came from; when set, the keys to sign with are
  // asked of it for every request (keys from a credential_process are
  // renewed before they expire, and once on ExpiredToken) until the app's
  // refresh hook hands keys of its own.
  std::shared_ptr<AwsCredentialChain> credential_chain;
};

// The ETag S3 gives an object completed from `parts`: the hex MD5 of their
// MD5s, "-", their count, quoted. nullopt when a part's ETag is not a plain
// MD5 (e.g. under SSE-KMS): then nothing can be concluded from it.
std::optional<std::string> MultipartEtag(const std::vector<S3PartInfo>& parts);

// The headers an object may be created with (docs/s3.md): invalid_argument
// naming the first other one. SSE-C is not among them: it would have to go
// with every part too.
Status ObjectHeadersAllowed(const HeaderList& headers);

class S3Protocol {
 public:
  // http must outlive this object. Errors from Create: invalid_argument.
  static Result<std::unique_ptr<S3Protocol>> Create(HttpClient* http,
                                                    S3Config config,
                                                    ClassifyOptions classify);

  // endpoint/bucket/key (no secrets in it; safe to show).
  std::string ObjectUrl(std::string_view key) const;

  // Returns the UploadId. metadata: x-amz-meta-* pairs (names without it);
  // object_headers: what ObjectHeadersAllowed lets through.
  Result<std::string> CreateMultipartUpload(
      std::string_view key,
      const std::vector<std::pair<std::string, std::string>>& metadata,
      const HeaderList& object_headers = {});
  // Returns the part's ETag. md5: raw 16 bytes of `data`, sent as
  // Content-MD5 (or "": none, for a signed payload); sha256: raw 32 (or ""
  // to have it computed, when SignsPayload()).
  Result<std::string> UploadPart(std::string_view key,
                                 std::string_view upload_id, uint32_t number,
                                 std::string_view data, std::string_view md5,
                                 std::string_view sha256,
                                 const SendProgressFn& on_send,
                                 uint64_t* wire_bytes);
  // A whole object in one request (small objects): md5 and sha256 as for
  // UploadPart, metadata and object headers as for CreateMultipartUpload.
  // Returns its ETag.
  Result<std::string> PutObject(
      std::string_view key, std::string_view data, std::string_view md5,
      std::string_view sha256,
      const std::vector<std::pair<std::string, std::string>>& metadata,
      const HeaderList& object_headers, const SendProgressFn& on_send,
      uint64_t* wire_bytes);
  // Every part the server holds (following IsTruncated pages).
  Result<std::vector<S3PartInfo>> ListParts(std::string_view key,
                                            std::string_view upload_id);
  Status Complete(std::string_view key, std::string_view upload_id,
                  const std::vector<S3PartInfo>& parts);
  Status Abort(std::string_view key, std::string_view upload_id);
  // The object's ETag as the server wrote it, or nullopt when it has no
  // such object (404).
  Result<std::optional<std::string>> HeadObjectEtag(std::string_view key);

  // ferry-doctor: a signed GET of the bucket's location (not available in
  // presigned mode). The response whatever its status (its Date tells the
  // server's clock); errors only when no response came.
  Result<HttpResponse> ProbeBucket();
  // The typed error for a probe answer that is not a 2xx.
  Error ClassifyProbe(const HttpResponse& response) const;

  // Whether UploadPart signs the body's SHA-256 (else it needs none).
  bool SignsPayload() const {
    return !config_.unsigned_payload && !config_.presigner;
  }

  // Replaces headers (same name) and, when given, the signing keys for
  // every later request: the app's refresh hook. Thread-safe.
  void UseCredentials(const HeaderList& headers,
                      const std::optional<S3Credentials>& keys);

  // Whether requests go to bucket.host (else host/bucket).
  bool virtual_hosted() const { return virtual_hosted_; }

  // The region requests are signed for (us-east-1 unless configured).
  std::string region() const { return Credentials().region; }

  // The signer's clock correction in ms (server − local). Thread-safe.
  int64_t clock_offset_ms() const { return offset_ms_.load(); }

 private:
  S3Protocol(HttpClient* http, S3Config config, ClassifyOptions classify,
             std::string authority, std::string base_path, bool virtual_hosted);

  struct Call {
    S3Op op = S3Op::kCreate;
    std::string method;
    std::string key;  // "" for the bucket itself
    std::vector<std::pair<std::string, std::string>> query;
    HeaderList headers;
    std::string_view body;
    bool has_body = false;
    std::string payload_sha256;  // raw; "" → computed from body
    std::string upload_id;       // for the presigner
    uint32_t part_number = 0;    // for the presigner
  };
  Result<HttpResponse> PerformPresigned(const Call& call,
                                        const SendProgressFn& on_send,
                                        uint64_t* wire_bytes);
  // Signs and performs `call`; once more after correcting the clock when
  // the server refused it for skew. Transport failures become errors.
  Result<HttpResponse> Perform(const Call& call,
                               const SendProgressFn& on_send = nullptr,
                               uint64_t* wire_bytes = nullptr);
  Error Classify(const HttpResponse& r, RequestKind kind,
                 std::string_view redacted_url) const;
  // The ETag of a stored part or object (`what`), checked against the MD5
  // sent (if one was) when it has the form of one.
  Result<std::string> StoredEtag(const HttpResponse& r, std::string_view key,
                                 std::string_view md5,
                                 const std::string& what) const;
  Error Unexpected(std::string what, const HttpResponse& r,
                   std::string_view key) const;
  std::string PathFor(std::string_view key) const;
  HeaderList Headers() const;
  S3Credentials Credentials() const;
  // The keys to sign a request with now (see S3Config::credential_chain).
  Result<S3Credentials> SigningKeys();
  // The server said ExpiredToken: renews chain keys once per request.
  bool RenewExpiredKeys(const HttpResponse& r, bool* renewed);

  HttpClient* http_;
  S3Config config_;
  ClassifyOptions classify_;
  std::string authority_;
  std::string base_path_;  // the endpoint's path, without a trailing '/'
  bool virtual_hosted_;
  std::atomic<int64_t> offset_ms_;
  std::optional<std::string> origin_;  // the endpoint's, for app headers
  // What the refresh hook may replace while parts are in flight.
  mutable Mutex credentials_mu_;
  HeaderList headers_ ABSL_GUARDED_BY(credentials_mu_);
  S3Credentials credentials_ ABSL_GUARDED_BY(credentials_mu_);
  bool keys_from_app_ ABSL_GUARDED_BY(credentials_mu_) = false;
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_PROTOCOLS_S3_S3_PROTOCOL_H_
