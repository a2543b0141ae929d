// SPDX-License-Identifier: Apache-2.0
#include "protocols/append/append_wire.h"

#include <algorithm>
#include <cstring>

namespace ferry::internal {

void AppendLimits::Merge(const AppendLimits& other) {
  if (other.max_size >= 0) max_size = other.max_size;
  if (other.max_append_size > 0) max_append_size = other.max_append_size;
  if (other.min_append_size > 0) min_append_size = other.min_append_size;
}

Result<SendResult> AppendWire::Send(const std::string& url, uint64_t offset,
                                    std::string_view data,
                                    const std::string& checksum,
                                    std::optional<uint64_t> declare_length,
                                    const SendProgressFn& on_send,
                                    uint64_t* wire_bytes) {
  BodySource body;
  body.length = data.size();
  body.read = [data](uint64_t pos, char* out, size_t max) -> int64_t {
    size_t n = std::min<size_t>(max, data.size() - pos);
    std::memcpy(out, data.data() + pos, n);
    return static_cast<int64_t>(n);
  };
  return Send(url, offset, body, checksum, declare_length, on_send, wire_bytes);
}

}  // namespace ferry::internal
