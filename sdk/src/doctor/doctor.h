// SPDX-License-Identifier: Apache-2.0
// ferry-doctor: checks, one by one, everything an upload to an endpoint
// depends on (name, route, TLS, clock, server capabilities, credentials, a
// tiny real upload) and says what is wrong and what to do.
#ifndef FERRY_SDK_SRC_DOCTOR_DOCTOR_H_
#define FERRY_SDK_SRC_DOCTOR_DOCTOR_H_

#include <optional>
#include <string>
#include <vector>

#include "client/client_types.h"
#include "doctor/doctor_report.h"
#include "errors/error.h"

namespace ferry::internal {

DoctorReport RunDoctor(const ClientConfig& config);

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_DOCTOR_DOCTOR_H_
