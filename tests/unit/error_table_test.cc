// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "errors/error.h"
#include "ferry/ferry.h"
#include "http/url.h"

namespace ferry::internal {
namespace {

TEST(ErrorTable, ValuesAndNamesAreUniqueAndComplete) {
  std::set<int> values;
  std::set<std::string> names;
  int count = 0;
  for (int v = 1; v <= ferry_code_max(); ++v) {
    ferry_code_info info = FERRY_CODE_INFO_INIT;
    if (!ferry_code_info_get(v, &info)) continue;
    ++count;
    EXPECT_TRUE(values.insert(info.code).second);
    EXPECT_TRUE(names.insert(info.name).second) << info.name;
    EXPECT_NE(ferry_category_name(info.category), nullptr);
    EXPECT_NE(ferry_origin_name(info.origin), nullptr);
    EXPECT_NE(ferry_action_name(info.action), nullptr);
    EXPECT_GT(std::string(info.meaning).size(), 10u);
    EXPECT_EQ(CodeFromName(info.name), static_cast<ferry_code>(v));
  }
  EXPECT_EQ(count, ferry_code_max());  // no gaps so far
  EXPECT_EQ(ferry_code_name(0), std::string("ok"));
  EXPECT_EQ(ferry_code_name(10000), nullptr);
}

TEST(ErrorTable, ReleasedValuesNeverChange) {
  // Append-only: these numbers are part of the ABI.
  EXPECT_EQ(FERRY_ERR_INVALID_ARGUMENT, 1);
  EXPECT_EQ(FERRY_ERR_FILE_TOO_LARGE, 21);
  EXPECT_EQ(FERRY_ERR_RATE_LIMITED, 26);
  EXPECT_EQ(FERRY_ERR_CHECKSUM_MISMATCH, 35);
  EXPECT_EQ(FERRY_ERR_INTERNAL_ERROR, 39);
}

TEST(ErrorTable, SlicesCodesExistWithExpectedDefaults) {
  for (const char* name : {"invalid_argument",
                           "file_not_found",
                           "file_unreadable",
                           "file_changed",
                           "cancelled",
                           "dns_failure",
                           "connection_refused",
                           "connection_reset",
                           "timeout",
                           "certificate_untrusted",
                           "tls_handshake_failed",
                           "unauthenticated",
                           "permission_denied",
                           "file_too_large",
                           "rate_limited",
                           "server_unavailable",
                           "server_error",
                           "upload_expired",
                           "protocol_unsupported",
                           "unexpected_response",
                           "checksum_mismatch"}) {
    EXPECT_TRUE(CodeFromName(name).has_value()) << name;
  }
  Error e = MakeError(FERRY_ERR_FILE_TOO_LARGE, "m");
  EXPECT_EQ(e.category, FERRY_CATEGORY_POLICY);
  EXPECT_EQ(e.origin, FERRY_ORIGIN_SERVER);
  EXPECT_FALSE(e.retryable);
  EXPECT_EQ(e.action, FERRY_ACTION_SPLIT_FILE);
}

TEST(ErrorTable, JsonCarriesEveryField) {
  Error e = MakeError(FERRY_ERR_RATE_LIMITED, "slow \xff down");
  e.retry_after_ms = 1500;
  e.http_status = 429;
  e.limit = 10;
  std::string j = e.ToJson();
  for (const char* key :
       {"\"code\":\"rate_limited\"", "\"category\":\"throttle\"",
        "\"origin\":\"server\"", "\"retryable\":true",
        "\"retry_after_ms\":1500", "\"action\":\"wait_and_retry\"",
        "\"http_status\":429", "\"limit\":10", "\"server_code\"",
        "\"request_id\"", "\"url\""}) {
    EXPECT_NE(j.find(key), std::string::npos) << key << " in " << j;
  }
}

TEST(Url, RedactionRemovesSecrets) {
  EXPECT_EQ(RedactUrl("https://user:pw@h.example/up/1?X-Amz-Signature=abc#f"),
            "https://h.example/up/1?<redacted>");
  EXPECT_EQ(RedactUrl("http://127.0.0.1:1080/files/x"),
            "http://127.0.0.1:1080/files/x");
  EXPECT_EQ(RedactUrl("::garbage::"), "<unparseable URL>");
}

TEST(Url, ResolveAndOrigin) {
  EXPECT_EQ(ResolveUrl("http://h:8/files/", "/files/abc"),
            "http://h:8/files/abc");
  EXPECT_EQ(ResolveUrl("http://h:8/files/", "abc"), "http://h:8/files/abc");
  EXPECT_EQ(ResolveUrl("http://h:8/files/", "https://o/x"), "https://o/x");
  EXPECT_FALSE(ResolveUrl("http://h/", "ftp://o/x").has_value());
  EXPECT_EQ(UrlOrigin("HTTPS://Example.COM/a"), "https://example.com:443");
  EXPECT_EQ(UrlOrigin("http://h:80/"), UrlOrigin("http://h/"));
  EXPECT_NE(UrlOrigin("http://h:81/"), UrlOrigin("http://h/"));
}

}  // namespace
}  // namespace ferry::internal
