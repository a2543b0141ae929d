// SPDX-License-Identifier: Apache-2.0
// What the C ABI's files share: the opaque structs behind the handles and
// the conversions between C and the core's types.
#ifndef FERRY_SDK_SRC_CAPI_CAPI_COMMON_H_
#define FERRY_SDK_SRC_CAPI_CAPI_COMMON_H_

#include <atomic>
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
  // Shared: a call that does not start uploads (check_batch, pending,
  // forget) holds its own reference, so a reconfiguration before the first
  // upload replacing `core` never frees one still in use.
  std::shared_ptr<ferry::internal::ClientCore> core ABSL_GUARDED_BY(mu);
  bool started ABSL_GUARDED_BY(mu) = false;
  // ferry_client_free has begun: running calls are asked to stop (their
  // progress checks say cancel), new ones are refused, and the client is
  // deleted once `active_calls` is 0.
  std::atomic<bool> closing{false};
  int active_calls ABSL_GUARDED_BY(mu) = 0;
  ferry::internal::CondVar calls_ended;
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
// The one way every C entry point ends an exception it caught (call it
// inside the catch block): out of memory is reported as such, any other
// exception as internal_error saying what it was; nothing crosses into C.
ferry_code CaughtException(ferry_error** out) noexcept;
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

// One blocking call on a client (an upload, a batch, the doctor, the
// pending list): counted, so ferry_client_free waits for it to end instead
// of freeing what it uses. ok() is false when the client is being freed.
class ClientCall {
 public:
  explicit ClientCall(ferry_client* client);
  ~ClientCall();
  ClientCall(const ClientCall&) = delete;
  ClientCall& operator=(const ClientCall&) = delete;
  bool ok() const { return counted_; }
  // The error a call gets while the client is being freed.
  static ferry::internal::Error Closing();

 private:
  ferry_client* const client_;
  bool counted_ = false;
};

// True when this thread is inside a call on `client` (in one of its
// callbacks).
bool InCallOf(const ferry_client* client);

// `fn` made to report "cancel" once the client is being freed, so a running
// upload ends (its resume state kept) and ferry_client_free can go on.
template <typename Fn>
Fn StopWhenClosing(ferry_client* client, Fn fn) {
  return [client, fn = std::move(fn)](const auto& arg) {
    if (client->closing.load()) return false;
    return fn ? fn(arg) : true;
  };
}

// True when `s` holds a control character (names go into headers).
inline bool HasControl(const char* s) {
  for (const char* p = s; *p != '\0'; ++p) {
    if (static_cast<unsigned char>(*p) < 0x20 || *p == 0x7f) return true;
  }
  return false;
}

}  // namespace ferry::capi

#endif  // FERRY_SDK_SRC_CAPI_CAPI_COMMON_H_
