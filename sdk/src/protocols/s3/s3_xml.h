/* SPDX-License-Identifier: Apache-2.0 */
// The S3 multipart responses ferry reads (InitiateMultipartUploadResult,
// ListPartsResult, CompleteMultipartUploadResult), parsed with expat.
// DOCTYPEs are refused, sizes and depth bounded: a hostile body yields
// nullopt, never a crash.
#ifndef FERRY_SDK_SRC_PROTOCOL_S3_S3_XML_H_
#define FERRY_SDK_SRC_PROTOCOL_S3_S3_XML_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::internal {

struct S3PartInfo {
  uint32_t number = 0;
  std::string etag;  // as the server wrote it, quotes included
  uint64_t size = 0;
};

struct S3PartList {
  std::vector<S3PartInfo> parts;
  bool truncated = false;
  uint32_t next_marker = 0;  // NextPartNumberMarker when truncated
};

// The UploadId of an InitiateMultipartUploadResult.
std::optional<std::string> ParseInitiateResult(std::string_view body);
// A ListPartsResult page. nullopt when malformed (a part without a number
// in 1..10000, a non-numeric size, ...).
std::optional<S3PartList> ParseListParts(std::string_view body);
// Whether the body is a CompleteMultipartUploadResult (a 200 may carry an
// <Error> instead).
bool IsCompleteResult(std::string_view body);

// The CompleteMultipartUpload request body for `parts` (in order).
std::string CompleteBody(const std::vector<S3PartInfo>& parts);

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_PROTOCOL_S3_S3_XML_H_
