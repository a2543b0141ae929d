// SPDX-License-Identifier: Apache-2.0
// Error responses: status, headers and a body (problem+json, JSON, text),
// classified into a typed error, also as the IETF draft's client reads them
// (its problem types first).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>

#include "errors/classify.h"
#include "errors/error.h"
#include "fuzz_check.h"
#include "protocols/ietf/ietf_problem.h"

using namespace ferry::internal;  // NOLINT(build/namespaces)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  static const char* kTypes[] = {"application/problem+json",
                                 "application/json; charset=utf-8",
                                 "text/plain", "application/xml", ""};
  HttpResponse r;
  r.status = in.ConsumeIntegralInRange<int>(100, 999);
  r.headers.emplace_back("content-type",
                         kTypes[in.ConsumeIntegralInRange<size_t>(0, 4)]);
  std::string retry_after = in.ConsumeRandomLengthString(64);
  std::string date = in.ConsumeRandomLengthString(64);
  r.headers.emplace_back("retry-after", retry_after);
  r.headers.emplace_back("date", date);
  r.headers.emplace_back("www-authenticate", in.ConsumeRandomLengthString(64));
  r.headers.emplace_back("x-request-id", in.ConsumeRandomLengthString(64));
  auto kind = static_cast<RequestKind>(in.ConsumeIntegralInRange<int>(0, 4));
  r.body = in.ConsumeRemainingBytesAsString();

  if (auto p = ParseProblem(r.body)) {
    FUZZ_CHECK(Printable(p->title) && Printable(p->detail));
    FUZZ_CHECK(Printable(p->code) && Printable(p->type));
    FUZZ_CHECK(p->status == 0 || (p->status >= 100 && p->status <= 999));
  }
  if (auto ms = ParseRetryAfter(retry_after, 1790000000)) {
    FUZZ_CHECK(*ms >= 0 && *ms <= 86400000);
  }
  Error e = ClassifyResponse(r, kind, "https://files.example/files/x");
  FUZZ_CHECK(CodeName(e.code) != nullptr);
  FUZZ_CHECK(e.code != FERRY_OK);
  FUZZ_CHECK(Printable(e.server_message) && e.server_message.size() <= 300);
  FUZZ_CHECK(Printable(e.request_id));
  FUZZ_CHECK(e.retry_after_ms <= 86400000);
  FUZZ_CHECK(!e.ToJson().empty());
  // The IETF draft's problem types, read before the generic reading.
  ClassifyOptions draft;
  draft.protocol_body = ietf::ReadDraftProblem;
  Error d = ClassifyResponse(r, kind, "https://files.example/files/x", draft);
  FUZZ_CHECK(CodeName(d.code) != nullptr && d.code != FERRY_OK);
  FUZZ_CHECK(Printable(d.message) && Printable(d.server_code));
  if (auto v = ietf::ReadDraftProblem(r)) {
    FUZZ_CHECK(v->mapped.has_value() && Printable(v->message));
  }
  return 0;
}
