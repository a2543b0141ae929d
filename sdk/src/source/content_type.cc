// SPDX-License-Identifier: Apache-2.0
#include "source/content_type.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"

namespace ferry::internal {

std::optional<std::string> ContentTypeIn(std::string_view mime_types,
                                         std::string_view name) {
  size_t dot = name.rfind('.');
  size_t slash = name.rfind('/');
  if (dot == std::string_view::npos || dot + 1 == name.size() ||
      (slash != std::string_view::npos && dot < slash)) {
    return std::nullopt;
  }
  std::string ext = absl::AsciiStrToLower(std::string(name.substr(dot + 1)));
  std::istringstream lines{std::string(mime_types)};
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string type, word;
    if (!(words >> type)) continue;
    while (words >> word) {
      if (word == ext) return type;
    }
  }
  return std::nullopt;
}

std::optional<std::string> GuessContentType(std::string_view name) {
  static const std::string* const kTable = [] {
    std::ifstream in("/etc/mime.types");
    std::ostringstream text;
    if (in) text << in.rdbuf();
    return new std::string(text.str());
  }();
  return ContentTypeIn(*kTable, name);
}

}  // namespace ferry::internal
