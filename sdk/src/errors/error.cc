// SPDX-License-Identifier: Apache-2.0
#include "errors/error.h"

#include <nlohmann/json.hpp>

namespace ferry::internal {
namespace {

struct CodeRow {
  int value;
  const char* name;
  ferry_category category;
  ferry_origin origin;
  bool retryable;
  ferry_action action;
  const char* meaning;
  const char* does;
};

#define FERRY_X_ROW_(value, upper, lower, cat, origin, retry, action, meaning, \
                     does)                                                     \
  {value,                                                                      \
   #lower,                                                                     \
   FERRY_CATEGORY_##cat,                                                       \
   FERRY_ORIGIN_##origin,                                                      \
   retry != 0,                                                                 \
   FERRY_ACTION_##action,                                                      \
   meaning,                                                                    \
   does},
constexpr CodeRow kCodes[] = {FERRY_ERROR_TABLE(FERRY_X_ROW_)};
#undef FERRY_X_ROW_

struct NameRow {
  int value;
  const char* name;
  const char* description;
};
#define FERRY_X_NAME_(value, upper, lower, desc) {value, #lower, desc},
constexpr NameRow kCategories[] = {FERRY_CATEGORY_TABLE(FERRY_X_NAME_)};
constexpr NameRow kOrigins[] = {FERRY_ORIGIN_TABLE(FERRY_X_NAME_)};
constexpr NameRow kActions[] = {FERRY_ACTION_TABLE(FERRY_X_NAME_)};
#undef FERRY_X_NAME_

template <typename Row, size_t N>
const Row* Find(const Row (&rows)[N], int value) {
  for (const Row& row : rows) {
    if (row.value == value) return &row;
  }
  return nullptr;
}

template <size_t N>
const char* NameOf(const NameRow (&rows)[N], int value) {
  const NameRow* row = Find(rows, value);
  return row ? row->name : nullptr;
}

}  // namespace

const char* CodeName(int code) {
  if (code == FERRY_OK) return "ok";
  const CodeRow* row = Find(kCodes, code);
  return row ? row->name : nullptr;
}
const char* CategoryName(int v) { return NameOf(kCategories, v); }
const char* OriginName(int v) { return NameOf(kOrigins, v); }
const char* ActionName(int v) { return NameOf(kActions, v); }
const char* ActionDescription(int v) {
  const NameRow* row = Find(kActions, v);
  return row ? row->description : nullptr;
}

std::optional<ferry_code> CodeFromName(std::string_view name) {
  for (const CodeRow& row : kCodes) {
    if (name == row.name) return static_cast<ferry_code>(row.value);
  }
  return std::nullopt;
}

std::optional<ferry_action> ActionFromName(std::string_view name) {
  for (const NameRow& row : kActions) {
    if (name == row.name) return static_cast<ferry_action>(row.value);
  }
  return std::nullopt;
}

std::optional<ferry_origin> OriginFromName(std::string_view name) {
  for (const NameRow& row : kOrigins) {
    if (name == row.name) return static_cast<ferry_origin>(row.value);
  }
  return std::nullopt;
}

bool CodeDefaults(int code, ferry_code_info* info) {
  const CodeRow* row = Find(kCodes, code);
  if (row == nullptr) return false;
  info->code = row->value;
  info->name = row->name;
  info->category = row->category;
  info->origin = row->origin;
  info->retryable = row->retryable ? 1 : 0;
  info->action = row->action;
  info->meaning = row->meaning;
  info->ferry_does = row->does;
  return true;
}

Error MakeError(ferry_code code, std::string message) {
  Error e;
  ferry_code_info info{};
  if (!CodeDefaults(code, &info)) {
    CodeDefaults(FERRY_ERR_INTERNAL_ERROR, &info);
    message = "unknown error code " + std::to_string(code) + ": " + message;
  }
  e.code = static_cast<ferry_code>(info.code);
  e.category = static_cast<ferry_category>(info.category);
  e.origin = static_cast<ferry_origin>(info.origin);
  e.retryable = info.retryable != 0;
  e.action = static_cast<ferry_action>(info.action);
  e.message = std::move(message);
  return e;
}

std::string Error::ToJson() const {
  nlohmann::json j = {
      {"code", CodeName(code)},
      {"category", CategoryName(category)},
      {"origin", OriginName(origin)},
      {"retryable", retryable},
      {"retry_after_ms", retry_after_ms >= 0 ? nlohmann::json(retry_after_ms)
                                             : nlohmann::json(nullptr)},
      {"action", ActionName(action)},
      {"message", message},
      {"http_status", http_status},
      {"server_code", server_code},
      {"server_message", server_message},
      {"request_id", request_id},
      {"limit", limit >= 0 ? nlohmann::json(limit) : nlohmann::json(nullptr)},
      {"url", url},
      {"clock_skew_ms", clock_skew_ms ? nlohmann::json(*clock_skew_ms)
                                      : nlohmann::json(nullptr)},
  };
  // Server text may be any bytes: replace invalid UTF-8 rather than throw.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void ScrubSecrets(const std::vector<std::string>& secrets, Error* error) {
  for (std::string* text :
       {&error->message, &error->server_message, &error->server_code,
        &error->request_id, &error->url}) {
    for (const std::string& secret : secrets) {
      if (secret.empty()) continue;
      for (size_t at = text->find(secret); at != std::string::npos;
           at = text->find(secret, at)) {
        text->replace(at, secret.size(), "<redacted>");
      }
    }
  }
}

}  // namespace ferry::internal
