// SPDX-License-Identifier: Apache-2.0
#include "protocols/ietf/ietf_protocol.h"

#include <ctime>
#include <utility>
#include <vector>

#include "codec/hash.h"
#include "http/url.h"
#include "protocols/ietf/ietf_discovery.h"
#include "protocols/ietf/ietf_headers.h"
#include "protocols/ietf/ietf_problem.h"

namespace ferry::internal {
namespace {

// Content-Disposition for a file name (RFC 6266): a quoted ASCII name, and
// the name itself in filename* when it is not plain ASCII.
std::string Disposition(std::string_view name) {
  std::string ascii, encoded;
  bool plain = true;
  static const char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : name) {
    bool safe = c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '%';
    ascii.push_back(safe || c == ' ' ? static_cast<char>(c) : '_');
    if (!safe) plain = false;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
        (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_') {
      encoded.push_back(static_cast<char>(c));
    } else {
      encoded.push_back('%');
      encoded.push_back(kHex[c >> 4]);
      encoded.push_back(kHex[c & 15]);
    }
  }
  std::string out = "attachment; filename=\"";
  out.append(ascii).append("\"");
  if (!plain) out.append("; filename*=UTF-8''").append(encoded);
  return out;
}

// "sha256 BASE64" (the transfer's checksum) as a Content-Digest value.
std::string ContentDigest(const std::string& checksum) {
  constexpr std::string_view kPrefix = "sha256 ";
  if (!checksum.starts_with(kPrefix)) return "";
  std::optional<std::string> raw =
      Base64Decode(std::string_view(checksum).substr(kPrefix.size()));
  return raw ? ietf::Sha256DigestField(*raw) : "";
}

// What a creation carries at most before the interop version is known.
constexpr uint64_t kProbeBytes = 64 << 10;

// A refusal that means "not this interop version": the answer names no
// upload and is a 400 (the draft's servers refuse an unknown version so).
bool VersionRefused(const HttpResponse& r) {
  return r.status == 400 && !r.Header("location") && !r.Header("upload-offset");
}

// Upload-Limit of a response (nothing when absent or malformed: the draft
// ignores such a field); *expires (when given) gets max-age as an
// HTTP-date.
AppendLimits LimitsOf(const HttpResponse& r, std::string* expires) {
  AppendLimits got;
  std::optional<std::string> field = r.Header("upload-limit");
  std::optional<ietf::UploadLimits> parsed =
      field ? ietf::ParseUploadLimit(*field) : std::nullopt;
  if (!parsed) return got;
  if (parsed->max_size) {
    got.max_size =
        static_cast<int64_t>(std::min<uint64_t>(*parsed->max_size, INT64_MAX));
  }
  got.max_append_size = parsed->max_append_size.value_or(0);
  got.min_append_size = parsed->min_append_size.value_or(0);
  if (expires != nullptr && parsed->max_age &&
      *parsed->max_age < (uint64_t{1} << 40)) {
    *expires = HttpDate(time(nullptr) + static_cast<time_t>(*parsed->max_age));
  }
  return got;
}

// The draft's problem types are read before the generic reading.
ClassifyOptions WithDraftProblems(ClassifyOptions classify) {
  classify.protocol_body = ietf::ReadDraftProblem;
  return classify;
}

}  // namespace

IetfProtocol::IetfProtocol(HttpClient* http, std::string endpoint,
                           HeaderList headers, ClassifyOptions classify)
    : at_(http, std::move(endpoint), std::move(headers),
          WithDraftProblems(std::move(classify))) {}

void IetfProtocol::SetHeader(const std::string& name,
                             const std::string& value) {
  at_.SetHeader(name, value);
}

int IetfProtocol::interop_version() const {
  MutexLock lock(&mu_);
  return version_;
}

std::string IetfProtocol::tus_version_said() const {
  MutexLock lock(&mu_);
  return tus_version_said_;
}

HttpRequest IetfProtocol::NewRequest(std::string method, std::string url,
                                     int version) const {
  HttpRequest req = at_.NewRequest(std::move(method), std::move(url));
  req.headers.emplace_back("Upload-Draft-Interop-Version",
                           std::to_string(version));
  return req;
}

Error IetfProtocol::Classify(const HttpResponse& r, RequestKind kind,
                             const std::string& url) const {
  Error e = at_.Classify(r, kind, url);
  if (e.code == FERRY_ERR_FILE_TOO_LARGE) {
    int64_t max_size = LimitsOf(r, nullptr).max_size;
    if (max_size >= 0) e.limit = max_size;
  }
  return e;
}

Error IetfProtocol::Unexpected(const std::string& what, const HttpResponse& r,
                               const std::string& url) const {
  Error e = MakeError(
      FERRY_ERR_UNEXPECTED_RESPONSE,
      "the server's answer broke the IETF resumable-upload draft: " + what);
  e.http_status = r.status;
  e.url = RedactUrl(url);
  return e;
}

Status IetfProtocol::CheckUploadUrl(const std::string& url) const {
  return at_.CheckUploadUrl(url);
}

HttpOutcome IetfProtocol::PerformNegotiated(
    const std::function<HttpRequest(int version)>& make,
    const SendProgressFn& on_send, uint64_t* wire_bytes) {
  int fixed = interop_version();
  std::vector<int> versions;
  if (fixed != 0) {
    versions.push_back(fixed);
  } else {
    versions.assign(std::begin(ietf::kInteropVersions),
                    std::end(ietf::kInteropVersions));
  }
  // When every version is refused, the answer to the preferred one says
  // most (a server that knew it refused for a reason of its own).
  std::optional<HttpOutcome> first;
  for (int version : versions) {
    HttpRequest req = make(version);
    HttpOutcome out = at_.http()->Perform(req, on_send);
    if (wire_bytes != nullptr) *wire_bytes += out.body_bytes_sent;
    if (!out.ok) return out;
    if (fixed == 0 && VersionRefused(out.response)) {
      if (!first) first = std::move(out);
      continue;
    }
    if (fixed == 0 && out.response.status >= 200 && out.response.status < 300) {
      MutexLock lock(&mu_);
      version_ = version;
    }
    return out;
  }
  return std::move(*first);
}

Result<AppendCapabilities> IetfProtocol::Discover() {
  int version = interop_version();
  HttpOutcome out = at_.http()->Perform(
      NewRequest("OPTIONS", at_.url(),
                 version != 0 ? version : ietf::kInteropVersions[0]));
  std::string redacted = RedactUrl(at_.url());
  if (!out.ok) return ClassifyTransport(out.transport, redacted);
  const HttpResponse& r = out.response;
  AppendCapabilities caps;
  caps.deferred_length = true;
  caps.marks_last_request = true;
  // Servers need not answer OPTIONS: the creation tells the rest.
  if (r.status == 404 || r.status == 405 || r.status == 501) return caps;
  if (r.status < 200 || r.status >= 300) {
    return Classify(r, RequestKind::kDiscover, at_.url());
  }
  if (!ietf::OffersDraft(r) && r.Header("tus-version")) {
    // tus, and no word of the draft (servers before draft -10 need not
    // say): the creation tells; a refusal then names tus.
    MutexLock lock(&mu_);
    tus_version_said_ = *r.Header("tus-version");
  }
  caps.limits = LimitsOf(r, nullptr);
  if (auto want = r.Header("want-content-digest")) {
    if (ietf::WantsSha256(*want)) caps.checksum_algorithm = "sha256";
  }
  return caps;
}

Result<AppendCapabilities> IetfProtocol::CachedCapabilities() {
  std::optional<AppendCapabilities> cached;
  {
    MutexLock lock(&mu_);
    cached = caps_;
  }
  if (!cached) {
    Result<AppendCapabilities> caps = Discover();
    if (!caps.ok()) return caps.error();
    MutexLock lock(&mu_);
    caps_ = caps.value();
    cached = caps_;
  }
  // Until the interop version is known a creation carries a small first
  // piece (a small file whole, in one request): a refused version costs
  // only that, sent again.
  cached->create_with_bytes = true;
  cached->creation_bytes_cap = interop_version() != 0 ? 0 : kProbeBytes;
  return *cached;
}

Error IetfProtocol::Refused(const HttpResponse& r) const {
  Error e = Classify(r, RequestKind::kCreate, at_.url());
  std::string tus = tus_version_said();
  if (tus.empty() || e.category == FERRY_CATEGORY_AUTH) return e;
  Error named = MakeError(FERRY_ERR_PROTOCOL_UNSUPPORTED,
                          "the endpoint speaks tus 1.0 (Tus-Version: " + tus +
                              ") and refused the IETF draft's creation (HTTP " +
                              std::to_string(r.status) +
                              "): upload with protocol tus (or auto)");
  named.http_status = e.http_status;
  named.url = e.url;
  named.server_code = e.server_code;
  named.server_message = e.server_message;
  named.request_id = e.request_id;
  return named;
}

Result<CreateResult> IetfProtocol::Create(const CreateParams& params,
                                          const SendProgressFn& on_send,
                                          uint64_t* wire_bytes) {
  std::string name, type, sha256_hex;
  bool zstd = false;
  for (const auto& [key, value] : params.metadata) {
    if (key == "filename") {
      name = value;
    } else if (key == "filetype") {
      type = value;
    } else if (key == "sha256") {
      sha256_hex = value;
    } else if (key == "encoding") {
      zstd = value == "zstd";
    } else if (key != "original-length") {  // the seek table has it
      return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                       "the IETF draft carries no metadata but the file's "
                       "name and type; \"" +
                           key + "\" has no place in it");
    }
  }
  // The whole upload in this request: it says so, and is done.
  bool complete =
      !params.defer_length && params.first_bytes.size() == params.length;
  std::optional<std::string> early_url;
  std::optional<Error> refused;
  CreateResult result;
  auto on_interim = [&](const HttpResponse& interim) -> bool {
    if (interim.status != 104) return true;
    result.limits.Merge(LimitsOf(interim, &result.expires));
    std::optional<std::string> location = interim.Header("location");
    if (!location || early_url) return true;
    std::optional<std::string> url = ResolveUrl(at_.url(), *location);
    if (!url) {
      refused =
          Unexpected("the 104's Location does not parse", interim, at_.url());
      return false;
    }
    Status same_origin = CheckUploadUrl(*url);
    if (!same_origin.ok()) {
      refused = same_origin.error();
      return false;
    }
    early_url = *url;
    if (params.on_url) params.on_url(*url);
    return true;
  };
  auto make = [&](int version) {
    HttpRequest req = NewRequest("POST", at_.url(), version);
    req.headers.emplace_back("Upload-Complete", complete ? "?1" : "?0");
    if (!params.defer_length) {
      req.headers.emplace_back("Upload-Length", std::to_string(params.length));
    }
    if (!type.empty()) req.headers.emplace_back("Content-Type", type);
    if (!name.empty()) {
      req.headers.emplace_back("Content-Disposition", Disposition(name));
    }
    // The representation is ferry's seekable zstd stream of the file
    // (docs/ietf.md): the server stores it as sent.
    if (zstd) req.headers.emplace_back("Content-Encoding", "zstd");
    if (auto raw = HexDecode(sha256_hex); raw && raw->size() == 32) {
      req.headers.emplace_back("Repr-Digest", ietf::Sha256DigestField(*raw));
    }
    if (!params.first_bytes.empty()) {
      std::string digest = ContentDigest(params.checksum);
      if (!digest.empty()) req.headers.emplace_back("Content-Digest", digest);
      req.body = params.first_bytes;
    }
    req.has_body = true;  // an empty body is a POST of length 0
    req.on_interim = on_interim;
    return req;
  };
  HttpOutcome out = PerformNegotiated(make, on_send, wire_bytes);
  if (refused) return *refused;
  std::string redacted = RedactUrl(at_.url());
  if (!out.ok) return ClassifyTransport(out.transport, redacted);
  const HttpResponse& r = out.response;
  if (r.status == 413 && !early_url && !params.first_bytes.empty()) {
    // Content past a max-append-size the server had not announced: the
    // upload is created without content, the appends then split by the
    // limit this answer (and the creation's) gives.
    AppendLimits said = LimitsOf(r, nullptr);
    if (said.max_append_size > 0 &&
        said.max_append_size < params.first_bytes.size() &&
        (said.max_size < 0 ||
         params.length <= static_cast<uint64_t>(said.max_size))) {
      CreateParams bare = params;
      bare.first_bytes = {};
      bare.checksum.clear();
      Result<CreateResult> made = Create(bare, on_send, wire_bytes);
      if (made.ok()) made.value().limits.Merge(said);
      return made;
    }
  }
  if (r.status < 200 || r.status >= 300) {
    return Refused(r);
  }
  result.limits.Merge(LimitsOf(r, &result.expires));
  std::optional<std::string> location = r.Header("location");
  if (location) {
    std::optional<std::string> url = ResolveUrl(at_.url(), *location);
    if (!url) return Unexpected("Location does not parse", r, at_.url());
    Status same_origin = CheckUploadUrl(*url);
    if (!same_origin.ok()) return same_origin.error();
    if (early_url && *early_url != *url) {
      return Unexpected("the answer names another upload than its 104", r,
                        at_.url());
    }
    result.url = *url;
  } else if (early_url) {
    result.url = *early_url;
  } else {
    return Unexpected(std::to_string(r.status) +
                          " without the upload's Location (and no 104)",
                      r, at_.url());
  }
  uint64_t sent = params.first_bytes.size();
  if (auto value = r.Header("upload-offset")) {
    std::optional<uint64_t> offset = ietf::ParseSize(*value);
    if (!offset || *offset > sent) {
      return Unexpected("Upload-Offset after creation is out of range", r,
                        at_.url());
    }
    result.offset = *offset;
  } else if (sent > 0 && !complete) {
    return Unexpected("the creation's answer has no Upload-Offset", r,
                      at_.url());
  } else {
    result.offset = sent;  // a complete upload's final answer
  }
  result.complete = complete && result.offset == params.length;
  return result;
}

Result<OffsetResult> IetfProtocol::QueryOffset(const std::string& url) {
  HttpOutcome out = PerformNegotiated(
      [&](int version) { return NewRequest("HEAD", url, version); }, nullptr,
      nullptr);
  std::string redacted = RedactUrl(url);
  if (!out.ok) return ClassifyTransport(out.transport, redacted);
  const HttpResponse& r = out.response;
  if (r.status < 200 || r.status >= 300) {
    return Classify(r, RequestKind::kOffset, url);
  }
  std::optional<std::string> value = r.Header("upload-offset");
  std::optional<uint64_t> offset =
      value ? ietf::ParseSize(*value) : std::nullopt;
  if (!offset) return Unexpected("Upload-Offset missing or malformed", r, url);
  OffsetResult result;
  result.offset = *offset;
  if (auto complete = r.Header("upload-complete")) {
    result.complete = ietf::ParseComplete(*complete).value_or(false);
  }
  if (auto length = r.Header("upload-length")) {
    std::optional<uint64_t> v = ietf::ParseSize(*length);
    if (!v) return Unexpected("Upload-Length is malformed", r, url);
    result.length = static_cast<int64_t>(*v);
  }
  if (result.complete && result.length < 0) {
    result.length = static_cast<int64_t>(result.offset);
  }
  if (result.length >= 0 &&
      (result.offset > static_cast<uint64_t>(result.length) ||
       (result.complete &&
        result.offset != static_cast<uint64_t>(result.length)))) {
    return Unexpected("Upload-Offset " + std::to_string(result.offset) +
                          " does not fit Upload-Length " +
                          std::to_string(result.length),
                      r, url);
  }
  result.limits = LimitsOf(r, &result.expires);
  return result;
}

Result<SendResult> IetfProtocol::Send(const std::string& url, uint64_t offset,
                                      const BodySource& body,
                                      const std::string& checksum,
                                      std::optional<uint64_t> declare_length,
                                      const SendProgressFn& on_send,
                                      uint64_t* wire_bytes) {
  std::string digest = ContentDigest(checksum);
  HttpOutcome out = PerformNegotiated(
      [&](int version) {
        HttpRequest req = NewRequest("PATCH", url, version);
        req.headers.emplace_back("Upload-Offset", std::to_string(offset));
        req.headers.emplace_back("Upload-Complete",
                                 declare_length ? "?1" : "?0");
        if (declare_length) {
          req.headers.emplace_back("Upload-Length",
                                   std::to_string(*declare_length));
          // The server's digest of all it stored, checked against the file.
          req.headers.emplace_back("Want-Repr-Digest", "sha-256=10");
        }
        req.headers.emplace_back("Content-Type",
                                 std::string(ietf::kPartialUpload));
        if (!digest.empty()) req.headers.emplace_back("Content-Digest", digest);
        req.source = &body;
        req.has_body = true;
        return req;
      },
      on_send, wire_bytes);
  std::string redacted = RedactUrl(url);
  if (!out.ok) return ClassifyTransport(out.transport, redacted);
  const HttpResponse& r = out.response;
  if (r.status < 200 || r.status >= 300) {
    return Classify(r, RequestKind::kSend, url);
  }
  bool bounded = body.length != BodySource::kUnknownLength;
  SendResult result;
  if (auto value = r.Header("upload-offset")) {
    std::optional<uint64_t> parsed = ietf::ParseSize(*value);
    if (!parsed) return Unexpected("Upload-Offset is malformed", r, url);
    result.offset = *parsed;
  } else if (bounded) {
    result.offset = offset + body.length;  // a success appended it all
  } else {
    return Unexpected("the append's answer has no Upload-Offset", r, url);
  }
  if (result.offset < offset ||
      (bounded && result.offset > offset + body.length)) {
    return Unexpected(
        "Upload-Offset " + std::to_string(result.offset) +
            " after sending bytes " + std::to_string(offset) + ".." +
            (bounded ? std::to_string(offset + body.length) : std::string("?")),
        r, url);
  }
  if (declare_length) {
    if (auto repr = r.Header("repr-digest")) {
      result.stored_sha256 = ietf::ParseSha256Digest(*repr).value_or("");
    }
  }
  LimitsOf(r, &result.expires);  // its max-age; the limits are known
  return result;
}

Status IetfProtocol::Terminate(const std::string& url) {
  HttpOutcome out = PerformNegotiated(
      [&](int version) { return NewRequest("DELETE", url, version); }, nullptr,
      nullptr);
  std::string redacted = RedactUrl(url);
  if (!out.ok) return ClassifyTransport(out.transport, redacted);
  int status = out.response.status;
  if ((status >= 200 && status < 300) || status == 404 || status == 410) {
    return OkStatus();
  }
  return Classify(out.response, RequestKind::kTerminate, url);
}

}  // namespace ferry::internal
