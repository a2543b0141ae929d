// SPDX-License-Identifier: Apache-2.0
#include "errors/classify.h"

#include <curl/curl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"

namespace ferry::internal {
namespace {

bool ParseUint(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

ferry_code CodeForStatus(int status, RequestKind kind) {
  switch (status) {
    case 401:
      return FERRY_ERR_UNAUTHENTICATED;
    case 403:
      return FERRY_ERR_PERMISSION_DENIED;
    case 404:
    case 410:
      // On an upload URL: the server forgot the upload. On the endpoint:
      // the address is wrong.
      return (kind == RequestKind::kOffset || kind == RequestKind::kSend ||
              kind == RequestKind::kTerminate)
                 ? FERRY_ERR_UPLOAD_EXPIRED
                 : FERRY_ERR_UNEXPECTED_RESPONSE;
    case 409:
      return FERRY_ERR_OFFSET_MISMATCH;
    case 412:
      return FERRY_ERR_PROTOCOL_UNSUPPORTED;
    case 413:
      return FERRY_ERR_FILE_TOO_LARGE;
    case 422:
      return FERRY_ERR_CONTENT_REJECTED;
    case 423:
      return FERRY_ERR_UPLOAD_LOCKED;
    case 429:
      return FERRY_ERR_RATE_LIMITED;
    case 460:  // tus checksum extension: checksum mismatch
      return FERRY_ERR_CHECKSUM_MISMATCH;
    case 501:
      return FERRY_ERR_PROTOCOL_UNSUPPORTED;
    case 502:
    case 503:
    case 504:
      return FERRY_ERR_SERVER_UNAVAILABLE;
    case 507:
      return FERRY_ERR_QUOTA_EXCEEDED;
    default:
      break;
  }
  if (status >= 500) return FERRY_ERR_SERVER_ERROR;
  if (status >= 300 && status < 400) return FERRY_ERR_REDIRECT_REFUSED;
  return FERRY_ERR_UNEXPECTED_RESPONSE;
}

}  // namespace

namespace {

// "ERR_MAX_SIZE_EXCEEDED: ..." → "ERR_MAX_SIZE_EXCEEDED".
std::string LeadingCodeToken(std::string_view text) {
  size_t n = 0;
  while (n < text.size() && n < 64 &&
         ((text[n] >= 'A' && text[n] <= 'Z') || text[n] == '_' ||
          (text[n] >= '0' && text[n] <= '9'))) {
    ++n;
  }
  if (n >= 3 && n < text.size() && text[n] == ':') {
    return std::string(text.substr(0, n));
  }
  return "";
}

// The usual places services put an error's code and message in JSON.
void FromPlainJson(std::string_view body, std::string* code,
                   std::string* message) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return;
  auto text = [](const nlohmann::json& v) -> std::string {
    if (v.is_string()) return SanitizeServerText(v.get<std::string>());
    if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
    return "";
  };
  const nlohmann::json* scope = &j;
  if (auto e = j.find("error"); e != j.end()) {
    if (e->is_object()) {
      scope = &*e;
    } else if (message->empty()) {
      *message = text(*e);
    }
  }
  for (const char* k : {"code", "error_code", "errorCode"}) {
    if (auto it = scope->find(k); it != scope->end() && code->empty()) {
      *code = text(*it);
    }
  }
  for (const char* k : {"message", "detail", "error_description", "title"}) {
    if (auto it = scope->find(k); it != scope->end() && message->empty()) {
      *message = text(*it);
    }
  }
}

}  // namespace

std::optional<int64_t> MeasureClockSkewMs(const HttpResponse& response,
                                          int64_t now_unix_ms) {
  auto date = response.Header("date");
  if (!date) return std::nullopt;
  time_t when = curl_getdate(date->c_str(), nullptr);
  if (when < 0) return std::nullopt;
  return static_cast<int64_t>(when) * 1000 - now_unix_ms;
}

std::string SanitizeServerText(std::string_view body) {
  std::string out;
  for (char c : body) {
    if (c == '\n' || c == '\r') {
      if (!out.empty()) break;
      continue;
    }
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f ? c : '?');
    if (out.size() >= 300) break;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::optional<Problem> ParseProblem(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  Problem p;
  auto str = [&](const char* key) -> std::string {
    auto it = j.find(key);
    if (it == j.end()) return "";
    if (it->is_string()) return SanitizeServerText(it->get<std::string>());
    if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
    return "";
  };
  p.type = str("type");
  p.title = str("title");
  p.detail = str("detail");
  p.code = str("code");
  auto st = j.find("status");
  if (st != j.end() && st->is_number_integer()) {
    int64_t v = st->get<int64_t>();
    if (v >= 100 && v <= 999) p.status = static_cast<int>(v);
  }
  return p;
}

std::optional<int64_t> ParseRetryAfter(std::string_view value,
                                       int64_t now_unix) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  int64_t seconds = 0;
  if (ParseUint(value, &seconds)) {
    // Cap absurd values at a day; the retry deadline decides beyond that.
    return std::min<int64_t>(seconds, 86400) * 1000;
  }
  time_t when = curl_getdate(std::string(value).c_str(), nullptr);
  if (when < 0) return std::nullopt;
  int64_t delta = static_cast<int64_t>(when) - now_unix;
  return std::clamp<int64_t>(delta, 0, 86400) * 1000;
}

Error ClassifyTransport(const TransportError& f,
                        std::string_view redacted_url) {
  ferry_code code;
  std::string what;
  switch (static_cast<CURLcode>(f.curl_code)) {
    case CURLE_COULDNT_RESOLVE_HOST:
      code = FERRY_ERR_DNS_FAILURE;
      what = "the server's name could not be resolved";
      break;
    case CURLE_COULDNT_RESOLVE_PROXY:
      code = FERRY_ERR_PROXY_ERROR;
      what = "the proxy's name could not be resolved";
      break;
    case CURLE_COULDNT_CONNECT:
      if (f.os_errno == ENETUNREACH || f.os_errno == EHOSTUNREACH) {
        code = FERRY_ERR_NETWORK_UNREACHABLE;
        what = "no route to the server";
      } else {
        code = FERRY_ERR_CONNECTION_REFUSED;
        what = "the connection was refused";
      }
      break;
    case CURLE_OPERATION_TIMEDOUT:
      code = FERRY_ERR_TIMEOUT;
      what = "the transfer stalled or the connection timed out";
      break;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      code = FERRY_ERR_CONNECTION_RESET;
      what = "the connection broke during the request";
      break;
    case CURLE_PEER_FAILED_VERIFICATION:
      // libcurl (7.88, OpenSSL backend) checks the host name itself after
      // the chain verified, reporting X509_V_OK or X509_V_ERR_UNSPECIFIED
      // and saying "subject name ... match" in its message.
      if ((f.ssl_verify_result == X509_V_OK ||
           f.ssl_verify_result == X509_V_ERR_UNSPECIFIED) &&
          f.detail.find("subject name") != std::string::npos &&
          f.detail.find("match") != std::string::npos) {
        code = FERRY_ERR_CERTIFICATE_NAME_MISMATCH;
        what = "the server's certificate is for another name";
        break;
      }
      switch (f.ssl_verify_result) {
        case X509_V_ERR_CERT_HAS_EXPIRED:
        case X509_V_ERR_CERT_NOT_YET_VALID:
          code = FERRY_ERR_CERTIFICATE_EXPIRED;
          what = "the server's certificate has expired or is not yet valid";
          break;
        case X509_V_ERR_HOSTNAME_MISMATCH:
        case X509_V_ERR_IP_ADDRESS_MISMATCH:
          code = FERRY_ERR_CERTIFICATE_NAME_MISMATCH;
          what = "the server's certificate is for another name";
          break;
        default:
          code = FERRY_ERR_CERTIFICATE_UNTRUSTED;
          what = "the server's certificate is not trusted";
          break;
      }
      break;
    case CURLE_SSL_CONNECT_ERROR:
      code = FERRY_ERR_TLS_HANDSHAKE_FAILED;
      what = "the TLS handshake failed";
      break;
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      code = FERRY_ERR_INVALID_ARGUMENT;
      what = "the request could not be made as configured";
      break;
    case CURLE_ABORTED_BY_CALLBACK:
      code = FERRY_ERR_CANCELLED;
      what = "cancelled";
      break;
    case CURLE_WRITE_ERROR:
      if (f.response_too_large) {
        code = FERRY_ERR_UNEXPECTED_RESPONSE;
        what = "the server's response exceeded ferry's size cap";
        break;
      }
      code = FERRY_ERR_INTERNAL_ERROR;
      what = "response handling failed";
      break;
    case CURLE_OUT_OF_MEMORY:
      if (f.response_too_large) {
        code = FERRY_ERR_UNEXPECTED_RESPONSE;
        what = "the server's response exceeded ferry's size cap";
        break;
      }
      code = FERRY_ERR_INTERNAL_ERROR;
      what = "out of memory";
      break;
    default:
      if (f.response_too_large) {
        code = FERRY_ERR_UNEXPECTED_RESPONSE;
        what = "the server's response exceeded ferry's size cap";
      } else {
        code = FERRY_ERR_CONNECTION_RESET;
        what = "the transfer failed";
      }
      break;
  }
  Error e = MakeError(code, what + " (" + f.detail + ")");
  e.url = std::string(redacted_url);
  return e;
}

Error ClassifyResponse(const HttpResponse& r, RequestKind kind,
                       std::string_view redacted_url,
                       const ClassifyOptions& options) {
  ferry_code code = CodeForStatus(r.status, kind);
  if (code == FERRY_ERR_UNAUTHENTICATED) {
    auto www = r.Header("www-authenticate");
    if (www && absl::AsciiStrToLower(*www).find("invalid_token") !=
                   std::string::npos) {
      code = FERRY_ERR_CREDENTIALS_EXPIRED;
    }
  }
  std::string server_code, server_message;
  auto content_type = r.Header("content-type");
  std::string type = content_type ? absl::AsciiStrToLower(*content_type) : "";
  bool named_by_server = false;
  std::string body_request_id;
  std::optional<ServerVerdict> said;
  if (options.protocol_body) said = options.protocol_body(r);
  if (said) {
    server_code = said->code;
    server_message = said->message;
    if (said->mapped) {
      code = *said->mapped;
      named_by_server = said->exact;
    }
    body_request_id = said->request_id;
  } else if (type.find("application/problem+json") != std::string::npos) {
    if (auto p = ParseProblem(r.body)) {
      // A server that names a ferry code is taken at its word.
      if (auto named = CodeFromName(p->code)) {
        code = *named;
        named_by_server = true;
      }
      server_code = !p->code.empty() ? p->code : p->type;
      server_message = !p->detail.empty() ? p->detail : p->title;
    }
  } else if (type.find("json") != std::string::npos) {
    FromPlainJson(r.body, &server_code, &server_message);
  }
  if (server_message.empty()) server_message = SanitizeServerText(r.body);
  if (server_code.empty()) server_code = LeadingCodeToken(server_message);

  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::optional<int64_t> skew = MeasureClockSkewMs(r, now_ms);
  if (!named_by_server && (r.status == 401 || r.status == 403) && skew &&
      std::llabs(*skew) > options.max_clock_skew_ms) {
    code = FERRY_ERR_CLOCK_SKEW;
  }
  if (!named_by_server && r.status == 503) {
    // A long announced outage is maintenance, not a blip.
    if (auto ra = r.Header("retry-after")) {
      auto ms = ParseRetryAfter(*ra, now_ms / 1000);
      if (ms && *ms >= 120000) code = FERRY_ERR_SERVER_MAINTENANCE;
    }
  }

  ferry_code_info info{};
  CodeDefaults(code, &info);
  std::string message =
      std::string(info.meaning) + " (HTTP " + std::to_string(r.status);
  if (!server_message.empty()) message += ": " + server_message;
  message += ")";
  if (!r.redirect_refusal.empty()) message += ": " + r.redirect_refusal;
  Error e = MakeError(code, message);
  e.http_status = r.status;
  e.server_code = server_code;
  e.server_message = server_message;
  e.url = std::string(redacted_url);
  e.clock_skew_ms = skew;
  if (code == FERRY_ERR_CLOCK_SKEW && skew) {
    e.message += "; the server's clock is " +
                 std::to_string(std::llabs(*skew) / 1000) + " s " +
                 (*skew > 0 ? "ahead of" : "behind") + " this device's";
  }
  e.request_id = body_request_id;
  for (const char* h : {"x-request-id", "x-amz-request-id", "x-correlation-id",
                        "request-id", "x-trace-id"}) {
    if (auto id = r.Header(h)) {
      e.request_id = SanitizeServerText(*id);
      break;
    }
  }
  if (auto ra = r.Header("retry-after")) {
    if (auto ms = ParseRetryAfter(*ra, static_cast<int64_t>(time(nullptr)))) {
      e.retry_after_ms = *ms;
    }
  }
  if (code == FERRY_ERR_FILE_TOO_LARGE) {
    int64_t limit = 0;
    if (auto max = r.Header("tus-max-size"); max && ParseUint(*max, &limit)) {
      e.limit = limit;
    }
  }
  if (options.rules != nullptr) ApplyRules(*options.rules, r, &e);
  return e;
}

}  // namespace ferry::internal
