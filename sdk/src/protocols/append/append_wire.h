// SPDX-License-Identifier: Apache-2.0
// The requests of a protocol that appends to one upload resource at byte
// offsets: tus 1.0 and its successor, the IETF resumable-upload draft.
// Both create an upload (optionally with its first bytes), ask its offset
// with HEAD, append with PATCH at an offset and remove it with DELETE; they
// differ in headers, limits, checksums and how the last request is marked.
// AppendTransfer drives either through this interface; each protocol's
// folder implements it (tus/tus_protocol, ietf/ietf_protocol).
#ifndef FERRY_SDK_SRC_PROTOCOLS_APPEND_APPEND_WIRE_H_
#define FERRY_SDK_SRC_PROTOCOLS_APPEND_APPEND_WIRE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "errors/error.h"
#include "http/http_client.h"

namespace ferry::internal {

// Limits a server announced for uploads (tus: Tus-Max-Size; the draft:
// Upload-Limit). -1 / 0: not limited.
struct AppendLimits {
  int64_t max_size = -1;         // bytes an upload may hold at most
  uint64_t max_append_size = 0;  // body bytes one request may carry
  uint64_t min_append_size = 0;  // ... at least, but for the last request
  // Takes every limit `other` announces.
  void Merge(const AppendLimits& other);
};

// What the transfer needs to know of the server.
struct AppendCapabilities {
  bool create_with_bytes = false;  // creation may carry the first bytes
  // At most this many (0: a chunk): while the draft's interop version is
  // not settled, a creation refused for it is sent again with the next.
  uint64_t creation_bytes_cap = 0;
  bool deferred_length = false;  // the length may be said at the end
  // Every append says whether it is the last one (the draft's
  // Upload-Complete); without it the last is known from the length.
  bool marks_last_request = false;
  // The per-request checksum algorithm ferry uses with this server, or "".
  std::string checksum_algorithm;
  AppendLimits limits;
};

struct CreateParams {
  uint64_t length = 0;
  bool defer_length = false;  // the length is said by a later request
  // Name/value pairs describing the upload: "filename", "filetype",
  // "sha256" (hex), "encoding", "original-length" and the app's own.
  std::vector<std::pair<std::string, std::string>> metadata;
  // Sent in the creation request when not empty (creation-with-upload).
  std::string_view first_bytes;
  std::string checksum;  // "algorithm base64digest" of first_bytes, or ""
  // Called (on the calling thread, during the request) as soon as the
  // server names the upload's URL before its final answer (the draft's 104
  // interim response): the URL can be journaled before the body is sent.
  std::function<void(const std::string& url)> on_url;
};

struct CreateResult {
  std::string url;  // absolute
  uint64_t offset = 0;
  std::string expires;  // an HTTP-date, or ""
  // The creation carried the whole upload and the server has it all.
  bool complete = false;
  AppendLimits limits;
};

struct OffsetResult {
  uint64_t offset = 0;
  int64_t length = -1;  // -1: not (yet) known to the server
  // The server considers the upload complete (tus: its length is known and
  // reached; the draft: Upload-Complete: ?1).
  bool complete = false;
  std::string expires;
  // The upload's metadata as the server reports it (tus Upload-Metadata),
  // when it does and it parses.
  std::vector<std::pair<std::string, std::string>> metadata;
  AppendLimits limits;
};

struct SendResult {
  uint64_t offset = 0;
  std::string expires;
  // The SHA-256 of the whole upload as the server computed it (the draft's
  // Repr-Digest, asked for with the last request), raw bytes, or "".
  std::string stored_sha256;
};

class AppendWire {
 public:
  virtual ~AppendWire() = default;

  // The journal's name for the protocol ("tus", "ietf").
  virtual std::string_view Name() const = 0;
  // The server's capabilities, asked once per client. Thread-safe.
  virtual Result<AppendCapabilities> CachedCapabilities() = 0;
  // unexpected_response / redirect_refused unless url is an http(s) URL on
  // the endpoint's origin (or one allowlisted).
  virtual Status CheckUploadUrl(const std::string& url) const = 0;

  // Each is one attempt. Thread-safe (one request each).
  virtual Result<CreateResult> Create(const CreateParams& params,
                                      const SendProgressFn& on_send,
                                      uint64_t* wire_bytes) = 0;
  virtual Result<OffsetResult> QueryOffset(const std::string& url) = 0;
  // Appends `body` at `offset`. `checksum`: "algorithm base64digest" or "".
  // `declare_length`: this request ends the upload, which is that long.
  virtual Result<SendResult> Send(const std::string& url, uint64_t offset,
                                  const BodySource& body,
                                  const std::string& checksum,
                                  std::optional<uint64_t> declare_length,
                                  const SendProgressFn& on_send,
                                  uint64_t* wire_bytes) = 0;
  virtual Status Terminate(const std::string& url) = 0;

  // Replaces (or adds) a header for every later request (a refreshed
  // Authorization). Thread-safe.
  virtual void SetHeader(const std::string& name, const std::string& value) = 0;

  // Send with a body already in memory.
  Result<SendResult> Send(const std::string& url, uint64_t offset,
                          std::string_view data, const std::string& checksum,
                          std::optional<uint64_t> declare_length,
                          const SendProgressFn& on_send, uint64_t* wire_bytes);
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_PROTOCOLS_APPEND_APPEND_WIRE_H_
