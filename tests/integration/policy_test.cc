// SPDX-License-Identifier: Apache-2.0
// The C rule API and the C++ credential refresh hook against the policy
// profile of the real local tus server.
#include <gtest/gtest.h>

#include <fstream>

#include "ferry/ferry.h"
#include "ferry/ferry.hpp"
#include "tus_server.h"

namespace {

using ferry_test::FileSha256;
using ferry_test::TempDir;
using ferry_test::TusServer;
using ferry_test::WriteRandomFile;

std::string PolicyFile(const TempDir& tmp, const std::string& json) {
  std::string path = tmp.path() + "/policy.json";
  std::ofstream(path) << json;
  return path;
}

TEST(Policy, CRuleApiMapsANumericServiceCode) {
  TempDir tmp;
  TusServer server({"--policy", PolicyFile(tmp, R"({"numeric_codes": true,
                                          "blocked_extensions": [".exe"]})")});
  ASSERT_TRUE(server.ok());
  ferry_client_options o = FERRY_CLIENT_OPTIONS_INIT;
  o.endpoint = server.endpoint().c_str();
  std::string state = tmp.path() + "/state";
  o.state_dir = state.c_str();
  ferry_client* client = ferry_client_new(&o, nullptr);
  ASSERT_NE(client, nullptr);

  ferry_rule bad = FERRY_RULE_INIT;
  bad.status = 400;
  bad.code = "no_such_code";
  ferry_error* err = nullptr;
  EXPECT_EQ(ferry_client_add_rule(client, &bad, &err),
            FERRY_ERR_INVALID_ARGUMENT);
  ferry_error_free(err);
  ferry_rule empty = FERRY_RULE_INIT;
  empty.code = "timeout";
  EXPECT_EQ(ferry_client_add_rule(client, &empty, nullptr),
            FERRY_ERR_INVALID_ARGUMENT);  // no condition

  ferry_rule rule = FERRY_RULE_INIT;
  rule.status = 400;
  rule.json_pointer = "/error/code";
  rule.json_equals = "10001";
  rule.code = "file_type_blocked";
  rule.message = "This service does not take executables";
  ASSERT_EQ(ferry_client_add_rule(client, &rule, nullptr), FERRY_OK);

  std::string file = WriteRandomFile(tmp.path(), "setup.exe", 100, 1);
  ferry_code rc =
      ferry_upload_file(client, file.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, FERRY_ERR_FILE_TYPE_BLOCKED);
  EXPECT_EQ(ferry_error_category(err), FERRY_CATEGORY_POLICY);
  EXPECT_EQ(ferry_error_action(err), FERRY_ACTION_PACKAGE_FILE);
  EXPECT_EQ(ferry_error_http_status(err), 400);
  EXPECT_STREQ(ferry_error_server_code(err), "10001");
  EXPECT_NE(std::string(ferry_error_message(err)).find("executables"),
            std::string::npos);
  ferry_error_free(err);
  // Rules cannot change once uploads started.
  EXPECT_EQ(ferry_client_add_rule(client, &rule, nullptr),
            FERRY_ERR_INVALID_ARGUMENT);
  ferry_client_free(client);
}

TEST(Policy, CxxRefreshHookContinuesTheUploadWhereItWas) {
  TempDir tmp;
  TusServer server({"--policy", PolicyFile(tmp, R"({"tokens": {
      "short": {"user": "ann", "ttl_ms": 200}, "fresh": {"user": "ann"}}})")});
  ASSERT_TRUE(server.ok());
  ferry::ClientOptions o;
  o.endpoint = server.endpoint();
  o.state_dir = tmp.path() + "/state";
  o.chunk_size = 64 * 1024;
  o.max_send_bytes_per_sec = 2 << 20;
  o.headers = {{"Authorization", "Bearer short"}};
  int refreshes = 0;
  o.refresh_credentials = [&](const ferry::Error& why, auto* headers) {
    ++refreshes;
    EXPECT_EQ(why.code, ferry::Code::k_credentials_expired);
    headers->emplace_back("Authorization", "Bearer fresh");
    return true;
  };
  auto client = ferry::Client::Create(o);
  ASSERT_TRUE(client.ok());
  std::string file = WriteRandomFile(tmp.path(), "f", 2 << 20, 2);
  int retries = 0;
  ferry::UploadOptions uo;
  uo.on_event = [&](const ferry::Event& e) {
    retries += e.type == FERRY_EVENT_RETRY;
    return true;
  };
  auto r = client.value()->Upload(file, uo);
  ASSERT_TRUE(r.ok()) << r.error().json;
  EXPECT_EQ(refreshes, 1);
  EXPECT_EQ(retries, 1);
  EXPECT_EQ(r.value().resumed_from, 0u);
  EXPECT_LT(r.value().wire_bytes, 2 * r.value().bytes);  // not started over
  EXPECT_EQ(server.StoredSha256(r.value().url), FileSha256(file));
}

TEST(Policy, RefreshThatGivesUpSurfacesTheTypedError) {
  TempDir tmp;
  TusServer server({"--policy", PolicyFile(tmp, R"({"tokens": {
      "good": {"user": "ann"}}})")});
  ASSERT_TRUE(server.ok());
  ferry::ClientOptions o;
  o.endpoint = server.endpoint();
  o.state_dir = tmp.path() + "/state";
  o.headers = {{"Authorization", "Bearer wrong"}};
  o.refresh_credentials = [](const ferry::Error&, auto*) { return false; };
  auto client = ferry::Client::Create(o);
  ASSERT_TRUE(client.ok());
  auto r = client.value()->Upload(WriteRandomFile(tmp.path(), "f", 10, 3));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ferry::Code::k_unauthenticated);
  EXPECT_EQ(r.error().action, "sign_in");
}

}  // namespace
