/* SPDX-License-Identifier: Apache-2.0 */
// ferry-doctor's "draft" check: whether an endpoint speaks the IETF
// resumable-upload draft, in which interop versions, and with what limits.
#ifndef FERRY_SDK_SRC_PROTOCOLS_IETF_IETF_PROBE_H_
#define FERRY_SDK_SRC_PROTOCOLS_IETF_IETF_PROBE_H_

#include "client/client_types.h"
#include "doctor/doctor_report.h"
#include "http/http_client.h"

namespace ferry::internal::ietf {

// Skipped when the OPTIONS answer does not list application/partial-upload
// in Accept-Patch. Otherwise each known interop version is tried with an
// empty upload (Upload-Complete: ?0, the app's headers) that is cancelled
// again (DELETE) when the server placed it on the endpoint's origin; one
// placed elsewhere is neither followed nor removed (warn). ok with the
// versions that created an upload; warn when none did or a request failed.
void ProbeDraft(HttpClient* http, const ClientConfig& config,
                DoctorReport* report);

}  // namespace ferry::internal::ietf

#endif  // FERRY_SDK_SRC_PROTOCOLS_IETF_IETF_PROBE_H_
