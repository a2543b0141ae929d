// SPDX-License-Identifier: Apache-2.0
// S3 <Error> documents (and anything posing as one).
#include <cstdint>
#include <string>

#include "errors/classify.h"
#include "fuzz_check.h"
#include "protocols/s3/s3_error.h"

using namespace ferry::internal;  // NOLINT(build/namespaces)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  if (auto e = ParseS3Error(body)) {
    FUZZ_CHECK(!e->code.empty());
    for (const std::string* s :
         {&e->code, &e->message, &e->request_id, &e->resource}) {
      FUZZ_CHECK(Printable(*s) && s->size() <= 300);
    }
    if (auto code = FerryCodeForS3(e->code)) {
      FUZZ_CHECK(CodeName(*code) != nullptr);
    }
  }
  HttpResponse r;
  r.status = size > 0 ? 200 + data[0] % 400 : 500;
  r.headers.emplace_back("content-type", "application/xml");
  r.body = body;
  Error e = ClassifyResponse(r, RequestKind::kSend, "https://s3.example/b/k");
  FUZZ_CHECK(CodeName(e.code) != nullptr && e.code != FERRY_OK);
  FUZZ_CHECK(Printable(e.server_code) && Printable(e.server_message));
  return 0;
}
