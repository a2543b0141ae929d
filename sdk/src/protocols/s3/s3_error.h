/* SPDX-License-Identifier: Apache-2.0 */
// S3's XML error documents (<Error><Code>…</Code><Message>…</Message>…) and
// what their codes mean as ferry codes. Parsed with expat; DOCTYPEs (and so
// entity tricks) are refused, sizes and depth are bounded.
#ifndef FERRY_SDK_SRC_PROTOCOLS_S3_S3_ERROR_H_
#define FERRY_SDK_SRC_PROTOCOLS_S3_S3_ERROR_H_

#include <optional>
#include <string>
#include <string_view>

#include "errors/classify.h"
#include "ferry/ferry.h"

namespace ferry::internal {

struct S3Error {
  std::string code;        // "NoSuchUpload"
  std::string message;     // printable ASCII, one line, ≤ 300 chars
  std::string request_id;  // <RequestId>
  std::string resource;    // <Resource>
};

// The <Error> document in `body`, when it is one (an S3 200 response may
// carry one too: CompleteMultipartUpload). nullopt for anything else,
// including malformed XML and documents with a DOCTYPE.
std::optional<S3Error> ParseS3Error(std::string_view body);

// The ferry code an S3 error code stands for; nullopt when unknown.
std::optional<ferry_code> FerryCodeForS3(std::string_view s3_code);

// S3's part of classifying a response: an XML <Error> body (whatever the
// status; RGW leaves <Message> empty, and the code then says it all).
// nullopt for any other body. Set as ClassifyOptions::protocol_body.
std::optional<ServerVerdict> ReadS3ErrorBody(const HttpResponse& response);

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_PROTOCOLS_S3_S3_ERROR_H_
