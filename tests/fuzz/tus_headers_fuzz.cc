// SPDX-License-Identifier: Apache-2.0
// tus header values as a server sends them: sizes, lists, Upload-Metadata.
#include <cstdint>
#include <string>
#include <string_view>

#include "codec/hash.h"
#include "fuzz_check.h"
#include "http/http_client.h"
#include "protocols/tus/tus_headers.h"

using namespace ferry::internal;  // NOLINT(build/namespaces)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto v = tus::ParseSize(in)) {
    FUZZ_CHECK(*v <= static_cast<uint64_t>(INT64_MAX));
    FUZZ_CHECK(std::to_string(*v).size() <= in.size());
  }
  for (const std::string& item : ParseHeaderList(in)) {
    FUZZ_CHECK(!item.empty());
    FUZZ_CHECK(item.front() != ' ' && item.back() != ' ');
    FUZZ_CHECK(item.find(',') == std::string::npos);
  }
  if (auto pairs = tus::DecodeMetadata(in)) {
    // Whatever decodes encodes again, and back to the same pairs.
    auto encoded = tus::EncodeMetadata(*pairs);
    FUZZ_CHECK(encoded.has_value());
    auto again = tus::DecodeMetadata(*encoded);
    FUZZ_CHECK(again.has_value() && *again == *pairs);
  }
  if (auto raw = Base64Decode(in)) FUZZ_CHECK(Base64Encode(*raw) == in);
  return 0;
}
