/* SPDX-License-Identifier: Apache-2.0 */
// Recognising an endpoint of the IETF resumable-upload draft
// (draft-ietf-httpbis-resumable-upload) from its OPTIONS answer: it must
// list application/partial-upload in Accept-Patch. ferry's client for the
// draft is not built yet; until it is, the tus discovery and ferry-doctor
// use this to say what such an endpoint speaks instead of only "not tus".
#ifndef FERRY_SDK_SRC_PROTOCOLS_IETF_IETF_DISCOVERY_H_
#define FERRY_SDK_SRC_PROTOCOLS_IETF_IETF_DISCOVERY_H_

#include <string_view>

#include "http/http_client.h"

namespace ferry::internal::ietf {

// The draft's media type for appends.
inline constexpr std::string_view kPartialUpload = "application/partial-upload";

// Whether an Accept-Patch value (RFC 5789: media types separated by
// commas, each with optional parameters) lists application/partial-upload,
// in any case. "*/*" and "application/*" do not count: the draft requires
// the full type.
bool AcceptsPartialUpload(std::string_view accept_patch);

// Whether an OPTIONS answer announces the draft.
bool OffersDraft(const HttpResponse& options_answer);

}  // namespace ferry::internal::ietf

#endif  // FERRY_SDK_SRC_PROTOCOLS_IETF_IETF_DISCOVERY_H_
