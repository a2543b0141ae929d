// SPDX-License-Identifier: Apache-2.0
#include "protocols/ietf/ietf_headers.h"

#include <utility>

#include "http/structured_fields.h"

namespace ferry::internal::ietf {
namespace {

std::optional<uint64_t> NonNegative(const sf::BareItem& v) {
  if (v.type != sf::BareItem::Type::kInteger || v.number < 0) {
    return std::nullopt;
  }
  return static_cast<uint64_t>(v.number);
}

}  // namespace

std::string UploadLimits::ToString() const {
  std::string out;
  auto add = [&](const char* key, const std::optional<uint64_t>& v) {
    if (!v) return;
    if (!out.empty()) out += ", ";
    out += std::string(key) + "=" + std::to_string(*v);
  };
  add("max-size", max_size);
  add("min-size", min_size);
  add("max-append-size", max_append_size);
  add("min-append-size", min_append_size);
  add("max-age", max_age);
  return out.empty() ? "none" : out;
}

std::optional<UploadLimits> ParseUploadLimit(std::string_view field) {
  std::optional<sf::Dictionary> dict = sf::ParseDictionary(field);
  if (!dict) return std::nullopt;
  UploadLimits limits;
  std::pair<const char*, std::optional<uint64_t>*> known[] = {
      {"max-size", &limits.max_size},
      {"min-size", &limits.min_size},
      {"max-append-size", &limits.max_append_size},
      {"min-append-size", &limits.min_append_size},
      {"max-age", &limits.max_age},
      {"expires", &limits.max_age},
  };
  for (const auto& [key, slot] : known) {
    const sf::Member* m = sf::Find(*dict, key);
    if (m == nullptr) continue;
    if (m->is_inner_list) return std::nullopt;
    std::optional<uint64_t> v = NonNegative(m->item.value);
    if (!v) return std::nullopt;
    *slot = v;
  }
  return limits;
}

std::optional<uint64_t> ParseSize(std::string_view field) {
  std::optional<sf::Item> item = sf::ParseItem(field);
  return item ? NonNegative(item->value) : std::nullopt;
}

std::optional<bool> ParseComplete(std::string_view field) {
  std::optional<sf::Item> item = sf::ParseItem(field);
  if (!item || item->value.type != sf::BareItem::Type::kBoolean) {
    return std::nullopt;
  }
  return item->value.number != 0;
}

std::optional<int> ParseInteropVersion(std::string_view field) {
  std::optional<sf::Item> item = sf::ParseItem(field);
  if (!item || item->value.type != sf::BareItem::Type::kInteger ||
      item->value.number < 0 || item->value.number > 1000) {
    return std::nullopt;
  }
  return static_cast<int>(item->value.number);
}

std::optional<std::string> ParseSha256Digest(std::string_view field) {
  std::optional<sf::Dictionary> dict = sf::ParseDictionary(field);
  if (!dict) return std::nullopt;
  const sf::Member* m = sf::Find(*dict, "sha-256");
  if (m == nullptr || m->is_inner_list ||
      m->item.value.type != sf::BareItem::Type::kByteSequence ||
      m->item.value.text.size() != 32) {
    return std::nullopt;
  }
  return m->item.value.text;
}

std::string Sha256DigestField(std::string_view raw) {
  sf::Dictionary dict;
  sf::Member m;
  m.item.value = sf::ByteSequence(raw);
  dict.emplace_back("sha-256", m);
  return sf::SerializeDictionary(dict).value_or("");
}

bool WantsSha256(std::string_view field) {
  std::optional<sf::Dictionary> dict = sf::ParseDictionary(field);
  if (!dict) return false;
  const sf::Member* m = sf::Find(*dict, "sha-256");
  return m != nullptr && !m->is_inner_list &&
         m->item.value.type == sf::BareItem::Type::kInteger &&
         m->item.value.number > 0;
}

}  // namespace ferry::internal::ietf
