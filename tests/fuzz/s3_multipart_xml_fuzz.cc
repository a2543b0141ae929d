// SPDX-License-Identifier: Apache-2.0
// S3 multipart responses: InitiateMultipartUploadResult, ListPartsResult
// and CompleteMultipartUploadResult (and anything posing as them).
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "protocols/s3/s3_xml.h"

using namespace ferry::internal;  // NOLINT(build/namespaces)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  if (auto id = ParseInitiateResult(body)) {
    FUZZ_CHECK(!id->empty() && id->size() <= 1024 && Printable(*id));
    FUZZ_CHECK(id->find(' ') == std::string::npos);
  }
  if (auto list = ParseListParts(body)) {
    for (const S3PartInfo& p : list->parts) {
      FUZZ_CHECK(p.number >= 1 && p.number <= 10000);
      FUZZ_CHECK(p.etag.size() <= 4096);
    }
    if (list->truncated) {
      FUZZ_CHECK(list->next_marker >= 1 && list->next_marker <= 10000);
    }
    // What goes back to the server is built from what came in.
    std::string complete = CompleteBody(list->parts);
    FUZZ_CHECK(complete.starts_with("<CompleteMultipartUpload>"));
  }
  (void)IsCompleteResult(body);
  return 0;
}
