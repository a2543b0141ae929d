/* SPDX-License-Identifier: Apache-2.0 */
// The typed error every layer returns, and Result<T> to carry it.
#ifndef FERRY_SDK_SRC_ERRORS_ERROR_H_
#define FERRY_SDK_SRC_ERRORS_ERROR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "ferry/ferry.h"

namespace ferry::internal {

struct Error {
  ferry_code code = FERRY_ERR_INTERNAL_ERROR;
  ferry_category category = FERRY_CATEGORY_NONE;
  ferry_origin origin = FERRY_ORIGIN_NONE;
  bool retryable = false;
  int64_t retry_after_ms = -1;
  ferry_action action = FERRY_ACTION_NONE;
  std::string message;
  int http_status = 0;
  std::string server_code;
  std::string server_message;
  std::string request_id;
  int64_t limit = -1;
  std::string url;  // always redacted before it is stored here
  // Server clock minus this device's, from the response's Date header.
  std::optional<int64_t> clock_skew_ms;

  // One JSON object, the shape the CLI prints and Python mirrors.
  std::string ToJson() const;
};

// Replaces every occurrence of each secret in the error's texts (a server
// may echo a token back in its error body) with "<redacted>".
void ScrubSecrets(const std::vector<std::string>& secrets, Error* error);

// An error of `code` with the table's defaults and `message`.
Error MakeError(ferry_code code, std::string message);

// Whether the server refused the credentials (unauthenticated,
// credentials_expired): what the app's refresh hook may cure.
inline bool CredentialsRefused(const Error& error) {
  return error.code == FERRY_ERR_UNAUTHENTICATED ||
         error.code == FERRY_ERR_CREDENTIALS_EXPIRED;
}

// Table look-ups; nullptr for values outside the table.
const char* CodeName(int code);
const char* CategoryName(int category);
const char* OriginName(int origin);
const char* ActionName(int action);
const char* ActionDescription(int action);
// The code named `name` ("file_too_large"); nullopt when not in the table.
std::optional<ferry_code> CodeFromName(std::string_view name);
std::optional<ferry_action> ActionFromName(std::string_view name);
std::optional<ferry_origin> OriginFromName(std::string_view name);
// Fills the table defaults of `code`; false when it is not in the table.
bool CodeDefaults(int code, ferry_code_info* info);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design
  bool ok() const { return v_.index() == 0; }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  Error& error() { return std::get<1>(v_); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// For operations that return nothing on success.
struct Ok {};
using Status = Result<Ok>;
inline Status OkStatus() { return Ok{}; }

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_ERRORS_ERROR_H_
