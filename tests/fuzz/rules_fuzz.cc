// SPDX-License-Identifier: Apache-2.0
// Rules documents (the app's mapping of server errors), then applied to a
// response made from the rest of the input.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>

#include "errors/classify.h"
#include "errors/rules.h"
#include "fuzz_check.h"

using namespace ferry::internal;  // NOLINT(build/namespaces)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  std::string text = in.ConsumeRandomLengthString(8192);
  auto rules = ParseRules(text);
  if (!rules.ok()) {
    FUZZ_CHECK(rules.error().code == FERRY_ERR_INVALID_ARGUMENT);
    return 0;
  }
  for (const Rule& rule : rules.value()) FUZZ_CHECK(ValidateRule(rule).ok());
  HttpResponse r;
  r.status = in.ConsumeIntegralInRange<int>(200, 599);
  r.headers.emplace_back("content-type", in.ConsumeBool()
                                             ? "application/json"
                                             : "application/problem+json");
  r.headers.emplace_back("x-error", in.ConsumeRandomLengthString(32));
  r.body = in.ConsumeRemainingBytesAsString();
  ClassifyOptions options;
  options.rules = &rules.value();
  Error e =
      ClassifyResponse(r, RequestKind::kSend, "https://h/files/x", options);
  FUZZ_CHECK(CodeName(e.code) != nullptr && e.code != FERRY_OK);
  FUZZ_CHECK(ActionName(e.action) != nullptr);
  return 0;
}
