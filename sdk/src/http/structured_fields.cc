// SPDX-License-Identifier: Apache-2.0
#include "http/structured_fields.h"

#include <algorithm>
#include <cstdio>

#include "codec/hash.h"

namespace ferry::internal::sf {
namespace {

constexpr int64_t kMaxInteger = 999'999'999'999'999;   // 15 digits
constexpr int64_t kMaxDecimalWhole = 999'999'999'999;  // 12 digits

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLcAlpha(char c) { return c >= 'a' && c <= 'z'; }
bool IsAlpha(char c) { return IsLcAlpha(c) || (c >= 'A' && c <= 'Z'); }
bool IsLcHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }
bool IsVisibleAscii(char c) { return c >= 0x20 && c <= 0x7e; }
int Nibble(char c) { return IsDigit(c) ? c - '0' : c - 'a' + 10; }

// RFC 9110 tchar.
bool IsTchar(char c) {
  return IsAlpha(c) || IsDigit(c) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsKeyChar(char c) {
  return IsLcAlpha(c) || IsDigit(c) || c == '_' || c == '-' || c == '.' ||
         c == '*';
}

// Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF.
bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    size_t n;
    uint32_t cp;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xe0) == 0xc0) {
      n = 1, cp = b & 0x1f;
    } else if ((b & 0xf0) == 0xe0) {
      n = 2, cp = b & 0x0f;
    } else if ((b & 0xf8) == 0xf0) {
      n = 3, cp = b & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // cut short
    for (size_t k = 1; k <= n; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3f);
    }
    static constexpr uint32_t kLeast[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kLeast[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// RFC 9651: a key given twice keeps its first place and its last value.
template <typename T>
void Set(std::vector<std::pair<std::string, T>>* members, std::string key,
         T value) {
  auto same = std::find_if(members->begin(), members->end(),
                           [&](const auto& kv) { return kv.first == key; });
  if (same != members->end()) {
    same->second = std::move(value);
  } else {
    members->emplace_back(std::move(key), std::move(value));
  }
}

// One parse: the input, where it is, and the first failure.
class Parser {
 public:
  explicit Parser(std::string_view in) : in_(in) {}

  bool Empty() const { return pos_ >= in_.size(); }
  char Peek() const { return in_[pos_]; }
  const std::string& why() const { return why_; }

  bool Fail(const char* what) {
    if (why_.empty()) {
      why_ = std::string(what) + " at offset " + std::to_string(pos_);
    }
    return false;
  }

  void SkipSp() {
    while (!Empty() && Peek() == ' ') ++pos_;
  }
  void SkipOws() {
    while (!Empty() && (Peek() == ' ' || Peek() == '\t')) ++pos_;
  }

  // After the value: only spaces may follow.
  bool End() {
    SkipSp();
    return Empty() || Fail("unexpected characters after the value");
  }

  // Between members: OWS "," OWS, and not a trailing comma. *more: another
  // member follows.
  bool Separator(bool* more) {
    SkipOws();
    *more = false;
    if (Empty()) return true;
    if (Peek() != ',') return Fail("expected a comma");
    ++pos_;
    SkipOws();
    if (Empty()) return Fail("a trailing comma");
    *more = true;
    return true;
  }

  bool ListMembers(List* out) {
    bool more = !Empty();
    while (more) {
      Member m;
      if (!ItemOrInnerList(&m) || !Separator(&more)) return false;
      out->push_back(std::move(m));
    }
    return true;
  }

  bool DictionaryMembers(Dictionary* out) {
    bool more = !Empty();
    while (more) {
      std::string key;
      Member m;
      if (!Key(&key)) return false;
      if (!Empty() && Peek() == '=') {
        ++pos_;
        if (!ItemOrInnerList(&m)) return false;
      } else {
        m.item.value = Boolean(true);
        if (!Params(&m.item.params)) return false;
      }
      if (!Separator(&more)) return false;
      Set(out, std::move(key), std::move(m));
    }
    return true;
  }

  bool ItemOrInnerList(Member* out) {
    if (!Empty() && Peek() == '(') {
      out->is_inner_list = true;
      return Inner(&out->inner);
    }
    return ItemWithParams(&out->item);
  }

  bool Inner(InnerList* out) {
    ++pos_;  // "("
    while (!Empty()) {
      SkipSp();
      if (Empty()) break;
      if (Peek() == ')') {
        ++pos_;
        return Params(&out->params);
      }
      Item item;
      if (!ItemWithParams(&item)) return false;
      out->items.push_back(std::move(item));
      if (Empty() || (Peek() != ' ' && Peek() != ')')) {
        return Fail("an inner list item not followed by a space or ')'");
      }
    }
    return Fail("an inner list without its ')'");
  }

  bool ItemWithParams(Item* out) {
    return Bare(&out->value) && Params(&out->params);
  }

  bool Params(Parameters* out) {
    while (!Empty() && Peek() == ';') {
      ++pos_;
      SkipSp();
      std::string key;
      if (!Key(&key)) return false;
      BareItem value = Boolean(true);
      if (!Empty() && Peek() == '=') {
        ++pos_;
        if (!Bare(&value)) return false;
      }
      Set(out, std::move(key), std::move(value));
    }
    return true;
  }

  bool Key(std::string* out) {
    if (Empty() || !(IsLcAlpha(Peek()) || Peek() == '*')) {
      return Fail("a key must start with a-z or '*'");
    }
    size_t start = pos_;
    while (!Empty() && IsKeyChar(Peek())) ++pos_;
    out->assign(in_.substr(start, pos_ - start));
    return true;
  }

  bool Bare(BareItem* out) {
    if (Empty()) return Fail("a value is missing");
    char c = Peek();
    if (c == '-' || IsDigit(c)) return Number(out);
    if (c == '"') return QuotedString(out);
    if (IsAlpha(c) || c == '*') return TokenValue(out);
    if (c == ':') return Bytes(out);
    if (c == '?') return Bool(out);
    if (c == '@') return Date(out);
    if (c == '%') return Display(out);
    return Fail("not the start of any value");
  }

  bool Number(BareItem* out) {
    bool negative = false;
    if (!Empty() && Peek() == '-') {
      negative = true;
      ++pos_;
    }
    if (Empty() || !IsDigit(Peek())) return Fail("a sign without digits");
    int64_t whole = 0, fraction = 0;
    int whole_digits = 0, fraction_digits = -1;  // -1: an integer
    while (!Empty()) {
      char c = Peek();
      if (IsDigit(c)) {
        if (fraction_digits < 0) {
          if (++whole_digits > 15) return Fail("an integer of over 15 digits");
          whole = whole * 10 + (c - '0');
        } else {
          if (++fraction_digits > 3) {
            return Fail("a decimal with over 3 fractional digits");
          }
          fraction = fraction * 10 + (c - '0');
        }
      } else if (c == '.' && fraction_digits < 0) {
        if (whole_digits > 12) return Fail("a decimal of over 12 digits");
        fraction_digits = 0;
      } else {
        break;
      }
      ++pos_;
    }
    if (fraction_digits < 0) {
      out->type = BareItem::Type::kInteger;
      out->number = negative ? -whole : whole;
      return true;
    }
    if (fraction_digits == 0) return Fail("a decimal ending in '.'");
    for (int i = fraction_digits; i < 3; ++i) fraction *= 10;
    out->type = BareItem::Type::kDecimal;
    out->number = (negative ? -1 : 1) * (whole * 1000 + fraction);
    return true;
  }

  bool QuotedString(BareItem* out) {
    ++pos_;  // DQUOTE
    out->type = BareItem::Type::kString;
    out->text.clear();
    while (!Empty()) {
      char c = in_[pos_++];
      if (c == '\\') {
        if (Empty()) return Fail("a string ending in '\\'");
        char next = in_[pos_++];
        if (next != '"' && next != '\\')
          return Fail("a bad escape in a string");
        out->text.push_back(next);
      } else if (c == '"') {
        return true;
      } else if (!IsVisibleAscii(c)) {
        return Fail("a control or non-ASCII character in a string");
      } else {
        out->text.push_back(c);
      }
    }
    return Fail("a string without its closing quote");
  }

  bool TokenValue(BareItem* out) {
    size_t start = pos_++;
    while (!Empty() && (IsTchar(Peek()) || Peek() == ':' || Peek() == '/')) {
      ++pos_;
    }
    out->type = BareItem::Type::kToken;
    out->text.assign(in_.substr(start, pos_ - start));
    return true;
  }

  bool Bytes(BareItem* out) {
    ++pos_;  // ":"
    size_t end = in_.find(':', pos_);
    if (end == std::string_view::npos) {
      return Fail("a byte sequence without its closing ':'");
    }
    std::string b64(in_.substr(pos_, end - pos_));
    // RFC 9651: parsers should not fail on missing padding. Base64Decode
    // refuses anything outside the alphabet.
    while (b64.size() % 4 != 0) b64.push_back('=');
    std::optional<std::string> bytes = Base64Decode(b64);
    if (!bytes) return Fail("a byte sequence that is not base64");
    pos_ = end + 1;
    out->type = BareItem::Type::kByteSequence;
    out->text = std::move(*bytes);
    return true;
  }

  bool Bool(BareItem* out) {
    ++pos_;  // "?"
    if (Empty() || (Peek() != '0' && Peek() != '1')) {
      return Fail("a boolean other than ?0 or ?1");
    }
    *out = Boolean(in_[pos_++] == '1');
    return true;
  }

  bool Date(BareItem* out) {
    ++pos_;  // "@"
    if (!Number(out)) return false;
    if (out->type != BareItem::Type::kInteger) return Fail("a decimal date");
    out->type = BareItem::Type::kDate;
    return true;
  }

  bool Display(BareItem* out) {
    ++pos_;  // "%"
    if (Empty() || Peek() != '"') return Fail("'%' not followed by a quote");
    ++pos_;
    std::string bytes;
    while (!Empty()) {
      char c = in_[pos_++];
      if (!IsVisibleAscii(c)) {
        return Fail("a control or non-ASCII character in a display string");
      }
      if (c == '%') {
        if (in_.size() - pos_ < 2 || !IsLcHex(in_[pos_]) ||
            !IsLcHex(in_[pos_ + 1])) {
          return Fail("a bad percent-escape in a display string");
        }
        bytes.push_back(
            static_cast<char>(Nibble(in_[pos_]) * 16 + Nibble(in_[pos_ + 1])));
        pos_ += 2;
      } else if (c == '"') {
        if (!ValidUtf8(bytes)) return Fail("a display string not in UTF-8");
        out->type = BareItem::Type::kDisplayString;
        out->text = std::move(bytes);
        return true;
      } else {
        bytes.push_back(c);
      }
    }
    return Fail("a display string without its closing quote");
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  std::string why_;
};

template <typename T, typename Members>
std::optional<T> ParseField(std::string_view field, std::string* why,
                            Members members) {
  Parser p(field);
  p.SkipSp();
  T out{};
  if (members(p, &out) && p.End()) return out;
  if (why) *why = p.why();
  return std::nullopt;
}

bool ValidKey(std::string_view key) {
  return !key.empty() && (IsLcAlpha(key[0]) || key[0] == '*') &&
         std::all_of(key.begin(), key.end(), IsKeyChar);
}

bool SerializeBare(const BareItem& v, std::string* out) {
  switch (v.type) {
    case BareItem::Type::kInteger:
    case BareItem::Type::kDate:
      if (v.number > kMaxInteger || v.number < -kMaxInteger) return false;
      if (v.type == BareItem::Type::kDate) out->push_back('@');
      *out += std::to_string(v.number);
      return true;
    case BareItem::Type::kDecimal: {
      int64_t magnitude = v.number < 0 ? -v.number : v.number;
      if (magnitude / 1000 > kMaxDecimalWhole) return false;
      if (v.number < 0) out->push_back('-');
      std::string fraction = std::to_string(1000 + magnitude % 1000).substr(1);
      while (fraction.size() > 1 && fraction.back() == '0') fraction.pop_back();
      out->append(std::to_string(magnitude / 1000));
      out->push_back('.');
      out->append(fraction);
      return true;
    }
    case BareItem::Type::kString:
      out->push_back('"');
      for (char c : v.text) {
        if (!IsVisibleAscii(c)) return false;
        if (c == '"' || c == '\\') out->push_back('\\');
        out->push_back(c);
      }
      out->push_back('"');
      return true;
    case BareItem::Type::kToken:
      if (v.text.empty() || !(IsAlpha(v.text[0]) || v.text[0] == '*') ||
          !std::all_of(v.text.begin(), v.text.end(), [](char c) {
            return IsTchar(c) || c == ':' || c == '/';
          })) {
        return false;
      }
      *out += v.text;
      return true;
    case BareItem::Type::kByteSequence:
      out->push_back(':');
      out->append(Base64Encode(v.text));
      out->push_back(':');
      return true;
    case BareItem::Type::kBoolean:
      *out += v.number ? "?1" : "?0";
      return true;
    case BareItem::Type::kDisplayString:
      if (!ValidUtf8(v.text)) return false;
      *out += "%\"";
      for (char c : v.text) {
        if (c == '%' || c == '"' || !IsVisibleAscii(c)) {
          char hex[4];
          std::snprintf(hex, sizeof hex, "%%%02x",
                        static_cast<unsigned>(static_cast<unsigned char>(c)));
          *out += hex;
        } else {
          out->push_back(c);
        }
      }
      out->push_back('"');
      return true;
  }
  return false;
}

bool SerializeParams(const Parameters& params, std::string* out) {
  for (const auto& [key, value] : params) {
    if (!ValidKey(key)) return false;
    out->push_back(';');
    out->append(key);
    if (value == Boolean(true)) continue;
    out->push_back('=');
    if (!SerializeBare(value, out)) return false;
  }
  return true;
}

bool SerializeOneItem(const Item& item, std::string* out) {
  return SerializeBare(item.value, out) && SerializeParams(item.params, out);
}

bool SerializeMember(const Member& m, std::string* out) {
  if (!m.is_inner_list) return SerializeOneItem(m.item, out);
  out->push_back('(');
  for (size_t i = 0; i < m.inner.items.size(); ++i) {
    if (i > 0) out->push_back(' ');
    if (!SerializeOneItem(m.inner.items[i], out)) return false;
  }
  out->push_back(')');
  return SerializeParams(m.inner.params, out);
}

}  // namespace

BareItem Integer(int64_t value) {
  return {BareItem::Type::kInteger, value, ""};
}
BareItem Boolean(bool value) {
  return {BareItem::Type::kBoolean, value ? 1 : 0, ""};
}
BareItem Token(std::string_view value) {
  return {BareItem::Type::kToken, 0, std::string(value)};
}
BareItem String(std::string_view value) {
  return {BareItem::Type::kString, 0, std::string(value)};
}
BareItem ByteSequence(std::string_view bytes) {
  return {BareItem::Type::kByteSequence, 0, std::string(bytes)};
}

std::optional<Item> ParseItem(std::string_view field, std::string* why) {
  return ParseField<Item>(
      field, why, [](Parser& p, Item* out) { return p.ItemWithParams(out); });
}

std::optional<List> ParseList(std::string_view field, std::string* why) {
  return ParseField<List>(
      field, why, [](Parser& p, List* out) { return p.ListMembers(out); });
}

std::optional<Dictionary> ParseDictionary(std::string_view field,
                                          std::string* why) {
  return ParseField<Dictionary>(field, why, [](Parser& p, Dictionary* out) {
    return p.DictionaryMembers(out);
  });
}

std::optional<std::string> SerializeItem(const Item& item) {
  std::string out;
  if (!SerializeOneItem(item, &out)) return std::nullopt;
  return out;
}

std::optional<std::string> SerializeList(const List& list) {
  std::string out;
  for (size_t i = 0; i < list.size(); ++i) {
    if (i > 0) out += ", ";
    if (!SerializeMember(list[i], &out)) return std::nullopt;
  }
  return out;
}

std::optional<std::string> SerializeDictionary(const Dictionary& dict) {
  std::string out;
  for (size_t i = 0; i < dict.size(); ++i) {
    const auto& [key, member] = dict[i];
    if (i > 0) out += ", ";
    if (!ValidKey(key)) return std::nullopt;
    out += key;
    if (!member.is_inner_list && member.item.value == Boolean(true)) {
      if (!SerializeParams(member.item.params, &out)) return std::nullopt;
      continue;
    }
    out.push_back('=');
    if (!SerializeMember(member, &out)) return std::nullopt;
  }
  return out;
}

const Member* Find(const Dictionary& dict, std::string_view key) {
  for (const auto& [k, m] : dict) {
    if (k == key) return &m;
  }
  return nullptr;
}

const BareItem* Find(const Parameters& params, std::string_view key) {
  for (const auto& [k, v] : params) {
    if (k == key) return &v;
  }
  return nullptr;
}

}  // namespace ferry::internal::sf
