// SPDX-License-Identifier: Apache-2.0
#include "http/http_client.h"

#include <curl/curl.h>
#include <fcntl.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "http/url.h"

namespace ferry::internal {

void ReplaceHeader(HeaderList* headers, const std::string& name,
                   const std::string& value) {
  std::erase_if(*headers, [&](const auto& h) {
    return absl::EqualsIgnoreCase(h.first, name);
  });
  headers->emplace_back(name, value);
}
std::string_view TrimHeaderValue(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' ||
                        s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string HttpDate(time_t when) {
  char date[64];
  struct tm tm;
  gmtime_r(&when, &tm);
  strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return date;
}

std::vector<std::string> ParseHeaderList(std::string_view value) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string_view::npos) comma = value.size();
    std::string_view item = TrimHeaderValue(value.substr(start, comma - start));
    if (!item.empty()) out.emplace_back(item);
    start = comma + 1;
  }
  return out;
}

namespace {

std::once_flag g_curl_init;

// Everything the libcurl callbacks of one transfer touch.
struct Transfer {
  const HttpOptions* options;
  const HttpRequest* request;
  const SendProgressFn* on_send;
  RateLimiter* limiter;
  HttpResponse response;
  size_t header_bytes = 0;  // over all responses of the request
  int responses = 0;        // status lines seen (1xx and the final one)
  uint64_t read_pos = 0;
  // All body bytes handed to libcurl, across rewinds: libcurl re-sends a
  // request by itself when a reused connection died before any response
  // byte, and those bytes crossed the wire too.
  uint64_t total_read = 0;
  bool too_large = false;
  bool aborted = false;
  bool source_failed = false;  // the body source refused (see BodySource)
  // The blank line ending the last response's headers arrived. libcurl
  // (7.88) reports success for a response cut off inside its headers.
  bool headers_complete = false;
  int status_line = 0;  // the status of the response being read
};

// The status code of a status line ("HTTP/1.1 104 ..."), or 0.
int StatusOf(std::string_view line) {
  size_t space = line.find(' ');
  if (space == std::string_view::npos || line.size() < space + 4) return 0;
  int code = 0;
  for (size_t i = space + 1; i < space + 4; ++i) {
    if (line[i] < '0' || line[i] > '9') return 0;
    code = code * 10 + (line[i] - '0');
  }
  return code;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  std::string_view line(data, len);
  if (line.substr(0, 5) == "HTTP/") {
    // A new response begins (after 1xx): forget the previous one's headers,
    // but not how many came: interim responses cannot go on for ever.
    t->response.headers.clear();
    t->headers_complete = false;
    t->status_line = StatusOf(line);
    if (++t->responses > t->options->max_interim_responses + 1) {
      t->too_large = true;
      return 0;
    }
  }
  if (line == "\r\n" || line == "\n") {
    t->headers_complete = true;
    if (t->status_line > 100 && t->status_line < 200 &&
        t->request->on_interim) {
      t->response.status = t->status_line;
      bool go_on = t->request->on_interim(t->response);
      t->response.status = 0;
      if (!go_on) {
        t->aborted = true;
        return 0;
      }
    }
  }
  // Counted over every response of the request, interim ones included.
  t->header_bytes += len;
  if (t->header_bytes > t->options->max_response_headers) {
    t->too_large = true;
    return 0;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos && line.substr(0, 5) != "HTTP/") {
    t->response.headers.emplace_back(
        absl::AsciiStrToLower(
            std::string(TrimHeaderValue(line.substr(0, colon)))),
        std::string(TrimHeaderValue(line.substr(colon + 1))));
  }
  return len;
}

// libcurl's sockets are not inherited by processes the app starts (its
// refresh or presign commands): they would hold connections open there.
int MarkCloseOnExec(void*, curl_socket_t fd, curlsocktype) {
  int flags = ::fcntl(fd, F_GETFD);
  if (flags >= 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
  return CURL_SOCKOPT_OK;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  if (t->response.body.size() + len > t->options->max_response_body) {
    t->too_large = true;
    return 0;  // CURLE_WRITE_ERROR: a server may not flood us
  }
  t->response.body.append(data, len);
  return len;
}

size_t OnRead(char* buffer, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  uint64_t length = t->request->BodyLength();
  size_t want =
      static_cast<size_t>(std::min<uint64_t>(size * n, length - t->read_pos));
  if (t->limiter != nullptr && want > 0) want = t->limiter->Take(want);
  if (want > 0 && t->request->source != nullptr) {
    int64_t got = t->request->source->read(t->read_pos, buffer, want);
    if (got == 0 && length == BodySource::kUnknownLength) return 0;  // end
    if (got <= 0) {
      t->source_failed = true;
      return CURL_READFUNC_ABORT;
    }
    want = static_cast<size_t>(got);
  } else if (want > 0) {
    std::memcpy(buffer, t->request->body.data() + t->read_pos, want);
  }
  t->read_pos += want;
  t->total_read += want;
  return want;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t,
               curl_off_t ulnow) {
  auto* t = static_cast<Transfer*>(user);
  if (*t->on_send && !(*t->on_send)(static_cast<uint64_t>(ulnow))) {
    t->aborted = true;
    return 1;
  }
  return 0;
}

int SeekBody(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0 ||
      static_cast<uint64_t>(offset) > t->request->BodyLength()) {
    return CURL_SEEKFUNC_FAIL;
  }
  t->read_pos = static_cast<uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

}  // namespace

std::optional<std::string> HttpResponse::Header(
    std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return std::nullopt;
}

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {
  if (options_.max_send_bytes_per_sec > 0) {
    limiter_ = std::make_unique<RateLimiter>(options_.max_send_bytes_per_sec);
  }
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

HttpClient::~HttpClient() {
  MutexLock lock(&mu_);
  for (void* h : idle_) curl_easy_cleanup(static_cast<CURL*>(h));
}

void* HttpClient::Acquire() {
  {
    MutexLock lock(&mu_);
    if (!idle_.empty()) {
      void* h = idle_.back();
      idle_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void HttpClient::Release(void* handle) {
  MutexLock lock(&mu_);
  idle_.push_back(handle);
}

bool HttpClient::OriginAllowed(std::string_view from_url,
                               std::string_view url) const {
  std::optional<std::string> to = UrlOrigin(url);
  if (!to) return false;
  if (to == UrlOrigin(from_url)) return true;
  return std::find(options_.allowed_origins.begin(),
                   options_.allowed_origins.end(),
                   *to) != options_.allowed_origins.end();
}

HttpOutcome HttpClient::Perform(const HttpRequest& request,
                                const SendProgressFn& on_send) {
  // Redirects are followed here, not by libcurl, so that the origin policy
  // is checked before a request (and its Authorization) leaves.
  HttpOutcome out = PerformOnce(request, on_send);
  HttpRequest next;
  uint64_t body_sent = out.body_bytes_sent;
  for (int hop = 0; out.ok; ++hop) {
    int status = out.response.status;
    bool keeps_method = status == 307 || status == 308;
    bool bodiless = !request.has_body && request.method != "POST";
    if (!(keeps_method ||
          (bodiless && (status == 301 || status == 302 || status == 303)))) {
      break;
    }
    auto location = out.response.Header("location");
    const std::string& from = hop == 0 ? request.url : next.url;
    std::optional<std::string> to =
        location ? ResolveUrl(from, *location) : std::nullopt;
    if (!to) {
      out.response.redirect_refusal = "a redirect without a usable Location";
      break;
    }
    if (!OriginAllowed(request.url, *to)) {
      out.response.redirect_refusal =
          "a redirect to another origin (" + UrlOrigin(*to).value_or("?") +
          "); ferry does not send your request or credentials there";
      break;
    }
    if (hop >= options_.max_redirects) {
      out.response.redirect_refusal = "more than " +
                                      std::to_string(options_.max_redirects) +
                                      " redirects in a row (a redirect loop?)";
      break;
    }
    next = request;
    next.url = *to;
    out = PerformOnce(next, on_send);
    body_sent += out.body_bytes_sent;
  }
  out.body_bytes_sent = body_sent;
  return out;
}

HttpOutcome HttpClient::PerformOnce(const HttpRequest& request,
                                    const SendProgressFn& on_send) {
  HttpOutcome out;
  CURL* h = static_cast<CURL*>(Acquire());
  if (h == nullptr) {
    out.transport.curl_code = CURLE_OUT_OF_MEMORY;
    out.transport.detail = "cannot create a libcurl handle";
    return out;
  }
  // reset() clears options but keeps the handle's live connections.
  curl_easy_reset(h);
  Transfer t;
  t.options = &options_;
  t.request = &request;
  t.on_send = &on_send;
  t.limiter = limiter_.get();
  char errbuf[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout_ms));  // NOLINT
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT,
                   static_cast<long>(options_.stall_min_bps));  // NOLINT
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
                   static_cast<long>(  // NOLINT(runtime/int)
                       (options_.stall_window_ms + 999) / 1000));
  if (!options_.ca_file.empty()) {
    curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
  }
  curl_easy_setopt(h, CURLOPT_SSLVERSION,
                   options_.tls_min_version >= 13 ? CURL_SSLVERSION_TLSv1_3
                                                  : CURL_SSLVERSION_TLSv1_2);
  if (!request.has_body) {
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(  // NOLINT(runtime/int)
                         options_.bodyless_deadline_ms));
  }
  if (options_.insecure_skip_tls_verify) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  curl_easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, MarkCloseOnExec);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);

  if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (request.has_body) {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    // -1: libcurl sends the body chunked (length unknown up front).
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
                     request.BodyLength() == BodySource::kUnknownLength
                         ? curl_off_t{-1}
                         : static_cast<curl_off_t>(request.BodyLength()));
    if (request.BodyLength() > kLargeBodyBytes && limiter_ == nullptr) {
      // Fewer, larger reads and sends: less CPU for ferry and for the
      // server than libcurl's 64 KiB default. Not under a rate cap: there
      // it would send in bursts, and lose more in flight to a cut.
      curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE,
                       static_cast<long>(  // NOLINT(runtime/int): libcurl
                           kLargeBodySendBuffer));
    }
    curl_easy_setopt(h, CURLOPT_READFUNCTION, OnRead);
    curl_easy_setopt(h, CURLOPT_READDATA, &t);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, SeekBody);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, &t);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else if (request.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
  } else if (request.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  struct curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    headers = curl_slist_append(headers, (name + ": " + value).c_str());
  }
  // No 100-continue round trip: tus PATCH bodies are bounded chunks.
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);

  CURLcode rc = curl_easy_perform(h);
  curl_slist_free_all(headers);

  curl_off_t sent = 0;
  curl_easy_getinfo(h, CURLINFO_SIZE_UPLOAD_T, &sent);
  out.body_bytes_sent = std::max<uint64_t>(
      sent > 0 ? static_cast<uint64_t>(sent) : 0, t.total_read);
  const char* why = nullptr;
  if (rc == CURLE_OK && !t.headers_complete) {
    rc = CURLE_PARTIAL_FILE;
    why = "the response ended inside its headers";
  }
  if (rc == CURLE_OUT_OF_MEMORY && t.header_bytes > 0) {
    // libcurl refuses a single header line over its own 100 KiB limit this
    // way; it is the server's oversized answer, not a lack of memory.
    t.too_large = true;
    why = "a response header line over libcurl's limit";
  }
  if (rc == CURLE_OK && !t.too_large) {
    long status = 0;  // NOLINT(runtime/int)
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    out.ok = true;
    out.response = std::move(t.response);
    out.response.status = static_cast<int>(status);
  } else {
    out.transport.curl_code = rc;
    curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &out.transport.os_errno);
    curl_easy_getinfo(h, CURLINFO_SSL_VERIFYRESULT,
                      &out.transport.ssl_verify_result);
    out.transport.aborted_by_caller = t.aborted || t.source_failed;
    out.transport.response_too_large = t.too_large;
    out.transport.detail = why != nullptr ? why
                           : errbuf[0]    ? errbuf
                                          : curl_easy_strerror(rc);
    long status = 0;  // NOLINT(runtime/int)
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    out.response.status = static_cast<int>(status);
  }
  if (rc == CURLE_OK || rc == CURLE_ABORTED_BY_CALLBACK) {
    Release(h);
  } else {
    // After a transport failure start from a fresh handle (and connection).
    curl_easy_cleanup(h);
  }
  return out;
}

}  // namespace ferry::internal
