// SPDX-License-Identifier: Apache-2.0
#include "protocols/tus/tus_headers.h"

#include <set>

#include "codec/hash.h"

namespace ferry::internal::tus {

std::optional<uint64_t> ParseSize(std::string_view value) {
  if (value.empty() || value.size() > 18) return std::nullopt;
  uint64_t v = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

bool ValidMetadataKey(std::string_view key) {
  if (key.empty() || key.size() > 256) return false;
  for (unsigned char c : key) {
    if (c <= 0x20 || c >= 0x7f || c == ',') return false;
  }
  return true;
}

std::optional<std::string> EncodeMetadata(
    const std::vector<std::pair<std::string, std::string>>& metadata) {
  std::string out;
  std::set<std::string> seen;
  for (const auto& [key, value] : metadata) {
    if (!ValidMetadataKey(key) || !seen.insert(key).second) return std::nullopt;
    if (!out.empty()) out += ',';
    out += key;
    if (!value.empty()) out += ' ' + Base64Encode(value);
  }
  return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>> DecodeMetadata(
    std::string_view value) {
  std::vector<std::pair<std::string, std::string>> out;
  std::set<std::string> seen;
  size_t start = 0;
  while (start < value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string_view::npos) comma = value.size();
    std::string_view item = value.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    size_t space = item.find(' ');
    std::string key(item.substr(0, space));
    if (!ValidMetadataKey(key) || !seen.insert(key).second) return std::nullopt;
    std::string decoded;
    if (space != std::string_view::npos) {
      auto v = Base64Decode(item.substr(space + 1));
      if (!v) return std::nullopt;
      decoded = std::move(*v);
    }
    out.emplace_back(std::move(key), std::move(decoded));
    start = comma + 1;
  }
  return out;
}

}  // namespace ferry::internal::tus
