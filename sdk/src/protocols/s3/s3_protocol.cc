// SPDX-License-Identifier: Apache-2.0
#include "protocols/s3/s3_protocol.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "codec/hash.h"
#include "http/url.h"
#include "protocols/s3/s3_error.h"

namespace ferry::internal {
namespace {

// What an object is created with, on CreateMultipartUpload or PutObject:
// its x-amz-meta-* metadata, then its settings (ObjectHeadersAllowed).
void AddCreationHeaders(
    const std::vector<std::pair<std::string, std::string>>& metadata,
    const HeaderList& object_headers, HeaderList* out) {
  for (const auto& [name, value] : metadata) {
    out->emplace_back("x-amz-meta-" + absl::AsciiStrToLower(name), value);
  }
  for (const auto& h : object_headers) out->push_back(h);
}

// An AWS S3 endpoint (s3.amazonaws.com, s3.REGION.amazonaws.com, the
// dual-stack and FIPS names): where `auto` addressing goes virtual-hosted.
bool IsAwsHost(std::string_view authority) {
  std::string host = absl::AsciiStrToLower(std::string(authority.substr(
      0, authority.rfind(':') == authority.npos ? authority.size()
                                                : authority.rfind(':'))));
  return absl::EndsWith(host, ".amazonaws.com") ||
         absl::EndsWith(host, ".amazonaws.com.cn");
}

// Replaces the values of the query parameters that carry a presigned URL's
// secrets (X-Amz-Signature, X-Amz-Credential, X-Amz-Security-Token, and
// the older Signature, AWSAccessKeyId) wherever they appear in `text`.
void ScrubSignedQueryValues(std::string* text) {
  static const char* const kNames[] = {
      "x-amz-signature=", "x-amz-credential=", "x-amz-security-token=",
      "signature=", "awsaccesskeyid="};
  std::string lower = absl::AsciiStrToLower(*text);
  std::string out;
  size_t copied = 0;
  for (size_t at = 0; at < lower.size(); ++at) {
    for (const char* name : kNames) {
      size_t n = std::strlen(name);
      if (lower.compare(at, n, name) != 0) continue;
      size_t begin = at + n;
      size_t end = lower.find_first_of("&\" <>\n\r\t", begin);
      if (end == std::string::npos) end = lower.size();
      if (end == begin) break;
      out.append(*text, copied, begin - copied);
      out += "<redacted>";
      copied = end;
      at = end - 1;
      break;
    }
  }
  if (copied == 0) return;
  out.append(*text, copied, std::string::npos);
  *text = std::move(out);
}

// The most ferry corrects its clock by from a server's Date: a day.
constexpr int64_t kMaxClockCorrectionMs = 24ll * 3600 * 1000;

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// An ETag goes back into the CompleteMultipartUpload XML: printable ASCII
// without markup characters, bounded.
bool PlausibleEtag(std::string_view etag) {
  if (etag.empty() || etag.size() > 256) return false;
  for (unsigned char c : etag) {
    if (c < ' ' || c >= 127 || c == '<' || c == '>' || c == '&') return false;
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<S3Protocol>> S3Protocol::Create(
    HttpClient* http, S3Config config, ClassifyOptions classify) {
  auto parts = SplitUrl(config.endpoint);
  if (!parts) {
    return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                     "the S3 endpoint is not an http(s) URL");
  }
  if (config.bucket.empty() || config.bucket.size() > 255 ||
      config.bucket.find('/') != std::string::npos) {
    return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                     "an S3 upload needs a bucket name (without '/')");
  }
  if (!config.presigner && (config.credentials.access_key_id.empty() ||
                            config.credentials.secret_access_key.empty())) {
    return MakeError(
        FERRY_ERR_INVALID_ARGUMENT,
        "S3 needs an access key id and a secret access key (options, or "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or a presigner");
  }
  if (config.credentials.region.empty())
    config.credentials.region = "us-east-1";
  std::string base = parts->path;
  while (!base.empty() && base.back() == '/') base.pop_back();
  bool https = parts->scheme == "https";
  bool fits = BucketIsHostLabel(config.bucket, https);
  if (config.addressing == S3Addressing::kVirtual && !fits) {
    return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                     "bucket " + config.bucket +
                         " cannot be a host name label (virtual-hosted "
                         "addressing): use path addressing");
  }
  bool virtual_hosted = config.addressing == S3Addressing::kVirtual ||
                        (config.addressing == S3Addressing::kAuto && fits &&
                         IsAwsHost(parts->authority));
  std::string authority = virtual_hosted
                              ? config.bucket + "." + parts->authority
                              : parts->authority;
  return std::unique_ptr<S3Protocol>(
      new S3Protocol(http, std::move(config), classify, std::move(authority),
                     std::move(base), virtual_hosted));
}

Status ObjectHeadersAllowed(const HeaderList& headers) {
  static const char* const kAllowed[] = {
      "content-type",
      "cache-control",
      "content-disposition",
      "content-language",
      "expires",
      "x-amz-storage-class",
      "x-amz-acl",
      "x-amz-tagging",
      "x-amz-website-redirect-location",
      "x-amz-server-side-encryption",
      "x-amz-server-side-encryption-aws-kms-key-id",
      "x-amz-server-side-encryption-context",
      "x-amz-server-side-encryption-bucket-key-enabled"};
  for (const auto& [name, value] : headers) {
    std::string lower = absl::AsciiStrToLower(name);
    bool known = false;
    for (const char* allowed : kAllowed) known = known || lower == allowed;
    if (!known) {
      return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                       "an object cannot be created with header " + name +
                           " (docs/s3.md lists those it can)");
    }
  }
  return OkStatus();
}

bool BucketIsHostLabel(std::string_view bucket, bool https) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  if (!alnum(bucket.front()) || !alnum(bucket.back())) return false;
  bool all_digits_and_dots = true;
  for (size_t i = 0; i < bucket.size(); ++i) {
    char c = bucket[i];
    if (!alnum(c) && c != '-' && c != '.') return false;
    if (c == '.' && (https || bucket[i + 1] == '.')) return false;
    if (c != '.' && (c < '0' || c > '9')) all_digits_and_dots = false;
  }
  return !all_digits_and_dots;  // "192.168.5.4" is an address, not a name
}

S3Protocol::S3Protocol(HttpClient* http, S3Config config,
                       ClassifyOptions classify, std::string authority,
                       std::string base_path, bool virtual_hosted)
    : http_(http),
      config_(std::move(config)),
      classify_(std::move(classify)),
      authority_(std::move(authority)),
      base_path_(std::move(base_path)),
      virtual_hosted_(virtual_hosted),
      offset_ms_(config_.clock_offset_ms),
      origin_(
          UrlOrigin(SplitUrl(config_.endpoint)->scheme + "://" + authority_)) {
  // S3 errors come as XML <Error> documents.
  if (!classify_.protocol_body) classify_.protocol_body = ReadS3ErrorBody;
  MutexLock lock(&credentials_mu_);
  headers_ = config_.headers;
  credentials_ = config_.credentials;
}

std::string S3Protocol::PathFor(std::string_view key) const {
  std::string path = base_path_;
  if (!virtual_hosted_) path += "/" + UriEncode(config_.bucket, false);
  if (!key.empty() || virtual_hosted_) path += "/" + UriEncode(key, true);
  return path;
}

HeaderList S3Protocol::Headers() const {
  MutexLock lock(&credentials_mu_);
  return headers_;
}

S3Credentials S3Protocol::Credentials() const {
  MutexLock lock(&credentials_mu_);
  return credentials_;
}

Result<S3Credentials> S3Protocol::SigningKeys() {
  {
    MutexLock lock(&credentials_mu_);
    if (!config_.credential_chain || keys_from_app_) return credentials_;
  }
  return config_.credential_chain->Current();
}

bool S3Protocol::RenewExpiredKeys(const HttpResponse& r, bool* renewed) {
  if (*renewed || r.status / 100 != 4 || !config_.credential_chain ||
      !config_.credential_chain->renewable()) {
    return false;
  }
  auto s3 = ParseS3Error(r.body);
  if (!s3 || s3->code != "ExpiredToken") return false;
  {
    MutexLock lock(&credentials_mu_);
    if (keys_from_app_) return false;
  }
  *renewed = true;
  Result<bool> done = config_.credential_chain->RenewNow();
  return done.ok() && done.value();
}

void S3Protocol::UseCredentials(const HeaderList& headers,
                                const std::optional<S3Credentials>& keys) {
  MutexLock lock(&credentials_mu_);
  for (const auto& [name, value] : headers) {
    ReplaceHeader(&headers_, name, value);
  }
  if (keys) {
    keys_from_app_ = true;
    // Fresh keys replace the old ones; a region left empty stays.
    std::string region = credentials_.region;
    credentials_ = *keys;
    if (credentials_.region.empty()) credentials_.region = region;
  }
}

std::string S3Protocol::ObjectUrl(std::string_view key) const {
  auto parts = SplitUrl(config_.endpoint);
  return parts->scheme + "://" + authority_ + PathFor(key);
}

Error S3Protocol::Classify(const HttpResponse& r, RequestKind kind,
                           std::string_view redacted_url) const {
  Error e = ClassifyResponse(r, kind, redacted_url, classify_);
  std::vector<std::string> secrets = SecretsOf(Headers());
  S3Credentials creds = Credentials();
  for (const std::string* s :
       {&creds.secret_access_key, &creds.session_token}) {
    if (!s->empty()) secrets.push_back(*s);
  }
  ScrubSecrets(secrets, &e);
  // A presigned URL's secrets are the app's backend's: a server echoing the
  // request (SignatureDoesNotMatch's CanonicalRequest) must not carry them.
  for (std::string* text : {&e.message, &e.server_message, &e.server_code}) {
    ScrubSignedQueryValues(text);
  }
  if (config_.presigner && (r.status == 403 || r.status == 401)) {
    // The signature is the app's backend's: an expired URL, or one that does
    // not cover this request, looks like this.
    e.message +=
        " (presigned mode: the URL may have expired or not cover "
        "this request's method, part or headers)";
  }
  return e;
}

Error S3Protocol::Unexpected(std::string what, const HttpResponse& r,
                             std::string_view key) const {
  Error e = MakeError(FERRY_ERR_UNEXPECTED_RESPONSE,
                      "the server's answer broke the S3 protocol: " + what);
  e.http_status = r.status;
  e.url = ObjectUrl(key);
  return e;
}

Result<HttpResponse> S3Protocol::PerformPresigned(const Call& call,
                                                  const SendProgressFn& on_send,
                                                  uint64_t* wire_bytes) {
  S3PresignRequest pr;
  pr.op = call.op;
  pr.method = call.method;
  pr.bucket = config_.bucket;
  pr.key = call.key;
  pr.upload_id = call.upload_id;
  pr.part_number = call.part_number;
  pr.headers = call.headers;
  Result<std::string> url = config_.presigner(pr);
  if (!url.ok()) return url.error();
  std::string redacted = ObjectUrl(call.key);
  std::optional<std::string> origin = UrlOrigin(url.value());
  if (!SplitUrl(url.value()) || !origin) {
    Error e = MakeError(FERRY_ERR_INVALID_ARGUMENT,
                        "the presigner returned something that is not an "
                        "http(s) URL");
    e.url = redacted;
    return e;
  }
  HttpRequest req;
  req.method = call.method;
  req.url = url.value();
  // The app's headers may carry credentials of its own: only to the
  // endpoint's origin, never to wherever a presigned URL points.
  if (origin == origin_) req.headers = Headers();
  for (const auto& h : call.headers) req.headers.push_back(h);
  req.body = call.body;
  req.has_body = call.has_body;
  HttpOutcome out = http_->Perform(req, on_send);
  if (wire_bytes != nullptr) *wire_bytes += out.body_bytes_sent;
  if (!out.ok) return ClassifyTransport(out.transport, redacted);
  return std::move(out.response);
}

Result<HttpResponse> S3Protocol::Perform(const Call& call,
                                         const SendProgressFn& on_send,
                                         uint64_t* wire_bytes) {
  if (config_.presigner) return PerformPresigned(call, on_send, wire_bytes);
  std::string payload_hash;
  if (config_.unsigned_payload && call.has_body) {
    payload_hash = std::string(kUnsignedPayload);
  } else {
    payload_hash = HexEncode(call.payload_sha256.empty() ? Sha256(call.body)
                                                         : call.payload_sha256);
  }
  std::string path = PathFor(call.key);
  std::string query;
  for (const auto& [k, v] : call.query) {
    absl::StrAppend(&query, query.empty() ? "?" : "&", UriEncode(k, false),
                    v.empty() && (k == "uploads" || k == "location") ? "" : "=",
                    UriEncode(v, false));
  }
  std::string redacted = ObjectUrl(call.key);
  bool renewed = false;
  for (int attempt = 0;; ++attempt) {
    Result<S3Credentials> keys = SigningKeys();
    if (!keys.ok()) {
      Error e = keys.error();
      e.url = redacted;
      return e;
    }
    SigV4Request sig;
    sig.method = call.method;
    sig.authority = authority_;
    sig.path = path;
    sig.query = call.query;
    sig.headers = Headers();
    for (const auto& h : call.headers) sig.headers.push_back(h);
    sig.payload_hash = payload_hash;
    int64_t now_s = (NowUnixMs() + offset_ms_.load()) / 1000;
    SignV4(&sig, keys.value(), "s3", now_s);

    HttpRequest req;
    req.method = call.method;
    req.url =
        SplitUrl(config_.endpoint)->scheme + "://" + authority_ + path + query;
    req.headers = std::move(sig.headers);
    req.headers.emplace_back("Host", authority_);
    req.body = call.body;
    req.has_body = call.has_body;
    HttpOutcome out = http_->Perform(req, on_send);
    if (wire_bytes != nullptr) *wire_bytes += out.body_bytes_sent;
    if (!out.ok) return ClassifyTransport(out.transport, redacted);
    HttpResponse& r = out.response;
    if (RenewExpiredKeys(r, &renewed)) continue;
    if (attempt == 0 && (r.status == 403 || r.status == 401)) {
      // RequestTimeTooSkewed, or a signature refused while the server's Date
      // shows a skew: sign again with the server's clock.
      auto s3 = ParseS3Error(r.body);
      auto skew = MeasureClockSkewMs(r, NowUnixMs() + offset_ms_.load());
      bool skewed = s3 && s3->code == "RequestTimeTooSkewed";
      bool sig_refused =
          s3 &&
          (s3->code == "SignatureDoesNotMatch" || s3->code == "AccessDenied") &&
          skew && std::llabs(*skew) > 5 * 60 * 1000;
      // Within a day only: a Date further off is a broken or hostile
      // server, and signing a day away would only hide that.
      bool plausible = skew && std::llabs(*skew) <= kMaxClockCorrectionMs;
      if ((skewed || sig_refused) && plausible) {
        offset_ms_.fetch_add(*skew);
        continue;
      }
    }
    return std::move(r);
  }
}

Result<HttpResponse> S3Protocol::ProbeBucket() {
  Call call;
  call.op = S3Op::kCreate;  // never presigned: see the header
  call.method = "GET";
  call.query = {{"location", ""}};
  return Perform(call);
}

Error S3Protocol::ClassifyProbe(const HttpResponse& r) const {
  return Classify(r, RequestKind::kDiscover, ObjectUrl(""));
}

Result<std::string> S3Protocol::CreateMultipartUpload(
    std::string_view key,
    const std::vector<std::pair<std::string, std::string>>& metadata,
    const HeaderList& object_headers) {
  Call call;
  call.op = S3Op::kCreate;
  call.method = "POST";
  call.key = std::string(key);
  call.query = {{"uploads", ""}};
  AddCreationHeaders(metadata, object_headers, &call.headers);
  auto r = Perform(call);
  if (!r.ok()) return r.error();
  if (r.value().status != 200) {
    return Classify(r.value(), RequestKind::kCreate, ObjectUrl(key));
  }
  auto id = ParseInitiateResult(r.value().body);
  if (!id) {
    if (ParseS3Error(r.value().body)) {
      return Classify(r.value(), RequestKind::kCreate, ObjectUrl(key));
    }
    return Unexpected("no UploadId in InitiateMultipartUploadResult", r.value(),
                      key);
  }
  return *id;
}

Result<std::string> S3Protocol::UploadPart(
    std::string_view key, std::string_view upload_id, uint32_t number,
    std::string_view data, std::string_view md5, std::string_view sha256,
    const SendProgressFn& on_send, uint64_t* wire_bytes) {
  Call call;
  call.op = S3Op::kUploadPart;
  call.method = "PUT";
  call.key = std::string(key);
  call.query = {{"partNumber", std::to_string(number)},
                {"uploadId", std::string(upload_id)}};
  call.upload_id = std::string(upload_id);
  call.part_number = number;
  if (!md5.empty()) call.headers.emplace_back("Content-MD5", Base64Encode(md5));
  call.body = data;
  call.has_body = true;
  call.payload_sha256 = std::string(sha256);
  auto r = Perform(call, on_send, wire_bytes);
  if (!r.ok()) return r.error();
  return StoredEtag(r.value(), key, md5, "part " + std::to_string(number));
}

Result<std::string> S3Protocol::PutObject(
    std::string_view key, std::string_view data, std::string_view md5,
    std::string_view sha256,
    const std::vector<std::pair<std::string, std::string>>& metadata,
    const HeaderList& object_headers, const SendProgressFn& on_send,
    uint64_t* wire_bytes) {
  Call call;
  call.op = S3Op::kPutObject;
  call.method = "PUT";
  call.key = std::string(key);
  if (!md5.empty()) call.headers.emplace_back("Content-MD5", Base64Encode(md5));
  AddCreationHeaders(metadata, object_headers, &call.headers);
  call.body = data;
  call.has_body = true;
  call.payload_sha256 = std::string(sha256);
  auto r = Perform(call, on_send, wire_bytes);
  if (!r.ok()) return r.error();
  return StoredEtag(r.value(), key, md5, "the object");
}

Result<std::string> S3Protocol::StoredEtag(const HttpResponse& r,
                                           std::string_view key,
                                           std::string_view md5,
                                           const std::string& what) const {
  if (r.status != 200) return Classify(r, RequestKind::kSend, ObjectUrl(key));
  auto etag = r.Header("etag");
  if (!etag || !PlausibleEtag(*etag)) {
    return Unexpected("the upload of " + what +
                          " was answered without a "
                          "usable ETag",
                      r, key);
  }
  // Without encryption S3 and RGW make the ETag of what one request stored
  // its MD5; when it looks like one it must be ours.
  std::string hex =
      std::string(absl::StripPrefix(absl::StripSuffix(*etag, "\""), "\""));
  if (!md5.empty() && hex.size() == 32 &&
      absl::AsciiStrToLower(hex) != HexEncode(md5)) {
    Error e = MakeError(
        FERRY_ERR_CHECKSUM_MISMATCH,
        "the server stored " + what + " with another MD5 than the one sent");
    e.url = ObjectUrl(key);
    return e;
  }
  return *etag;
}

Result<std::vector<S3PartInfo>> S3Protocol::ListParts(
    std::string_view key, std::string_view upload_id) {
  std::vector<S3PartInfo> all;
  uint32_t marker = 0;
  for (int page = 0; page < 11; ++page) {  // 10,000 parts, 1,000 a page
    Call call;
    call.op = S3Op::kListParts;
    call.method = "GET";
    call.key = std::string(key);
    call.query = {{"uploadId", std::string(upload_id)}};
    call.upload_id = std::string(upload_id);
    call.part_number = marker;
    if (marker > 0) {
      call.query.emplace_back("part-number-marker", std::to_string(marker));
    }
    auto r = Perform(call);
    if (!r.ok()) return r.error();
    if (r.value().status != 200) {
      return Classify(r.value(), RequestKind::kOffset, ObjectUrl(key));
    }
    auto list = ParseListParts(r.value().body);
    if (!list) return Unexpected("a malformed ListPartsResult", r.value(), key);
    for (S3PartInfo& p : list->parts) {
      if (!PlausibleEtag(p.etag) ||
          (!all.empty() && p.number <= all.back().number)) {
        return Unexpected("ListParts parts out of order or without ETag",
                          r.value(), key);
      }
      all.push_back(std::move(p));
    }
    if (!list->truncated) return all;
    if (list->next_marker <= marker) {
      return Unexpected("ListParts pages do not advance", r.value(), key);
    }
    marker = list->next_marker;
  }
  Error e = MakeError(FERRY_ERR_UNEXPECTED_RESPONSE,
                      "ListParts returned more than 10,000 parts");
  e.url = ObjectUrl(key);
  return e;
}

Status S3Protocol::Complete(std::string_view key, std::string_view upload_id,
                            const std::vector<S3PartInfo>& parts) {
  std::string body = CompleteBody(parts);
  Call call;
  call.op = S3Op::kComplete;
  call.method = "POST";
  call.key = std::string(key);
  call.query = {{"uploadId", std::string(upload_id)}};
  call.upload_id = std::string(upload_id);
  call.headers.emplace_back("Content-Type", "application/xml");
  call.body = body;
  call.has_body = true;
  auto r = Perform(call);
  if (!r.ok()) return r.error();
  const HttpResponse& resp = r.value();
  if (resp.status != 200)
    return Classify(resp, RequestKind::kSend, ObjectUrl(key));
  // S3 may answer 200 and still fail, with an <Error> in the body.
  if (ParseS3Error(resp.body)) {
    HttpResponse as_error = resp;
    as_error.status = 500;
    Error e = Classify(as_error, RequestKind::kSend, ObjectUrl(key));
    e.http_status = 200;
    e.message =
        "CompleteMultipartUpload answered 200 with an error: " + e.message;
    return e;
  }
  if (!IsCompleteResult(resp.body)) {
    return Unexpected("no CompleteMultipartUploadResult", resp, key);
  }
  return OkStatus();
}

Result<std::optional<std::string>> S3Protocol::HeadObjectEtag(
    std::string_view key) {
  Call call;
  call.op = S3Op::kHeadObject;
  call.method = "HEAD";
  call.key = std::string(key);
  auto r = Perform(call);
  if (!r.ok()) return r.error();
  if (r.value().status == 404) return std::optional<std::string>();
  if (r.value().status != 200) {
    return Classify(r.value(), RequestKind::kOffset, ObjectUrl(key));
  }
  std::optional<std::string> etag = r.value().Header("etag");
  if (!etag) return Unexpected("a HEAD without ETag", r.value(), key);
  return etag;
}

std::optional<std::string> MultipartEtag(const std::vector<S3PartInfo>& parts) {
  auto md5 = Hasher::Create("md5");
  if (!md5 || parts.empty()) return std::nullopt;
  for (const S3PartInfo& part : parts) {
    std::string_view hex = part.etag;
    if (hex.size() >= 2 && hex.front() == '"' && hex.back() == '"') {
      hex = hex.substr(1, hex.size() - 2);
    }
    if (hex.size() != 32 ||
        hex.find_first_not_of("0123456789abcdefABCDEF") != hex.npos) {
      return std::nullopt;
    }
    std::string raw = absl::HexStringToBytes(std::string(hex));
    md5->Update(raw.data(), raw.size());
  }
  return "\"" + HexEncode(md5->Finish()) + "-" + std::to_string(parts.size()) +
         "\"";
}

Status S3Protocol::Abort(std::string_view key, std::string_view upload_id) {
  Call call;
  call.op = S3Op::kAbort;
  call.method = "DELETE";
  call.key = std::string(key);
  call.query = {{"uploadId", std::string(upload_id)}};
  call.upload_id = std::string(upload_id);
  auto r = Perform(call);
  if (!r.ok()) return r.error();
  if (r.value().status != 204 && r.value().status != 200 &&
      r.value().status != 404) {
    return Classify(r.value(), RequestKind::kTerminate, ObjectUrl(key));
  }
  return OkStatus();
}

}  // namespace ferry::internal
