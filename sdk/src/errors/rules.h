/* SPDX-License-Identifier: Apache-2.0 */
// App-registered rules that map a server's own error conventions (numeric
// codes, custom headers, body text) onto ferry codes. First match wins.
#ifndef FERRY_SDK_SRC_ERRORS_RULES_H_
#define FERRY_SDK_SRC_ERRORS_RULES_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "errors/error.h"
#include "http/http_client.h"

namespace ferry::internal {

struct Rule {
  // Conditions; every one given must hold. Empty / 0 means "any".
  int status = 0;
  std::string header_name;      // case-insensitive
  std::string header_contains;  // substring of that header's value
  std::string json_pointer;     // RFC 6901, into a JSON body
  std::string json_equals;      // the value there, as text (50001 == "50001")
  std::string body_contains;
  // Outcome.
  ferry_code code = FERRY_ERR_UNEXPECTED_RESPONSE;
  std::optional<ferry_action> action;
  std::optional<ferry_origin> origin;
  std::optional<bool> retryable;
  std::string message;
};

// Parses a rules document: {"rules": [ ... ]} or a bare array, each item
//   {"match": {"status": 400, "header": {"name": "X", "contains": "y"},
//              "json": {"pointer": "/error/code", "equals": 50001},
//              "body_contains": "text"},
//    "code": "clock_skew", "action": "sync_clock", "origin": "server",
//    "retryable": false, "message": "The device clock is out of sync"}
// Errors: invalid_argument naming the rule and field at fault.
Result<std::vector<Rule>> ParseRules(std::string_view json_text);

// Validates a rule built through an API. Errors: invalid_argument.
Status ValidateRule(const Rule& rule);

// Applies the first matching rule to `error` (classified from `response`);
// returns true when one matched.
bool ApplyRules(const std::vector<Rule>& rules, const HttpResponse& response,
                Error* error);

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_ERRORS_RULES_H_
