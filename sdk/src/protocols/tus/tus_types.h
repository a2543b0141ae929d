// SPDX-License-Identifier: Apache-2.0
// What tus requests carry and return.
#ifndef FERRY_SDK_SRC_PROTOCOLS_TUS_TUS_TYPES_H_
#define FERRY_SDK_SRC_PROTOCOLS_TUS_TUS_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "errors/error.h"
#include "http/http_client.h"

namespace ferry::internal {

struct ServerCapabilities {
  std::vector<std::string> versions;
  std::vector<std::string> extensions;
  std::vector<std::string> checksum_algorithms;
  int64_t max_size = -1;  // -1: not announced
  // The same endpoint also speaks the IETF resumable-upload draft.
  bool ietf_draft = false;
  bool Has(std::string_view extension) const;
};

struct CreateParams {
  uint64_t length = 0;
  bool defer_length = false;  // Upload-Defer-Length: 1 instead of a length
  std::vector<std::pair<std::string, std::string>> metadata;
  // Sent in the creation request when not empty (creation-with-upload).
  std::string_view first_bytes;
  std::string checksum;  // "algo base64" for first_bytes, or ""
};

struct CreateResult {
  std::string url;  // absolute
  uint64_t offset = 0;
  std::string expires;
};

struct OffsetResult {
  uint64_t offset = 0;
  int64_t length = -1;  // -1: not (yet) known to the server
  std::string expires;
  // The upload's metadata as the server reports it (tus Upload-Metadata),
  // when it does and it parses.
  std::vector<std::pair<std::string, std::string>> metadata;
};

struct SendResult {
  uint64_t offset = 0;
  std::string expires;
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_PROTOCOLS_TUS_TUS_TYPES_H_
