// SPDX-License-Identifier: Apache-2.0
// What the C ABI's files share: the opaque structs behind the handles and
// the conversions between C and the core's types.
#ifndef FERRY_SDK_SRC_CAPI_CAPI_COMMON_H_
#define FERRY_SDK_SRC_CAPI_CAPI_COMMON_H_

#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "client/client_core.h"
#include "errors/error.h"
#include "ferry/ferry.h"
#include "sync/mutex.h"

struct ferry_error {
  ferry::internal::Error error;
  std::string json;
};

struct ferry_result {
  ferry::internal::UploadSummary summary;
  std::string url_redacted;
};

struct ferry_doctor_report {
  std::string json;
  std::string text;
};

struct ferry_credentials {
  ferry::internal::FreshCredentials* fresh;
  ferry_protocol protocol;
};

struct ferry_client {
  ferry::internal::ClientConfig config;
  ferry::internal::Mutex mu;
  std::unique_ptr<ferry::internal::ClientCore> core ABSL_GUARDED_BY(mu);
  bool started ABSL_GUARDED_BY(mu) = false;
};

namespace ferry::capi {

// Copies a caller's versioned struct: fields it does not know stay zero.
template <typename T>
T ReadVersioned(const T* in) {
  T out;
  std::memset(&out, 0, sizeof out);
  if (in != nullptr) {
    size_t n = in->struct_size < sizeof out ? in->struct_size : sizeof out;
    std::memcpy(&out, in, n);
  }
  return out;
}

// Stores `e` in *out (when not NULL) and returns its code.
ferry_code Fail(ferry::internal::Error e, ferry_error** out);
ferry_code Fail(ferry_code code, const char* message, ferry_error** out);
const char* Str(const char* s);
ferry_event ToC(const ferry::internal::Event& e, uint32_t file_index);
ferry_progress ToC(const ferry::internal::Progress& p);
// Metadata pairs from C; false on a NULL key.
bool ReadMetadata(const ferry_kv* kv, uint32_t count,
                  std::vector<std::pair<std::string, std::string>>* out);
// An upload's parameters from its C options (a copy: the callbacks and
// user data are kept, strings copied). Errors: invalid_argument.
ferry::internal::Status ParamsFromOptions(const ferry_upload_options* options,
                                          ferry::internal::UploadParams* out);
// The client's core, marking the client as started. NULL client: NULL.
ferry::internal::ClientCore* StartedCore(ferry_client* client);
ferry_result* NewResult(ferry::internal::UploadSummary summary);
// Cancels every running upload handle of `client` (resume state kept) and
// waits for them to end; the handles stay valid (ended, cancelled).
void EndUploadsOf(ferry_client* client);

// True when `s` holds a control character (names go into headers).
inline bool HasControl(const char* s) {
  for (const char* p = s; *p != '\0'; ++p) {
    if (static_cast<unsigned char>(*p) < 0x20 || *p == 0x7f) return true;
  }
  return false;
}

}  // namespace ferry::capi

#endif  // FERRY_SDK_SRC_CAPI_CAPI_COMMON_H_
