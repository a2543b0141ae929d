// SPDX-License-Identifier: Apache-2.0
#include "cli_values.h"

#include <ferry/ferry.h>

#include <cstdlib>
#include <cstring>
#include <fstream>

extern char** environ;

namespace ferry_cli {
namespace {

// Leading decimal digits of `text` into *value; the index after them, or 0
// when there are none or they overflow.
size_t LeadingNumber(const std::string& text, uint64_t* value) {
  size_t pos = 0;
  uint64_t v = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    if (v > (UINT64_MAX - 9) / 10) return 0;
    v = v * 10 + static_cast<uint64_t>(text[pos] - '0');
    ++pos;
  }
  *value = v;
  return pos;
}

std::optional<uint64_t> Scaled(uint64_t v, uint64_t unit) {
  if (unit != 0 && v > UINT64_MAX / unit) return std::nullopt;
  return v * unit;
}

bool HasControl(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// "Name: value" into `out`; false when malformed.
bool AddHeaderLine(const std::string& line, HeaderPairs* out) {
  size_t colon = line.find(':');
  if (colon == std::string::npos || colon == 0 || HasControl(line)) {
    return false;
  }
  std::string value = line.substr(colon + 1);
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  out->emplace_back(line.substr(0, colon), value);
  return true;
}

}  // namespace

std::optional<uint64_t> ParseSize(const std::string& text) {
  uint64_t v = 0;
  size_t pos = LeadingNumber(text, &v);
  if (pos == 0) return std::nullopt;
  std::string suffix = text.substr(pos);
  if (suffix.empty() || suffix == "B") return v;
  if (suffix == "K" || suffix == "k" || suffix == "KiB") {
    return Scaled(v, 1ull << 10);
  }
  if (suffix == "M" || suffix == "m" || suffix == "MiB") {
    return Scaled(v, 1ull << 20);
  }
  if (suffix == "G" || suffix == "g" || suffix == "GiB") {
    return Scaled(v, 1ull << 30);
  }
  return std::nullopt;
}

std::optional<uint64_t> ParseDuration(const std::string& text,
                                      uint64_t bare_unit_ms) {
  uint64_t v = 0;
  size_t pos = LeadingNumber(text, &v);
  if (pos == 0) return std::nullopt;
  std::string unit = text.substr(pos);
  if (unit.empty()) return Scaled(v, bare_unit_ms);
  if (unit == "ms") return v;
  if (unit == "s") return Scaled(v, 1000);
  if (unit == "m") return Scaled(v, 60 * 1000);
  if (unit == "h") return Scaled(v, 3600 * 1000);
  return std::nullopt;
}

std::optional<std::string> AddHeaderArg(const std::string& arg,
                                        HeaderPairs* out) {
  if (arg.empty() || arg[0] != '@') {
    if (AddHeaderLine(arg, out)) return std::nullopt;
    return std::string("--header takes 'Name: value' or @FILE");
  }
  std::ifstream file(arg.substr(1));
  if (!file) return "cannot read header file " + arg.substr(1);
  std::string line;
  int number = 0;
  while (std::getline(file, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (!AddHeaderLine(line, out)) {
      return "header file " + arg.substr(1) + " line " +
             std::to_string(number) + " is not 'Name: value'";
    }
  }
  return std::nullopt;
}

HeaderPairs HeadersFromEnvironment() {
  HeaderPairs out;
  if (const char* token = std::getenv("FERRY_TOKEN"); token && *token) {
    out.emplace_back("Authorization", std::string("Bearer ") + token);
  }
  constexpr char kPrefix[] = "FERRY_HEADER_";
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    if (entry.rfind(kPrefix, 0) != 0) continue;
    size_t eq = entry.find('=');
    std::string name =
        entry.substr(sizeof kPrefix - 1, eq - sizeof kPrefix + 1);
    if (eq == std::string::npos || name.empty()) continue;
    for (char& c : name) {
      if (c == '_') c = '-';
    }
    std::string value = entry.substr(eq + 1);
    if (!HasControl(value)) out.emplace_back(name, value);
  }
  return out;
}

std::optional<int> ParseProtocol(const std::string& name) {
  if (name == "tus") return FERRY_PROTOCOL_TUS;
  if (name == "s3") return FERRY_PROTOCOL_S3;
  if (name == "ietf") return FERRY_PROTOCOL_IETF;
  if (name == "auto") return FERRY_PROTOCOL_AUTO;
  return std::nullopt;
}

}  // namespace ferry_cli
