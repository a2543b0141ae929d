// SPDX-License-Identifier: Apache-2.0
#include "protocols/s3/aws_credentials.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace ferry::internal {
namespace {

// A system made of maps: environment, files, one credential_process whose
// answers are scripted, and a clock the test moves.
struct FakeSystem {
  std::map<std::string, std::string> env;
  std::map<std::string, std::string> files;
  std::string process_output;
  int runs = 0;
  int64_t now_ms = 1'800'000'000'000;

  AwsCredentialDeps Deps() {
    AwsCredentialDeps d;
    d.getenv = [this](const char* name) -> std::optional<std::string> {
      auto it = env.find(name);
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    d.read_file = [this](const std::string& p) -> std::optional<std::string> {
      auto it = files.find(p);
      if (it == files.end()) return std::nullopt;
      return it->second;
    };
    d.run = [this](const std::string& command) -> Result<std::string> {
      ++runs;
      if (command != "get-keys --for ferry") {
        return MakeError(FERRY_ERR_INVALID_ARGUMENT, "unknown command");
      }
      return process_output;
    };
    d.now_unix_ms = [this] { return now_ms; };
    return d;
  }
};

TEST(AwsIni, SectionsKeysCommentsAndNestedValues) {
  AwsIniFile f = ParseAwsIni(
      "# a comment\n[default]\naws_access_key_id = AKID\n"
      "AWS_Secret_Access_Key=s3cr=t \n; another\n[profile dev]\n"
      "region = eu-west-3\ns3 =\n  addressing_style = path\n"
      "stray line\n[broken\nkey = ignored\n[ ]\nnameless = ignored\n");
  EXPECT_EQ(f["default"]["aws_access_key_id"], "AKID");
  EXPECT_EQ(f["default"]["aws_secret_access_key"], "s3cr=t");
  EXPECT_EQ(f["profile dev"]["region"], "eu-west-3");
  EXPECT_EQ(f["profile dev"].count("addressing_style"), 0u);
  EXPECT_EQ(f["profile dev"].count("key"), 0u);  // after a broken header
  // Found by the fuzzer: "[ ]" opened a section with an empty name.
  EXPECT_EQ(f.count(""), 0u);
  EXPECT_EQ(f["profile dev"].count("nameless"), 0u);
}

TEST(AwsCredentialProcess, OutputIsCheckedStrictly) {
  auto ok = ParseCredentialProcessOutput(
      R"({"Version":1,"AccessKeyId":"A","SecretAccessKey":"S",)"
      R"("SessionToken":"T","Expiration":"2027-01-02T03:04:05Z"})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok.value().keys.session_token, "T");
  EXPECT_EQ(ok.value().expires_unix_ms, int64_t{1798859045000});
  for (const char* bad :
       {"", "[]", R"({"Version":2,"AccessKeyId":"A","SecretAccessKey":"S"})",
        R"({"Version":1,"AccessKeyId":"A"})",
        R"({"Version":1,"AccessKeyId":"A","SecretAccessKey":"S",)"
        R"("Expiration":"tomorrow"})"}) {
    auto r = ParseCredentialProcessOutput(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, FERRY_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(r.error().message.find("\"S\""), std::string::npos);
  }
}

TEST(AwsCredentialChain, OrderIsOptionsEnvironmentProfile) {
  FakeSystem sys;
  sys.env = {{"HOME", "/h"}, {"AWS_PROFILE", "dev"}};
  sys.files["/h/.aws/credentials"] =
      "[default]\naws_access_key_id=DEF\naws_secret_access_key=d\n"
      "[dev]\naws_access_key_id=DEV\naws_secret_access_key=v\n";
  sys.files["/h/.aws/config"] = "[profile dev]\nregion = eu-north-1\n";
  S3Credentials given;
  auto from_profile = AwsCredentialChain::Resolve(given, sys.Deps());
  ASSERT_TRUE(from_profile.ok()) << from_profile.error().message;
  EXPECT_EQ(from_profile.value()->Current().value().access_key_id, "DEV");
  EXPECT_EQ(from_profile.value()->Current().value().region, "eu-north-1");
  EXPECT_EQ(from_profile.value()->source(), "profile dev");
  // The app's choice of profile wins over AWS_PROFILE.
  auto chosen = AwsCredentialChain::Resolve(given, sys.Deps(), "default");
  ASSERT_TRUE(chosen.ok()) << chosen.error().message;
  EXPECT_EQ(chosen.value()->Current().value().access_key_id, "DEF");
  EXPECT_EQ(chosen.value()->source(), "profile default");

  sys.env["AWS_ACCESS_KEY_ID"] = "ENV";
  sys.env["AWS_SECRET_ACCESS_KEY"] = "e";
  sys.env["AWS_REGION"] = "ap-south-2";
  auto from_env = AwsCredentialChain::Resolve(given, sys.Deps());
  EXPECT_EQ(from_env.value()->Current().value().access_key_id, "ENV");
  EXPECT_EQ(from_env.value()->Current().value().region, "ap-south-2");

  given.access_key_id = "OPT";
  given.secret_access_key = "o";
  auto from_options = AwsCredentialChain::Resolve(given, sys.Deps());
  EXPECT_EQ(from_options.value()->Current().value().access_key_id, "OPT");
  EXPECT_FALSE(from_options.value()->renewable());
}

TEST(AwsCredentialChain, NothingFoundNamesWhereItLooked) {
  FakeSystem sys;
  sys.env = {{"AWS_SHARED_CREDENTIALS_FILE", "/c"}, {"AWS_CONFIG_FILE", "/f"}};
  auto r = AwsCredentialChain::Resolve(S3Credentials{}, sys.Deps());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, FERRY_ERR_INVALID_ARGUMENT);
  EXPECT_NE(r.error().message.find("profile default of /c and /f"),
            std::string::npos);
}

TEST(AwsCredentialChain, ProcessKeysAreRenewedBeforeTheyExpire) {
  FakeSystem sys;
  sys.env = {{"AWS_CONFIG_FILE", "/f"}};
  sys.files["/f"] = "[default]\ncredential_process = get-keys --for ferry\n";
  auto answer = [&](const char* id, int64_t expires_in_s) {
    int64_t t = (sys.now_ms / 1000) + expires_in_s;
    char when[32];
    std::time_t tt = static_cast<std::time_t>(t);
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&tt));
    sys.process_output = std::string(R"({"Version":1,"AccessKeyId":")") + id +
                         R"(","SecretAccessKey":"s","Expiration":")" + when +
                         "\"}";
  };
  answer("FIRST", 3600);
  auto chain = AwsCredentialChain::Resolve(S3Credentials{}, sys.Deps());
  ASSERT_TRUE(chain.ok()) << chain.error().message;
  EXPECT_EQ(sys.runs, 1);
  EXPECT_TRUE(chain.value()->renewable());
  answer("SECOND", 3600);
  // 49 minutes on: more than 10 minutes left, the same keys.
  sys.now_ms += 49 * 60 * 1000;
  EXPECT_EQ(chain.value()->Current().value().access_key_id, "FIRST");
  EXPECT_EQ(sys.runs, 1);
  // 51 minutes on: inside the window, fetched again.
  sys.now_ms += 2 * 60 * 1000;
  EXPECT_EQ(chain.value()->Current().value().access_key_id, "SECOND");
  EXPECT_EQ(sys.runs, 2);
  // ExpiredToken: at once, whatever the clock says.
  answer("THIRD", 3600);
  EXPECT_TRUE(chain.value()->RenewNow().value());
  EXPECT_EQ(chain.value()->Current().value().access_key_id, "THIRD");
  // A failing renewal near expiry is credentials_expired, typed.
  sys.now_ms += 55 * 60 * 1000;
  sys.process_output = "not json";
  auto failed = chain.value()->Current();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, FERRY_ERR_CREDENTIALS_EXPIRED);
}

}  // namespace
}  // namespace ferry::internal
