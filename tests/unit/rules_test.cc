// SPDX-License-Identifier: Apache-2.0
#include "errors/rules.h"

#include <gtest/gtest.h>

#include "errors/classify.h"

namespace ferry::internal {
namespace {

HttpResponse Resp(int status, std::string body, HeaderList headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

constexpr char kRules[] = R"({"rules": [
  {"match": {"json": {"pointer": "/error/code", "equals": 50001}},
   "code": "clock_skew", "action": "sync_clock", "message": "Clock off"},
  {"match": {"status": 400, "json": {"pointer": "/error/code",
                                      "equals": "10001"}},
   "code": "file_type_blocked"},
  {"match": {"header": {"name": "X-Reason", "contains": "recipient"}},
   "code": "recipient_rejected", "origin": "recipient", "retryable": false},
  {"match": {"body_contains": "try later"}, "code": "rate_limited"}
]})";

TEST(Rules, ParseAndApplyEachKindOfCondition) {
  auto rules = ParseRules(kRules);
  ASSERT_TRUE(rules.ok()) << rules.error().message;
  ASSERT_EQ(rules.value().size(), 4u);
  ClassifyOptions o;
  o.rules = &rules.value();

  Error clock =
      ClassifyResponse(Resp(400, R"({"error":{"code":50001,"message":"sync"}})",
                            {{"content-type", "application/json"}}),
                       RequestKind::kCreate, "", o);
  EXPECT_EQ(clock.code, FERRY_ERR_CLOCK_SKEW);
  EXPECT_EQ(clock.action, FERRY_ACTION_SYNC_CLOCK);
  EXPECT_EQ(clock.server_code, "50001");
  EXPECT_NE(clock.message.find("Clock off"), std::string::npos);

  Error blocked = ClassifyResponse(Resp(400, R"({"error":{"code":10001}})"),
                                   RequestKind::kCreate, "", o);
  EXPECT_EQ(blocked.code, FERRY_ERR_FILE_TYPE_BLOCKED);
  // The status condition must hold too.
  Error other = ClassifyResponse(Resp(403, R"({"error":{"code":10001}})"),
                                 RequestKind::kCreate, "", o);
  EXPECT_EQ(other.code, FERRY_ERR_PERMISSION_DENIED);

  Error recipient =
      ClassifyResponse(Resp(403, "", {{"x-reason", "recipient blocked"}}),
                       RequestKind::kCreate, "", o);
  EXPECT_EQ(recipient.code, FERRY_ERR_RECIPIENT_REJECTED);
  EXPECT_EQ(recipient.origin, FERRY_ORIGIN_RECIPIENT);

  Error slow = ClassifyResponse(Resp(400, "please try later"),
                                RequestKind::kSend, "", o);
  EXPECT_EQ(slow.code, FERRY_ERR_RATE_LIMITED);
  EXPECT_TRUE(slow.retryable);
}

TEST(Rules, NoRuleLeavesTheServersCodeVisible) {
  Error e =
      ClassifyResponse(Resp(400, R"({"error":{"code":77,"message":"no"}})",
                            {{"content-type", "application/json"}}),
                       RequestKind::kCreate, "");
  EXPECT_EQ(e.code, FERRY_ERR_UNEXPECTED_RESPONSE);
  EXPECT_EQ(e.server_code, "77");
  EXPECT_EQ(e.server_message, "no");
  Error text = ClassifyResponse(Resp(413, "ERR_MAX_SIZE_EXCEEDED: too big"),
                                RequestKind::kCreate, "");
  EXPECT_EQ(text.server_code, "ERR_MAX_SIZE_EXCEEDED");
}

TEST(Rules, BadDocumentsAreRefusedWithTheRuleAtFault) {
  for (const char* bad : {
           "not json",
           "{}",
           R"({"rules": 3})",
           R"([{"code": "timeout"}])",
           R"([{"match": {}, "code": "timeout"}])",
           R"([{"match": {"status": 400}, "code": "no_such_code"}])",
           R"([{"match": {"status": 400}, "code": "timeout", "action": "x"}])",
           R"([{"match": {"status": 99}, "code": "timeout"}])",
           // Found by fuzzing: a float far outside int was cast (UB).
           R"([{"match": {"status": 2.02e51}, "code": "timeout"}])",
           R"([{"match": {"status": 400.5}, "code": "timeout"}])",
           R"([{"match": {"json": {"pointer": "no-slash", "equals": 1}},
                "code": "timeout"}])",
           R"([{"match": {"colour": "red"}, "code": "timeout"}])",
       }) {
    auto r = ParseRules(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, FERRY_ERR_INVALID_ARGUMENT);
  }
  auto r = ParseRules(R"([{"match": {"status": 400}, "code": "timeout"},
                          {"match": {"status": 400}, "code": "nope"}])");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("rule 1"), std::string::npos);
}

TEST(Classify, ClockSkewFromDateOn401And403Only) {
  HeaderList skewed = {{"date", "Mon, 01 Jan 2001 00:00:00 GMT"}};
  EXPECT_EQ(
      ClassifyResponse(Resp(403, "", skewed), RequestKind::kCreate, "").code,
      FERRY_ERR_CLOCK_SKEW);
  Error e = ClassifyResponse(Resp(401, "", skewed), RequestKind::kSend, "");
  EXPECT_EQ(e.code, FERRY_ERR_CLOCK_SKEW);
  ASSERT_TRUE(e.clock_skew_ms.has_value());
  EXPECT_LT(*e.clock_skew_ms, -86400000LL * 365);
  EXPECT_EQ(
      ClassifyResponse(Resp(500, "", skewed), RequestKind::kSend, "").code,
      FERRY_ERR_SERVER_ERROR);
}

TEST(Classify, LongAnnouncedOutageIsMaintenance) {
  EXPECT_EQ(ClassifyResponse(Resp(503, "", {{"retry-after", "3600"}}),
                             RequestKind::kSend, "")
                .code,
            FERRY_ERR_SERVER_MAINTENANCE);
  EXPECT_EQ(ClassifyResponse(Resp(503, "", {{"retry-after", "5"}}),
                             RequestKind::kSend, "")
                .code,
            FERRY_ERR_SERVER_UNAVAILABLE);
}

}  // namespace
}  // namespace ferry::internal
