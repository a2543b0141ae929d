// SPDX-License-Identifier: Apache-2.0
// What a tus server offers (its OPTIONS answer). The requests' own
// parameters and results are the append protocols' (append/append_wire.h).
#ifndef FERRY_SDK_SRC_PROTOCOLS_TUS_TUS_TYPES_H_
#define FERRY_SDK_SRC_PROTOCOLS_TUS_TUS_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_PROTOCOLS_TUS_TUS_TYPES_H_
