#include "protocol/upload_protocol.h"

#include <algorithm>
#include <cstring>

namespace ferry::internal {

bool ServerCapabilities::Has(std::string_view extension) const {
  return std::find(extensions.begin(), extensions.end(), extension) !=
         extensions.end();
}

Result<SendResult> UploadProtocol::Send(const std::string& url, uint64_t offset,
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
  return Send(url, offset, body, checksum, declare_length, on_send,
              wire_bytes);
}

}  // namespace ferry::internal
