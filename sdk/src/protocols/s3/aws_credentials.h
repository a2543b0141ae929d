/* SPDX-License-Identifier: Apache-2.0 */
// S3 credentials found as the AWS CLI finds them: the app's options, then
// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, then the profile (AWS_PROFILE,
// else "default") of the shared credentials file (AWS_SHARED_CREDENTIALS_FILE,
// else ~/.aws/credentials) and of the config file (AWS_CONFIG_FILE, else
// ~/.aws/config): its keys, else its credential_process. The region: the
// options, AWS_REGION, AWS_DEFAULT_REGION, the profile's region, us-east-1.
// Keys from a credential_process that carry an Expiration are fetched again
// before they expire, and at once when the server says ExpiredToken.
#ifndef FERRY_SDK_SRC_PROTOCOLS_S3_AWS_CREDENTIALS_H_
#define FERRY_SDK_SRC_PROTOCOLS_S3_AWS_CREDENTIALS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "errors/error.h"
#include "protocols/s3/sigv4.h"
#include "sync/mutex.h"

namespace ferry::internal {

// An AWS shared credentials or config file: section → key → value. Keys are
// lower-cased; "[profile x]" is kept as written (the caller knows which file
// uses which form). Comments (# or ;) and nested, indented values (an "s3 ="
// block) are skipped. Never fails: what is not a section or a key = value
// line is ignored, as the AWS CLI does.
using AwsIniFile = std::map<std::string, std::map<std::string, std::string>>;
AwsIniFile ParseAwsIni(std::string_view text);

// A credential_process's answer (Version 1 JSON): keys and, when it has
// one, the Expiration as Unix ms. Errors: credentials_invalid naming what is
// wrong (never quoting the secret).
struct ProcessCredentials {
  S3Credentials keys;
  std::optional<int64_t> expires_unix_ms;
};
Result<ProcessCredentials> ParseCredentialProcessOutput(std::string_view json);

// What the chain needs from the system, injectable for tests.
struct AwsCredentialDeps {
  std::function<std::optional<std::string>(const char* name)> getenv;
  // The file's text, or nullopt when it cannot be read.
  std::function<std::optional<std::string>(const std::string& path)> read_file;
  // Runs a credential_process command line; its standard output.
  std::function<Result<std::string>(const std::string& command)> run;
  std::function<int64_t()> now_unix_ms;
  // The system's: environment, files, posix_spawn (no shell), clock.
  static AwsCredentialDeps System();
};

class AwsCredentialChain {
 public:
  // Fetch again this long before an Expiration (the AWS SDKs' advisory
  // window is 15 min, their mandatory one 10 min).
  static constexpr int64_t kRefreshBeforeMs = 10 * 60 * 1000;

  // Resolves from `given` (the app's options; empty fields are unset);
  // `profile` is the app's choice of profile ("": AWS_PROFILE, then
  // "default"). Errors: invalid_argument when nothing gives keys (naming
  // where it looked), credentials_invalid / command failures from a
  // credential_process.
  static Result<std::unique_ptr<AwsCredentialChain>> Resolve(
      const S3Credentials& given, AwsCredentialDeps deps,
      const std::string& profile = "");

  // The keys to sign with now: fetched again first when they expire within
  // kRefreshBeforeMs. Thread-safe.
  Result<S3Credentials> Current();
  // The server said the keys expired: fetch them again now. Returns false
  // when they cannot be renewed (they did not come from a process).
  Result<bool> RenewNow();
  // Where the keys came from ("options", "environment", "profile dev in
  // /home/u/.aws/credentials", ...): for messages, never a secret.
  const std::string& source() const { return source_; }
  bool renewable() const { return !process_.empty(); }

 private:
  AwsCredentialChain(AwsCredentialDeps deps, std::string source)
      : deps_(std::move(deps)), source_(std::move(source)) {}
  Status Fetch() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  AwsCredentialDeps deps_;
  std::string source_;
  std::string process_;  // the credential_process command, or ""
  std::string region_;   // kept across fetches
  Mutex mu_;
  S3Credentials keys_ ABSL_GUARDED_BY(mu_);
  std::optional<int64_t> expires_ms_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_PROTOCOLS_S3_AWS_CREDENTIALS_H_
