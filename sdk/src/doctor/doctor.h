// ferry-doctor: checks, one by one, everything an upload to an endpoint
// depends on (name, route, TLS, clock, server capabilities, credentials, a
// tiny real upload) and says what is wrong and what to do.
#ifndef FERRY_SDK_SRC_DOCTOR_DOCTOR_H_
#define FERRY_SDK_SRC_DOCTOR_DOCTOR_H_

#include <optional>
#include <string>
#include <vector>

#include "engine/client_core.h"
#include "errors/error.h"

namespace ferry::internal {

struct DoctorCheck {
  std::string name;    // dns, tcp, tls, server, clock, upload
  std::string status;  // ok, warn, fail, skipped
  std::string detail;
  std::optional<Error> error;  // for warn and fail
};

struct DoctorReport {
  std::vector<DoctorCheck> checks;
  // The first failing check's error; nullopt when nothing failed.
  std::optional<Error> first_failure;
  std::string ToJson() const;
  std::string ToText() const;
};

DoctorReport RunDoctor(const ClientConfig& config);

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_DOCTOR_DOCTOR_H_
