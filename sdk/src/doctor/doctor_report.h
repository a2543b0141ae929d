// SPDX-License-Identifier: Apache-2.0
// What ferry-doctor found, check by check: filled by the generic checks
// (DNS, TCP, TLS) and by each protocol's probe.
#ifndef FERRY_SDK_SRC_DOCTOR_DOCTOR_REPORT_H_
#define FERRY_SDK_SRC_DOCTOR_DOCTOR_REPORT_H_

#include <optional>
#include <string>
#include <vector>

#include "errors/error.h"
#include "http/http_client.h"

namespace ferry::internal {

struct DoctorCheck {
  // dns, tcp, tls, server, clock, auth, bucket, upload, draft
  std::string name;
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

  void Add(const std::string& name, const std::string& status,
           const std::string& detail, std::optional<Error> error);
  void Ok(const std::string& name, const std::string& detail) {
    Add(name, "ok", detail, std::nullopt);
  }
  void Skip(const std::string& name, const std::string& detail) {
    Add(name, "skipped", detail, std::nullopt);
  }
  void Warn(const std::string& name, const std::string& detail, Error e) {
    Add(name, "warn", detail, std::move(e));
  }
  void Fail(const std::string& name, const std::string& detail, Error e) {
    Add(name, "fail", detail, std::move(e));
  }
};

// A "clock" check from the server's Date header: fail (clock_skew) past
// `max_skew_ms`, skipped when there is no Date.
void ReportClockSkew(const HttpResponse& response, int64_t max_skew_ms,
                     DoctorReport* report);

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_DOCTOR_DOCTOR_REPORT_H_
