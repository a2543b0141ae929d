// SPDX-License-Identifier: Apache-2.0
// URLs from servers (Location) and apps: resolution, origins, redaction and
// the secrets ferry scrubs from what it prints.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "http/url.h"

using namespace ferry::internal;  // NOLINT(build/namespaces)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  const std::string base = "https://user:pw@files.example:8443/files/?sig=abc";
  if (auto resolved = ResolveUrl(base, in)) {
    FUZZ_CHECK(resolved->starts_with("http://") ||
               resolved->starts_with("https://"));
    FUZZ_CHECK(UrlOrigin(*resolved).has_value());
  }
  if (auto origin = UrlOrigin(in)) {
    FUZZ_CHECK(origin->find('@') == std::string::npos);
    FUZZ_CHECK(origin->find('?') == std::string::npos);
  }
  std::string redacted = RedactUrl(in);
  size_t q = redacted.find('?');
  FUZZ_CHECK(q == std::string::npos ||
             redacted.compare(q, std::string::npos, "?<redacted>") == 0);
  FUZZ_CHECK(redacted.find('#') == std::string::npos);
  for (const std::string& s : SecretsOf(in)) FUZZ_CHECK(s.size() >= 6);
  return 0;
}
