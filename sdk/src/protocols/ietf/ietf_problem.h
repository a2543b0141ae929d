/* SPDX-License-Identifier: Apache-2.0 */
// The IETF resumable-upload draft's problem types (RFC 9457 bodies of type
// https://iana.org/assignments/http-problem-types#...) as ferry codes:
// mismatching-upload-offset and completed-upload are offset_mismatch (the
// session asks the server's offset and goes on or stops there),
// inconsistent-upload-length is unexpected_response (the upload and the
// file disagree about its length; sending more cannot cure it).
#ifndef FERRY_SDK_SRC_PROTOCOLS_IETF_IETF_PROBLEM_H_
#define FERRY_SDK_SRC_PROTOCOLS_IETF_IETF_PROBLEM_H_

#include <optional>

#include "errors/classify.h"
#include "http/http_client.h"

namespace ferry::internal::ietf {

// A verdict for a problem+json body of one of the draft's types (with the
// offsets a mismatching-upload-offset names); nullopt for any other body,
// which the generic reading then takes.
std::optional<ServerVerdict> ReadDraftProblem(const HttpResponse& response);

}  // namespace ferry::internal::ietf

#endif  // FERRY_SDK_SRC_PROTOCOLS_IETF_IETF_PROBLEM_H_
