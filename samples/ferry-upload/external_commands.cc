// SPDX-License-Identifier: Apache-2.0
#include "external_commands.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wordexp.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace ferry_cli {
namespace {

// The environment a command gets: what finds and runs programs, the
// locale, and the app's own FERRY_* and AWS_* settings; nothing else of
// ferry-upload's.
std::vector<std::string> CommandEnvironment() {
  static const char* const kNames[] = {"PATH",   "HOME",   "USER", "LANG",
                                       "LC_ALL", "TMPDIR", "TZ"};
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    bool keep = name.rfind("FERRY_", 0) == 0 || name.rfind("AWS_", 0) == 0;
    for (const char* wanted : kNames) keep = keep || name == wanted;
    if (keep) out.push_back(std::move(entry));
  }
  return out;
}

// Runs argv[0] (found on PATH) with posix_spawn: no shell, standard input
// from /dev/null, descriptors other than 0-2 not inherited (ours are all
// close-on-exec). Its output up to `limit` bytes, or nullopt when it could
// not run or exited with a failure. Thread-safe.
std::optional<std::string> Run(const std::vector<std::string>& argv,
                               size_t limit) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return std::nullopt;
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  // Whatever else is open (libcurl's own socket pairs included) stays here.
  ::posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env = CommandEnvironment();
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(),
                          envp.data());
  ::posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  std::string text;
  if (rc == 0) {
    char buf[4096];
    ssize_t n;
    // Read to the end (never leave the command blocked on a full pipe),
    // keeping up to `limit` bytes.
    while ((n = ::read(out[0], buf, sizeof buf)) != 0) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      if (text.size() < limit) text.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(out[0]);
  if (rc != 0) return std::nullopt;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return text;
}

std::string FirstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  while (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

std::optional<std::vector<std::string>> SplitCommand(const std::string& cmd) {
  wordexp_t we;
  if (::wordexp(cmd.c_str(), &we, WRDE_NOCMD) != 0) return std::nullopt;
  std::vector<std::string> out(we.we_wordv, we.we_wordv + we.we_wordc);
  ::wordfree(&we);
  if (out.empty()) return std::nullopt;
  return out;
}

bool RunRefreshCommand(const std::vector<std::string>& argv,
                       HeaderPairs* headers) {
  std::optional<std::string> out = Run(argv, 8192);
  if (!out) return false;
  // The value is a secret: it is never printed.
  std::string text = FirstLine(*out);
  size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string value = text.substr(colon + 1);
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  headers->emplace_back(text.substr(0, colon), value);
  return true;
}

std::optional<std::string> RunPresignCommand(
    const std::vector<std::string>& command, const ferry::S3PresignRequest& r) {
  static const char* const kOps[] = {"",           "create",   "upload_part",
                                     "list_parts", "complete", "abort",
                                     "head_object"};
  int op = static_cast<int>(r.op);
  if (op < 1 || op > 6) return std::nullopt;
  // Each value is one argument of its own: nothing of it is ever parsed by
  // a shell.
  std::vector<std::string> argv = command;
  for (const std::string& word :
       {std::string(kOps[op]), r.method, r.bucket, r.key, r.upload_id,
        std::to_string(r.part_number)}) {
    argv.push_back(word);
  }
  for (const auto& [name, value] : r.headers) {
    std::string header = name;
    header += ": ";
    header += value;
    argv.push_back(std::move(header));
  }
  std::optional<std::string> out = Run(argv, 16384);
  if (!out) return std::nullopt;
  std::string url = FirstLine(*out);
  if (url.empty()) return std::nullopt;
  return url;
}

}  // namespace ferry_cli
