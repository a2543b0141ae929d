// SPDX-License-Identifier: Apache-2.0
// RFC 9651 structured fields as a server sends them (Upload-Offset,
// Upload-Limit, Content-Digest, ...): whatever parses serialises, and the
// serialisation parses back to the same value and is its own fixed point;
// the IETF draft's typed fields built on them stay in their ranges, and a
// sha-256 digest read is one that serialises back to itself.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "http/structured_fields.h"
#include "protocols/ietf/ietf_headers.h"

using namespace ferry::internal;  // NOLINT(build/namespaces)

namespace {

template <typename T, typename Parse, typename Serialize>
void RoundTrip(std::string_view in, Parse parse, Serialize serialize) {
  std::string why;
  std::optional<T> value = parse(in, &why);
  if (!value) {
    FUZZ_CHECK(!why.empty() && Printable(why));
    return;
  }
  std::optional<std::string> text = serialize(*value);
  FUZZ_CHECK(text.has_value());
  FUZZ_CHECK(Printable(*text));
  std::optional<T> again = parse(*text, nullptr);
  FUZZ_CHECK(again.has_value() && *again == *value);
  FUZZ_CHECK(serialize(*again) == text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  RoundTrip<sf::Item>(in, sf::ParseItem, sf::SerializeItem);
  RoundTrip<sf::List>(in, sf::ParseList, sf::SerializeList);
  RoundTrip<sf::Dictionary>(in, sf::ParseDictionary, sf::SerializeDictionary);
  constexpr uint64_t kMaxInteger = 999'999'999'999'999;
  if (auto limits = ietf::ParseUploadLimit(in)) {
    FUZZ_CHECK(Printable(limits->ToString()));
    FUZZ_CHECK(!limits->max_size || *limits->max_size <= kMaxInteger);
  }
  if (auto size = ietf::ParseSize(in)) FUZZ_CHECK(*size <= kMaxInteger);
  if (auto version = ietf::ParseInteropVersion(in)) {
    FUZZ_CHECK(*version >= 0 && *version <= 1000);
  }
  ietf::ParseComplete(in);
  ietf::WantsSha256(in);
  if (auto digest = ietf::ParseSha256Digest(in)) {
    FUZZ_CHECK(digest->size() == 32);
    FUZZ_CHECK(ietf::ParseSha256Digest(ietf::Sha256DigestField(*digest)) ==
               digest);
  }
  return 0;
}
