/* SPDX-License-Identifier: Apache-2.0 */
// HTTP(S) transport over libcurl: pooled connections, TLS options, a stall
// timeout instead of a total one, capped response sizes, abortable transfers.
#ifndef FERRY_SDK_SRC_HTTP_HTTP_CLIENT_H_
#define FERRY_SDK_SRC_HTTP_HTTP_CLIENT_H_

#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/rate_limiter.h"
#include "sync/mutex.h"

namespace ferry::internal {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// A request whose body is longer than kLargeBodyBytes is sent through a
// libcurl buffer of kLargeBodySendBuffer (fewer, larger sends than its
// 64 KiB default), allocated for each such request in flight: the
// transfers count it against the memory budget.
inline constexpr uint64_t kLargeBodyBytes = 4 << 20;
inline constexpr uint64_t kLargeBodySendBuffer = 1 << 20;

// Sets header `name` in `headers`, replacing any of that name (any case).
void ReplaceHeader(HeaderList* headers, const std::string& name,
                   const std::string& value);
// A header value without the spaces and tabs around it (and a line end).
std::string_view TrimHeaderValue(std::string_view value);
// "Wed, 02 Dec 2026 06:00:00 GMT": an HTTP-date (RFC 9110's IMF-fixdate).
std::string HttpDate(time_t when);
// A comma-separated header value (Tus-Extension, Accept-Patch, ...): each
// item trimmed, empty items dropped.
std::vector<std::string> ParseHeaderList(std::string_view value);

struct HttpOptions {
  std::string ca_file;
  bool insecure_skip_tls_verify = false;
  int tls_min_version = 12;  // 12: TLS 1.2, the floor; 13: TLS 1.3
  // A request without a body ends within this (a server sending interim
  // responses or trickling headers cannot hold it; bodies have the stall
  // timeout instead).
  uint32_t bodyless_deadline_ms = 120000;
  int max_interim_responses = 16;  // 1xx responses before the final one
  uint32_t connect_timeout_ms = 15000;
  uint32_t stall_window_ms = 30000;
  uint32_t stall_min_bps = 1024;
  uint64_t max_send_bytes_per_sec = 0;
  size_t max_response_body = 1 << 20;       // bytes kept of a response body
  size_t max_response_headers = 256 << 10;  // all header bytes together
  // Origins ("https://host:port") besides the request's own that redirects
  // may lead to; requests (with their credentials) go nowhere else.
  std::vector<std::string> allowed_origins;
  int max_redirects = 5;
};

// A request body made on demand, so a long body streams from a bounded
// buffer: `read` copies up to `max` bytes at body position `pos` into `out`
// and returns how many (more than 0 while pos < length), or -1 to abort the
// request. Positions may be asked again: libcurl rewinds to re-send.
struct BodySource {
  // kUnknownLength: sent chunked; `read` returning 0 ends the body.
  static constexpr uint64_t kUnknownLength = UINT64_MAX;
  uint64_t length = 0;
  std::function<int64_t(uint64_t pos, char* out, size_t max)> read;
};

struct HttpResponse;

struct HttpRequest {
  std::string method;
  std::string url;
  HeaderList headers;
  // The body is borrowed; it must outlive Perform(). Sent only when has_body:
  // `source` when set, else `body`.
  std::string_view body;
  const BodySource* source = nullptr;
  bool has_body = false;
  // Called with each interim (1xx) response but 100 Continue, headers
  // complete, on the calling thread during Perform (the body may still be
  // going out); false aborts the request (aborted_by_caller).
  std::function<bool(const HttpResponse& interim)> on_interim;
  uint64_t BodyLength() const { return source ? source->length : body.size(); }
};

struct HttpResponse {
  int status = 0;
  HeaderList headers;  // names lower-cased, in arrival order
  std::string body;
  // Set when a 3xx was not followed: why ("to another origin ...", "more
  // than 5 redirects"). The 3xx itself is the response.
  std::string redirect_refusal;
  // Header value (the first with that lower-case name), if present.
  std::optional<std::string> Header(std::string_view lower_name) const;
};

// A request that produced no usable HTTP response.
struct TransportError {
  int curl_code = 0;           // CURLcode
  long os_errno = 0;           // NOLINT(runtime/int): CURLINFO_OS_ERRNO
  long ssl_verify_result = 0;  // NOLINT(runtime/int): X509_V_* value
  bool aborted_by_caller = false;
  bool response_too_large = false;
  std::string detail;  // curl's message; never contains the URL's secrets
};

struct HttpOutcome {
  bool ok = false;  // a complete HTTP response arrived (any status)
  HttpResponse response;
  TransportError transport;
  uint64_t body_bytes_sent = 0;
};

// Called as body bytes go out; return false to abort the transfer.
using SendProgressFn = std::function<bool(uint64_t sent)>;

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Thread-safe: each call borrows a pooled handle (keeping its connection
  // alive for the next call).
  HttpOutcome Perform(const HttpRequest& request,
                      const SendProgressFn& on_send = nullptr);

  const HttpOptions& options() const { return options_; }

  // Whether requests may go to `url`'s origin when they started at
  // `from_url`'s: the same origin or one the app allowlisted.
  bool OriginAllowed(std::string_view from_url, std::string_view url) const;

 private:
  HttpOutcome PerformOnce(const HttpRequest& request,
                          const SendProgressFn& on_send);

  void* Acquire();
  void Release(void* handle);

  HttpOptions options_;
  std::unique_ptr<RateLimiter> limiter_;  // null: no bandwidth cap
  Mutex mu_;
  std::vector<void*> idle_ ABSL_GUARDED_BY(mu_);  // CURL* handles
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_HTTP_HTTP_CLIENT_H_
