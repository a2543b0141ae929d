// SPDX-License-Identifier: Apache-2.0
#include "protocols/tus/tus_protocol.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ctime>
#include <utility>

#include "codec/hash.h"
#include "errors/classify.h"
#include "http/url.h"
#include "protocols/ietf/ietf_discovery.h"
#include "protocols/tus/tus_headers.h"

namespace ferry::internal {
namespace {

constexpr char kTusVersion[] = "1.0.0";
constexpr char kOctetStream[] = "application/offset+octet-stream";

Error Unexpected(const std::string& what, const HttpResponse& r,
                 const std::string& url) {
  Error e = MakeError(FERRY_ERR_UNEXPECTED_RESPONSE,
                      "the server's answer broke the tus protocol: " + what);
  e.http_status = r.status;
  e.url = RedactUrl(url);
  return e;
}

}  // namespace

// The offset header every successful HEAD and PATCH must carry. A success
// status without it but with a body is a server reporting an error in the
// body (some gateways answer 200 with one): that body is classified.
Result<uint64_t> TusProtocol::RequireOffset(const HttpResponse& r,
                                            RequestKind kind,
                                            const std::string& url) const {
  auto value = r.Header("upload-offset");
  if (!value && !r.body.empty()) {
    Error e = at_.Classify(r, kind, url);
    e.message = "the server answered " + std::to_string(r.status) +
                " without Upload-Offset, with an error body: " + e.message;
    return e;
  }
  if (!value) return Unexpected("Upload-Offset missing", r, url);
  auto offset = tus::ParseSize(*value);
  if (!offset) return Unexpected("Upload-Offset is not a number", r, url);
  return *offset;
}

TusProtocol::TusProtocol(HttpClient* http, std::string endpoint,
                         HeaderList headers, ClassifyOptions classify)
    : at_(http, std::move(endpoint), std::move(headers), std::move(classify)) {}

void TusProtocol::SetHeader(const std::string& name, const std::string& value) {
  at_.SetHeader(name, value);
}

HttpRequest TusProtocol::NewRequest(std::string method, std::string url) const {
  HttpRequest req = at_.NewRequest(std::move(method), std::move(url));
  req.headers.emplace_back("Tus-Resumable", kTusVersion);
  // The client's clock, so a server can refuse (and explain) a skewed one.
  req.headers.emplace_back("Date", HttpDate(time(nullptr)));
  return req;
}

Status TusProtocol::CheckUploadUrl(const std::string& url) const {
  return at_.CheckUploadUrl(url);
}

Result<ServerCapabilities> TusProtocol::Discover() {
  HttpOutcome out = at_.http()->Perform(NewRequest("OPTIONS", at_.url()));
  std::string redacted = RedactUrl(at_.url());
  if (!out.ok) return ClassifyTransport(out.transport, redacted);
  const HttpResponse& r = out.response;
  if (r.status != 200 && r.status != 204) {
    return at_.Classify(r, RequestKind::kDiscover, at_.url());
  }
  ServerCapabilities caps;
  caps.versions = ParseHeaderList(r.Header("tus-version").value_or(""));
  caps.extensions = ParseHeaderList(r.Header("tus-extension").value_or(""));
  caps.checksum_algorithms =
      ParseHeaderList(r.Header("tus-checksum-algorithm").value_or(""));
  caps.ietf_draft = ietf::OffersDraft(r);
  if (std::find(caps.versions.begin(), caps.versions.end(), kTusVersion) ==
      caps.versions.end()) {
    std::string tus_version = r.Header("tus-version").value_or("absent");
    Error e = MakeError(
        FERRY_ERR_PROTOCOL_UNSUPPORTED,
        caps.ietf_draft
            ? "the endpoint speaks the IETF resumable-upload draft "
              "(Accept-Patch: application/partial-upload), not tus 1.0.0 "
              "(Tus-Version: " +
                  tus_version + "): upload with protocol ietf (or auto)"
            : "the endpoint does not offer tus 1.0.0 (Tus-Version: " +
                  tus_version + ")");
    e.http_status = r.status;
    e.url = redacted;
    return e;
  }
  if (auto max = r.Header("tus-max-size")) {
    auto v = tus::ParseSize(*max);
    if (!v) return Unexpected("Tus-Max-Size is not a number", r, at_.url());
    caps.max_size = static_cast<int64_t>(*v);
  }
  if (!caps.Has("creation")) {
    Error e = MakeError(FERRY_ERR_PROTOCOL_UNSUPPORTED,
                        "the server does not offer the tus creation extension");
    e.url = redacted;
    return e;
  }
  return caps;
}

Result<CreateResult> TusProtocol::Create(const CreateParams& params,
                                         const SendProgressFn& on_send,
                                         uint64_t* wire_bytes) {
  HttpRequest req = NewRequest("POST", at_.url());
  if (params.defer_length) {
    req.headers.emplace_back("Upload-Defer-Length", "1");
  } else {
    req.headers.emplace_back("Upload-Length", std::to_string(params.length));
  }
  auto metadata = tus::EncodeMetadata(params.metadata);
  if (!metadata) {
    return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                     "metadata keys must be unique, non-empty ASCII without "
                     "spaces or commas");
  }
  if (!metadata->empty())
    req.headers.emplace_back("Upload-Metadata", *metadata);
  if (!params.first_bytes.empty()) {
    req.headers.emplace_back("Content-Type", kOctetStream);
    if (!params.checksum.empty()) {
      req.headers.emplace_back("Upload-Checksum", params.checksum);
    }
    req.body = params.first_bytes;
    req.has_body = true;
  }
  HttpOutcome out = at_.http()->Perform(req, on_send);
  *wire_bytes += out.body_bytes_sent;
  std::string redacted = RedactUrl(at_.url());
  if (!out.ok) return ClassifyTransport(out.transport, redacted);
  const HttpResponse& r = out.response;
  if (r.status != 201) {
    if (r.status >= 200 && r.status < 300) {
      return Unexpected(
          "creation answered " + std::to_string(r.status) + " instead of 201",
          r, at_.url());
    }
    return at_.Classify(r, RequestKind::kCreate, at_.url());
  }
  auto location = r.Header("location");
  if (!location || location->empty()) {
    return Unexpected("201 without a Location", r, at_.url());
  }
  auto url = ResolveUrl(at_.url(), *location);
  if (!url) return Unexpected("Location does not parse", r, at_.url());
  Status same_origin = CheckUploadUrl(*url);
  if (!same_origin.ok()) return same_origin.error();
  CreateResult result;
  result.url = *url;
  result.expires = r.Header("upload-expires").value_or("");
  if (req.has_body) {
    // A server may take none, part or all of the bytes sent with creation.
    if (auto value = r.Header("upload-offset")) {
      auto offset = tus::ParseSize(*value);
      if (!offset || *offset > params.first_bytes.size()) {
        return Unexpected("Upload-Offset after creation is out of range", r,
                          at_.url());
      }
      result.offset = *offset;
    }
  }
  return result;
}

Result<OffsetResult> TusProtocol::QueryOffset(const std::string& url) {
  HttpOutcome out = at_.http()->Perform(NewRequest("HEAD", url));
  std::string redacted = RedactUrl(url);
  if (!out.ok) return ClassifyTransport(out.transport, redacted);
  const HttpResponse& r = out.response;
  if (r.status != 200 && r.status != 204) {
    return at_.Classify(r, RequestKind::kOffset, url);
  }
  Result<uint64_t> offset = RequireOffset(r, RequestKind::kOffset, url);
  if (!offset.ok()) return offset.error();
  OffsetResult result;
  result.offset = offset.value();
  if (auto length = r.Header("upload-length")) {
    auto v = tus::ParseSize(*length);
    if (!v) return Unexpected("Upload-Length is not a number", r, url);
    result.length = static_cast<int64_t>(*v);
  }
  result.expires = r.Header("upload-expires").value_or("");
  if (auto meta = r.Header("upload-metadata")) {
    if (auto pairs = tus::DecodeMetadata(*meta)) result.metadata = *pairs;
  }
  return result;
}

Result<SendResult> TusProtocol::Send(const std::string& url, uint64_t offset,
                                     const BodySource& body,
                                     const std::string& checksum,
                                     std::optional<uint64_t> declare_length,
                                     const SendProgressFn& on_send,
                                     uint64_t* wire_bytes) {
  HttpRequest req = NewRequest("PATCH", url);
  req.headers.emplace_back("Upload-Offset", std::to_string(offset));
  if (declare_length) {
    req.headers.emplace_back("Upload-Length", std::to_string(*declare_length));
  }
  req.headers.emplace_back("Content-Type", kOctetStream);
  if (!checksum.empty()) req.headers.emplace_back("Upload-Checksum", checksum);
  req.source = &body;
  req.has_body = true;
  HttpOutcome out = at_.http()->Perform(req, on_send);
  *wire_bytes += out.body_bytes_sent;
  std::string redacted = RedactUrl(url);
  if (!out.ok) return ClassifyTransport(out.transport, redacted);
  const HttpResponse& r = out.response;
  if (r.status != 204 && r.status != 200) {
    return at_.Classify(r, RequestKind::kSend, url);
  }
  Result<uint64_t> new_offset = RequireOffset(r, RequestKind::kSend, url);
  if (!new_offset.ok()) return new_offset.error();
  // (A body of unknown length is bounded by its sender, who checks.)
  if (new_offset.value() < offset ||
      (body.length != BodySource::kUnknownLength &&
       new_offset.value() > offset + body.length)) {
    return Unexpected("Upload-Offset " + std::to_string(new_offset.value()) +
                          " after sending bytes " + std::to_string(offset) +
                          ".." + std::to_string(offset + body.length),
                      r, url);
  }
  SendResult result;
  result.offset = new_offset.value();
  result.expires = r.Header("upload-expires").value_or("");
  return result;
}

Result<ServerCapabilities> TusProtocol::CachedDiscover() {
  {
    MutexLock lock(&mu_);
    if (caps_) return *caps_;
  }
  Result<ServerCapabilities> caps = Discover();
  if (caps.ok()) {
    MutexLock lock(&mu_);
    caps_ = caps.value();
  }
  return caps;
}

Result<AppendCapabilities> TusProtocol::CachedCapabilities() {
  Result<ServerCapabilities> discovered = CachedDiscover();
  if (!discovered.ok()) return discovered.error();
  const ServerCapabilities& caps = discovered.value();
  AppendCapabilities c;
  c.create_with_bytes = caps.Has("creation-with-upload");
  c.deferred_length = caps.Has("creation-defer-length");
  c.limits.max_size = caps.max_size;
  if (caps.Has("checksum")) {
    const auto& algos = caps.checksum_algorithms;
    auto offered = [&](const char* a) {
      return std::find(algos.begin(), algos.end(), a) != algos.end();
    };
    if (offered("sha256")) {
      c.checksum_algorithm = "sha256";
    } else if (offered("sha1")) {
      c.checksum_algorithm = "sha1";
    } else {
      for (const auto& a : algos) {
        if (Hasher::Create(a)) {
          c.checksum_algorithm = a;
          break;
        }
      }
    }
  }
  return c;
}

Status TusProtocol::Terminate(const std::string& url) {
  HttpOutcome out = at_.http()->Perform(NewRequest("DELETE", url));
  std::string redacted = RedactUrl(url);
  if (!out.ok) return ClassifyTransport(out.transport, redacted);
  int status = out.response.status;
  if (status == 204 || status == 200 || status == 404 || status == 410) {
    return OkStatus();
  }
  return at_.Classify(out.response, RequestKind::kTerminate, url);
}

}  // namespace ferry::internal
