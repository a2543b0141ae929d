// The one interface the engine drives, whatever the wire protocol.
#ifndef FERRY_SDK_SRC_PROTOCOL_UPLOAD_PROTOCOL_H_
#define FERRY_SDK_SRC_PROTOCOL_UPLOAD_PROTOCOL_H_

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

class UploadProtocol {
 public:
  virtual ~UploadProtocol() = default;
  virtual Result<ServerCapabilities> Discover() = 0;
  virtual Result<CreateResult> Create(const CreateParams& params,
                                      const SendProgressFn& on_send,
                                      uint64_t* wire_bytes) = 0;
  virtual Result<OffsetResult> QueryOffset(const std::string& url) = 0;
  // Appends `body` at `offset`. checksum: "algo base64" or "".
  // declare_length: the total, sent with this request (deferred length).
  virtual Result<SendResult> Send(const std::string& url, uint64_t offset,
                                  const BodySource& body,
                                  const std::string& checksum,
                                  std::optional<uint64_t> declare_length,
                                  const SendProgressFn& on_send,
                                  uint64_t* wire_bytes) = 0;
  // The same with a body already in memory.
  Result<SendResult> Send(const std::string& url, uint64_t offset,
                          std::string_view data, const std::string& checksum,
                          std::optional<uint64_t> declare_length,
                          const SendProgressFn& on_send, uint64_t* wire_bytes);
  virtual Status Terminate(const std::string& url) = 0;
  // Replaces (or adds) a header on every later request. Thread-safe.
  virtual void SetHeader(const std::string& name, const std::string& value) = 0;
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_PROTOCOL_UPLOAD_PROTOCOL_H_
