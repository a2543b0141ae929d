/* SPDX-License-Identifier: Apache-2.0 */
// Structured Field Values for HTTP (RFC 9651): strict parsing and
// serialisation of Items, Lists and Dictionaries, for the headers of the
// IETF resumable-upload draft (Upload-Complete, Upload-Offset,
// Upload-Limit, ...) and of RFC 9530 digests. No Debian package provides
// this (libcurl and nghttp2 keep theirs private), hence our own, fuzzed
// (tests/fuzz/structured_fields_fuzz.cc).
//
// Parsing follows RFC 9651 section 4.2 step by step: anything the
// algorithms fail on is refused whole (a field that does not parse is
// ignored by the caller, never half-read). The one leniency is the RFC's
// own: a byte sequence's missing "=" padding is accepted.
#ifndef FERRY_SDK_SRC_HTTP_STRUCTURED_FIELDS_H_
#define FERRY_SDK_SRC_HTTP_STRUCTURED_FIELDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferry::internal::sf {

struct BareItem {
  enum class Type {
    kInteger,
    kDecimal,
    kString,
    kToken,
    kByteSequence,
    kBoolean,
    kDate,
    kDisplayString,
  };
  Type type = Type::kInteger;
  // kInteger and kDate: the value; kDecimal: the value in thousandths
  // (decimals have at most three fractional digits, so this is exact);
  // kBoolean: 0 or 1.
  int64_t number = 0;
  // kString, kToken: the characters; kByteSequence: the decoded bytes;
  // kDisplayString: the decoded UTF-8 text.
  std::string text;

  bool operator==(const BareItem&) const = default;
};

BareItem Integer(int64_t value);
BareItem Boolean(bool value);
BareItem Token(std::string_view value);
BareItem String(std::string_view value);
BareItem ByteSequence(std::string_view bytes);

// Ordered; a key given twice keeps its first place and its last value.
using Parameters = std::vector<std::pair<std::string, BareItem>>;

struct Item {
  BareItem value;
  Parameters params;

  bool operator==(const Item&) const = default;
};

struct InnerList {
  std::vector<Item> items;
  Parameters params;

  bool operator==(const InnerList&) const = default;
};

// A member of a List or a Dictionary: an Item, or an Inner List.
struct Member {
  bool is_inner_list = false;
  Item item;        // when !is_inner_list
  InnerList inner;  // when is_inner_list

  bool operator==(const Member&) const = default;
};

using List = std::vector<Member>;
// Ordered; a key given twice keeps its first place and its last value.
using Dictionary = std::vector<std::pair<std::string, Member>>;

// Parse a field value (several field lines joined with ", " first, as
// HTTP combines them). nullopt when it does not parse; *why (when given)
// then says where and why, in a short phrase for an error message.
std::optional<Item> ParseItem(std::string_view field,
                              std::string* why = nullptr);
std::optional<List> ParseList(std::string_view field,
                              std::string* why = nullptr);
std::optional<Dictionary> ParseDictionary(std::string_view field,
                                          std::string* why = nullptr);

// Serialise (RFC 9651 section 4.1). nullopt when the value cannot be
// serialised: an integer beyond 15 digits, a string with a character
// outside printable ASCII, a malformed token or key, and so on.
std::optional<std::string> SerializeItem(const Item& item);
std::optional<std::string> SerializeList(const List& list);
std::optional<std::string> SerializeDictionary(const Dictionary& dict);

// The member of `dict` named `key`, or null.
const Member* Find(const Dictionary& dict, std::string_view key);
// The value of parameter `key`, or null.
const BareItem* Find(const Parameters& params, std::string_view key);

}  // namespace ferry::internal::sf

#endif  // FERRY_SDK_SRC_HTTP_STRUCTURED_FIELDS_H_
