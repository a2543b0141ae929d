// SPDX-License-Identifier: Apache-2.0
#include "external_commands.h"

#include <cstdio>

namespace ferry_cli {

// Runs the app's refresh command; its first line "Name: value" is the fresh
// header. The value is a secret: it is never printed.
bool RunRefreshCommand(const std::string& cmd, HeaderPairs* headers) {
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return false;
  char line[8192];
  bool got = std::fgets(line, sizeof line, p) != nullptr;
  int status = ::pclose(p);
  if (!got || status != 0) return false;
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string value = text.substr(colon + 1);
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  headers->emplace_back(text.substr(0, colon), value);
  return true;
}

namespace {

// One shell word, whatever the text: inside single quotes, ' becomes '\''.
std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

// Runs the app's presign command for one S3 request; its first output line
// is the URL. Called from several threads at once (popen is thread-safe).
std::optional<std::string> RunPresignCommand(const std::string& cmd,
                                             const ferry::S3PresignRequest& r) {
  static const char* const kOps[] = {"",           "create",   "upload_part",
                                     "list_parts", "complete", "abort"};
  int op = static_cast<int>(r.op);
  if (op < 1 || op > 5) return std::nullopt;
  std::string line = cmd;
  for (const std::string& word :
       {std::string(kOps[op]), r.method, r.bucket, r.key, r.upload_id,
        std::to_string(r.part_number)}) {
    // Appended piece by piece: GCC 12 at -O3 misreads `" " + std::string`
    // as an overlapping copy (-Wrestrict).
    line += ' ';
    line += ShellQuote(word);
  }
  for (const auto& [name, value] : r.headers) {
    std::string header = name;
    header += ": ";
    header += value;
    line += ' ';
    line += ShellQuote(header);
  }
  FILE* p = ::popen(line.c_str(), "r");
  if (p == nullptr) return std::nullopt;
  std::string url;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p) != nullptr && url.size() < 16384) {
    url += buf;
    if (url.back() == '\n') break;
  }
  // Drain the rest so the command never blocks on a full pipe.
  while (std::fgets(buf, sizeof buf, p) != nullptr) {
  }
  if (::pclose(p) != 0) return std::nullopt;
  while (!url.empty() && (url.back() == '\n' || url.back() == '\r')) {
    url.pop_back();
  }
  if (url.empty()) return std::nullopt;
  return url;
}

}  // namespace ferry_cli
