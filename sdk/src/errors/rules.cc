// SPDX-License-Identifier: Apache-2.0
#include "errors/rules.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "codec/json_number.h"
#include "errors/classify.h"

namespace ferry::internal {
namespace {

// A scalar as text, so 50001 and "50001" compare equal.
std::optional<std::string> ScalarText(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_float()) return v.dump();
  return std::nullopt;
}

}  // namespace

Status ValidateRule(const Rule& rule) {
  auto bad = [](const std::string& why) -> Status {
    return MakeError(FERRY_ERR_INVALID_ARGUMENT, "invalid rule: " + why);
  };
  if (CodeName(rule.code) == nullptr || rule.code == FERRY_OK) {
    return bad("unknown code");
  }
  if (rule.status != 0 && (rule.status < 100 || rule.status > 999)) {
    return bad("status must be 100-999");
  }
  if (!rule.header_contains.empty() && rule.header_name.empty()) {
    return bad("header.contains needs header.name");
  }
  if (!rule.json_pointer.empty()) {
    try {
      nlohmann::json::json_pointer p(rule.json_pointer);
    } catch (const nlohmann::json::exception&) {
      return bad("json.pointer is not a JSON pointer: " + rule.json_pointer);
    }
  }
  if (rule.status == 0 && rule.header_name.empty() &&
      rule.json_pointer.empty() && rule.body_contains.empty()) {
    return bad("a rule needs at least one condition");
  }
  return OkStatus();
}

Result<std::vector<Rule>> ParseRules(std::string_view json_text) {
  nlohmann::json doc = nlohmann::json::parse(json_text, nullptr, false);
  auto bad = [](const std::string& why) {
    return MakeError(FERRY_ERR_INVALID_ARGUMENT, "rules: " + why);
  };
  if (doc.is_discarded()) return bad("not valid JSON");
  const nlohmann::json* list = &doc;
  if (doc.is_object()) {
    auto it = doc.find("rules");
    if (it == doc.end()) return bad("expected {\"rules\": [...]}");
    list = &*it;
  }
  if (!list->is_array()) return bad("\"rules\" must be an array");
  std::vector<Rule> rules;
  size_t index = 0;
  for (const auto& item : *list) {
    std::string where = "rule " + std::to_string(index++) + ": ";
    if (!item.is_object()) return bad(where + "must be an object");
    Rule r;
    try {
      const auto& match = item.at("match");
      if (!match.is_object()) return bad(where + "\"match\" must be an object");
      for (const auto& [key, value] : match.items()) {
        if (key == "status") {
          auto status = JsonInt(value, 100, 999);
          if (!status) return bad(where + "\"status\" must be 100..999");
          r.status = static_cast<int>(*status);
        } else if (key == "header") {
          r.header_name = value.at("name").get<std::string>();
          if (value.contains("contains")) {
            r.header_contains = value.at("contains").get<std::string>();
          }
        } else if (key == "json") {
          r.json_pointer = value.at("pointer").get<std::string>();
          auto text = ScalarText(value.at("equals"));
          if (!text) return bad(where + "json.equals must be a scalar");
          r.json_equals = *text;
        } else if (key == "body_contains") {
          r.body_contains = value.get<std::string>();
        } else {
          return bad(where + "unknown condition \"" + key + "\"");
        }
      }
      std::string code = item.at("code").get<std::string>();
      auto named = CodeFromName(code);
      if (!named) return bad(where + "unknown code \"" + code + "\"");
      r.code = *named;
      if (item.contains("action")) {
        std::string a = item.at("action").get<std::string>();
        r.action = ActionFromName(a);
        if (!r.action) return bad(where + "unknown action \"" + a + "\"");
      }
      if (item.contains("origin")) {
        std::string o = item.at("origin").get<std::string>();
        r.origin = OriginFromName(o);
        if (!r.origin) return bad(where + "unknown origin \"" + o + "\"");
      }
      if (item.contains("retryable")) {
        r.retryable = item.at("retryable").get<bool>();
      }
      if (item.contains("message")) {
        r.message = item.at("message").get<std::string>();
      }
    } catch (const nlohmann::json::exception& e) {
      return bad(where + "missing or mistyped field (" + e.what() + ")");
    }
    Status valid = ValidateRule(r);
    if (!valid.ok()) return bad(where + valid.error().message);
    rules.push_back(std::move(r));
  }
  return rules;
}

bool ApplyRules(const std::vector<Rule>& rules, const HttpResponse& response,
                Error* error) {
  if (rules.empty()) return false;
  nlohmann::json body;
  bool parsed = false;
  for (const Rule& rule : rules) {
    if (rule.status != 0 && rule.status != response.status) continue;
    if (!rule.header_name.empty()) {
      auto value = response.Header(absl::AsciiStrToLower(rule.header_name));
      if (!value || value->find(rule.header_contains) == std::string::npos) {
        continue;
      }
    }
    if (!rule.body_contains.empty() &&
        response.body.find(rule.body_contains) == std::string::npos) {
      continue;
    }
    std::string matched_value;
    if (!rule.json_pointer.empty()) {
      if (!parsed) {
        body = nlohmann::json::parse(response.body, nullptr, false);
        parsed = true;
      }
      if (body.is_discarded()) continue;
      nlohmann::json::json_pointer pointer(rule.json_pointer);
      if (!body.contains(pointer)) continue;
      auto text = ScalarText(body.at(pointer));
      if (!text || *text != rule.json_equals) continue;
      matched_value = *text;
    }
    Error e = MakeError(rule.code, "");
    e.http_status = error->http_status;
    e.request_id = error->request_id;
    e.retry_after_ms = error->retry_after_ms;
    e.url = error->url;
    e.limit = error->limit;
    e.clock_skew_ms = error->clock_skew_ms;
    e.server_message = error->server_message;
    e.server_code = !matched_value.empty() ? matched_value : error->server_code;
    if (rule.action) e.action = *rule.action;
    if (rule.origin) e.origin = *rule.origin;
    if (rule.retryable) e.retryable = *rule.retryable;
    ferry_code_info info{};
    CodeDefaults(rule.code, &info);
    e.message =
        (rule.message.empty() ? std::string(info.meaning) : rule.message) +
        " (HTTP " + std::to_string(response.status);
    if (!e.server_code.empty()) e.message += ", server code " + e.server_code;
    if (!e.server_message.empty()) e.message += ": " + e.server_message;
    e.message += ")";
    *error = std::move(e);
    return true;
  }
  return false;
}

}  // namespace ferry::internal
