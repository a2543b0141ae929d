// SPDX-License-Identifier: Apache-2.0
#include "protocols/s3/aws_credentials.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wordexp.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/time/time.h"
#include "codec/json_number.h"

extern char** environ;

namespace ferry::internal {
namespace {

constexpr size_t kMaxProcessOutput = 64 * 1024;
constexpr int kProcessTimeoutMs = 60 * 1000;

std::string Trimmed(std::string_view s) {
  return std::string(absl::StripAsciiWhitespace(std::string(s)));
}

// Reads the child's output to its end (or kMaxProcessOutput, or the
// timeout), so it never blocks on a full pipe.
Result<std::string> ReadAll(int fd) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(kProcessTimeoutMs);
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                       "credential_process gave no answer within 60 s");
    }
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    if (out.size() + static_cast<size_t>(n) > kMaxProcessOutput) {
      return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                       "credential_process printed more than 64 KiB");
    }
    out.append(buf, static_cast<size_t>(n));
  }
}

// Runs a credential_process command line as the AWS CLI does: split into
// words (no shell, no command substitution), found on PATH, with this
// process's environment, standard input from /dev/null and no other
// descriptor inherited.
Result<std::string> RunProcess(const std::string& command) {
  wordexp_t words{};
  int split = ::wordexp(command.c_str(), &words, WRDE_NOCMD);
  if (split == WRDE_NOSPACE) ::wordfree(&words);  // partly allocated
  if (split == 0 && words.we_wordc == 0) ::wordfree(&words);
  if (split != 0 || words.we_wordc == 0) {
    return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                     "credential_process is not a command line ferry can "
                     "split (no $(...) or `...`)");
  }
  std::vector<std::string> argv(words.we_wordv,
                                words.we_wordv + words.we_wordc);
  ::wordfree(&words);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return MakeError(FERRY_ERR_INTERNAL_ERROR, "pipe() failed");
  }
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  ::posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = 0;
  int spawned =
      ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (spawned != 0) {
    ::close(pipe_fds[0]);
    return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                     "credential_process could not be run: " + argv[0] + ": " +
                         std::strerror(spawned));
  }
  Result<std::string> out = ReadAll(pipe_fds[0]);
  ::close(pipe_fds[0]);
  if (!out.ok()) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!out.ok()) return out.error();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return MakeError(
        FERRY_ERR_INVALID_ARGUMENT,
        "credential_process " + argv[0] + " failed (exit " +
            std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
  }
  return out;
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string ValueOr(const AwsIniFile& file, const std::string& section,
                    const char* key) {
  auto s = file.find(section);
  if (s == file.end()) return "";
  auto v = s->second.find(key);
  return v == s->second.end() ? "" : v->second;
}

}  // namespace

AwsIniFile ParseAwsIni(std::string_view text) {
  AwsIniFile out;
  std::string section;
  bool in_section = false;
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) continue;
    std::string t = Trimmed(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t.front() == '[') {
      // "[ ]" names nothing: its keys belong to no profile.
      std::string name = t.back() == ']' && t.size() > 2
                             ? Trimmed(t.substr(1, t.size() - 2))
                             : "";
      in_section = !name.empty();
      if (in_section) section = name;
      continue;
    }
    size_t eq = t.find('=');
    if (!in_section || eq == std::string::npos) continue;
    std::string key = absl::AsciiStrToLower(Trimmed(t.substr(0, eq)));
    std::string value = Trimmed(t.substr(eq + 1));
    if (!key.empty()) out[section][key] = value;
  }
  return out;
}

Result<ProcessCredentials> ParseCredentialProcessOutput(std::string_view text) {
  auto bad = [](const std::string& why) {
    return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                     "credential_process output: " + why);
  };
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  auto version = j.find("Version");
  if (version == j.end() || !version->is_number_integer() ||
      version->get<int64_t>() != 1) {
    return bad("Version is not 1");
  }
  auto text_of = [&](const char* name) -> std::optional<std::string> {
    auto v = j.find(name);
    if (v == j.end() || !v->is_string()) return std::nullopt;
    return v->get<std::string>();
  };
  ProcessCredentials out;
  auto id = text_of("AccessKeyId");
  auto secret = text_of("SecretAccessKey");
  if (!id || id->empty() || !secret || secret->empty()) {
    return bad("AccessKeyId or SecretAccessKey is missing");
  }
  out.keys.access_key_id = *id;
  out.keys.secret_access_key = *secret;
  out.keys.session_token = text_of("SessionToken").value_or("");
  if (j.contains("Expiration")) {
    auto when = text_of("Expiration");
    absl::Time t;
    std::string err;
    if (!when || !absl::ParseTime(absl::RFC3339_full, *when, &t, &err)) {
      return bad("Expiration is not an ISO 8601 time");
    }
    out.expires_unix_ms = absl::ToUnixMillis(t);
  }
  return out;
}

AwsCredentialDeps AwsCredentialDeps::System() {
  AwsCredentialDeps d;
  d.getenv = [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
  d.read_file = ReadFile;
  d.run = RunProcess;
  d.now_unix_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  return d;
}

Result<std::unique_ptr<AwsCredentialChain>> AwsCredentialChain::Resolve(
    const S3Credentials& given, AwsCredentialDeps deps,
    const std::string& chosen_profile) {
  auto env = [&](const char* name) { return deps.getenv(name).value_or(""); };
  std::string home = env("HOME");
  std::string profile =
      chosen_profile.empty() ? env("AWS_PROFILE") : chosen_profile;
  if (profile.empty()) profile = "default";
  std::string creds_path = env("AWS_SHARED_CREDENTIALS_FILE");
  if (creds_path.empty() && !home.empty()) {
    creds_path = home + "/.aws/credentials";
  }
  std::string config_path = env("AWS_CONFIG_FILE");
  if (config_path.empty() && !home.empty()) config_path = home + "/.aws/config";
  AwsIniFile creds_file = ParseAwsIni(deps.read_file(creds_path).value_or(""));
  AwsIniFile config_file =
      ParseAwsIni(deps.read_file(config_path).value_or(""));
  // The config file names profiles "[profile x]", except "[default]".
  std::string config_section =
      profile == "default" ? profile : "profile " + profile;
  auto profile_value = [&](const char* key) {
    std::string v = ValueOr(creds_file, profile, key);
    return v.empty() ? ValueOr(config_file, config_section, key) : v;
  };

  S3Credentials keys = given;
  std::string source = "options";
  if (keys.access_key_id.empty() && keys.secret_access_key.empty()) {
    keys.access_key_id = env("AWS_ACCESS_KEY_ID");
    keys.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
    keys.session_token = env("AWS_SESSION_TOKEN");
    source = "environment";
  }
  std::string process;
  if (keys.access_key_id.empty() && keys.secret_access_key.empty()) {
    keys.access_key_id = profile_value("aws_access_key_id");
    keys.secret_access_key = profile_value("aws_secret_access_key");
    keys.session_token = profile_value("aws_session_token");
    source = "profile " + profile;
    if (keys.access_key_id.empty() && keys.secret_access_key.empty()) {
      process = profile_value("credential_process");
      source = "credential_process of profile " + profile;
    }
  }
  keys.region = given.region;
  for (std::string v : {env("AWS_REGION"), env("AWS_DEFAULT_REGION"),
                        profile_value("region")}) {
    if (keys.region.empty()) keys.region = v;
  }
  if (keys.region.empty()) keys.region = "us-east-1";
  std::unique_ptr<AwsCredentialChain> chain(
      new AwsCredentialChain(std::move(deps), source));
  chain->process_ = process;
  chain->region_ = keys.region;
  MutexLock lock(&chain->mu_);
  if (!process.empty()) {
    Status fetched = chain->Fetch();
    if (!fetched.ok()) return fetched.error();
  } else if (keys.access_key_id.empty() || keys.secret_access_key.empty()) {
    return MakeError(
        FERRY_ERR_INVALID_ARGUMENT,
        "no S3 credentials: none in the options, AWS_ACCESS_KEY_ID/"
        "AWS_SECRET_ACCESS_KEY, or profile " +
            profile + " of " + creds_path + " and " + config_path);
  } else {
    chain->keys_ = keys;
  }
  return chain;
}

Status AwsCredentialChain::Fetch() {
  Result<std::string> out = deps_.run(process_);
  if (!out.ok()) return out.error();
  Result<ProcessCredentials> parsed = ParseCredentialProcessOutput(out.value());
  if (!parsed.ok()) return parsed.error();
  keys_ = parsed.value().keys;
  keys_.region = region_;
  expires_ms_ = parsed.value().expires_unix_ms;
  return OkStatus();
}

Result<S3Credentials> AwsCredentialChain::Current() {
  MutexLock lock(&mu_);
  if (expires_ms_ && deps_.now_unix_ms() >= *expires_ms_ - kRefreshBeforeMs) {
    Status fetched = Fetch();
    if (!fetched.ok()) {
      return MakeError(FERRY_ERR_CREDENTIALS_EXPIRED,
                       "the credentials expire and fetching new ones failed: " +
                           fetched.error().message);
    }
  }
  return keys_;
}

Result<bool> AwsCredentialChain::RenewNow() {
  if (process_.empty()) return false;
  MutexLock lock(&mu_);
  Status fetched = Fetch();
  if (!fetched.ok()) return fetched.error();
  return true;
}

}  // namespace ferry::internal
