// SPDX-License-Identifier: Apache-2.0
// AWS shared credentials/config files and credential_process answers.
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "protocols/s3/aws_credentials.h"

using namespace ferry::internal;  // NOLINT(build/namespaces)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  AwsIniFile file = ParseAwsIni(text);
  for (const auto& [section, values] : file) {
    FUZZ_CHECK(!section.empty());
    for (const auto& [key, value] : values) {
      FUZZ_CHECK(!key.empty() && key.find('=') == std::string::npos);
      FUZZ_CHECK(value.find('\n') == std::string::npos);
    }
  }
  auto keys = ParseCredentialProcessOutput(text);
  if (keys.ok()) {
    FUZZ_CHECK(!keys.value().keys.access_key_id.empty());
    FUZZ_CHECK(!keys.value().keys.secret_access_key.empty());
  } else {
    FUZZ_CHECK(keys.error().code == FERRY_ERR_INVALID_ARGUMENT);
  }
  return 0;
}
