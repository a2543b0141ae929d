/* SPDX-License-Identifier: Apache-2.0 */
// Turns what came back from the network into one typed ferry error: libcurl
// and OpenSSL failures, HTTP status with its headers, RFC 9457
// application/problem+json bodies and plain-text bodies.
#ifndef FERRY_SDK_SRC_ERRORS_CLASSIFY_H_
#define FERRY_SDK_SRC_ERRORS_CLASSIFY_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "errors/error.h"
#include "errors/rules.h"
#include "http/http_client.h"

namespace ferry::internal {

// What the request was for; the same status means different things.
enum class RequestKind {
  kDiscover,  // OPTIONS on the endpoint
  kCreate,    // POST on the endpoint
  kOffset,    // HEAD on the upload
  kSend,      // PATCH on the upload
  kTerminate  // DELETE on the upload
};

Error ClassifyTransport(const TransportError& failure,
                        std::string_view redacted_url);

// What a protocol reads from an error body in its own format (S3's XML
// <Error>): the server's code, message and request ID, and the ferry code
// it stands for when the protocol knows it (`exact`: trust it over status
// heuristics such as clock skew).
struct ServerVerdict {
  std::string code;
  std::string message;
  std::string request_id;
  std::optional<ferry_code> mapped;
  bool exact = false;
};
using ProtocolBodyReader =
    std::function<std::optional<ServerVerdict>(const HttpResponse&)>;

struct ClassifyOptions {
  const std::vector<Rule>* rules = nullptr;  // the app's, applied last
  // A 401/403 while the server's clock differs by more than this is
  // clock_skew (signed requests and tokens fail on skewed clocks).
  int64_t max_clock_skew_ms = 120000;
  // The protocol's own error bodies (S3's XML, the IETF draft's problem
  // types), consulted first; nullopt leaves the body to the generic
  // problem+json and JSON reading.
  ProtocolBodyReader protocol_body;
};

// For a response whose status is not the success the protocol expects.
Error ClassifyResponse(const HttpResponse& response, RequestKind kind,
                       std::string_view redacted_url,
                       const ClassifyOptions& options = {});

// Server clock minus local clock from a response's Date header, if any.
std::optional<int64_t> MeasureClockSkewMs(const HttpResponse& response,
                                          int64_t now_unix_ms);

// Retry-After: delay-seconds or an HTTP-date; milliseconds from now_unix, or
// nullopt when absent or malformed. A date in the past yields 0.
std::optional<int64_t> ParseRetryAfter(std::string_view value,
                                       int64_t now_unix);

// Fields of an application/problem+json body.
struct Problem {
  std::string type, title, detail, code;
  int status = 0;
};
std::optional<Problem> ParseProblem(std::string_view body);

// The first line of a text body, printable ASCII only, at most 300 chars.
std::string SanitizeServerText(std::string_view body);

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_ERRORS_CLASSIFY_H_
