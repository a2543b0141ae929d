// SPDX-License-Identifier: Apache-2.0
#include "protocols/ietf/ietf_problem.h"

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"

namespace ferry::internal::ietf {
namespace {

constexpr std::string_view kTypeBase =
    "https://iana.org/assignments/http-problem-types#";

// A non-negative integer member ("expected-offset"), or -1.
int64_t Offset(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return -1;
  int64_t v = it->get<int64_t>();
  return v >= 0 ? v : -1;
}

}  // namespace

std::optional<ServerVerdict> ReadDraftProblem(const HttpResponse& r) {
  std::string type =
      absl::AsciiStrToLower(r.Header("content-type").value_or(""));
  if (type.find("application/problem+json") == std::string::npos) {
    return std::nullopt;
  }
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  auto t = j.find("type");
  if (t == j.end() || !t->is_string()) return std::nullopt;
  std::string uri = t->get<std::string>();
  if (!uri.starts_with(kTypeBase)) return std::nullopt;
  std::string name = uri.substr(kTypeBase.size());
  std::optional<Problem> generic = ParseProblem(r.body);
  std::string said =
      generic ? (!generic->detail.empty() ? generic->detail : generic->title)
              : "";
  ServerVerdict v;
  v.code = name;
  v.exact = true;
  if (name == "mismatching-upload-offset") {
    v.mapped = FERRY_ERR_OFFSET_MISMATCH;
    int64_t expected = Offset(j, "expected-offset");
    int64_t provided = Offset(j, "provided-offset");
    v.message = "the server expected the append at offset " +
                (expected >= 0 ? std::to_string(expected) : "?") + ", not " +
                (provided >= 0 ? std::to_string(provided) : "?");
  } else if (name == "completed-upload") {
    v.mapped = FERRY_ERR_OFFSET_MISMATCH;
    v.message = "the server's upload is already complete";
  } else if (name == "inconsistent-upload-length") {
    v.mapped = FERRY_ERR_UNEXPECTED_RESPONSE;
    v.message =
        "the server's upload has another length than this request "
        "says";
  } else {
    return std::nullopt;
  }
  if (!said.empty()) v.message += " (" + said + ")";
  return v;
}

}  // namespace ferry::internal::ietf
