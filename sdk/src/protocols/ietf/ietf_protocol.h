/* SPDX-License-Identifier: Apache-2.0 */
// The IETF resumable-upload draft's requests: creation (POST with
// Upload-Complete, reading the 104 interim response for the upload's URL),
// offset retrieval (HEAD), appends (PATCH, application/partial-upload),
// cancellation (DELETE); Upload-Limit, RFC 9530 digests and the draft's
// problem types. The interop version is negotiated by the first request
// that names one (8, then 7, 6, 5) and kept for the client.
#ifndef FERRY_SDK_SRC_PROTOCOLS_IETF_IETF_PROTOCOL_H_
#define FERRY_SDK_SRC_PROTOCOLS_IETF_IETF_PROTOCOL_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "errors/classify.h"
#include "http/http_client.h"
#include "protocols/append/append_endpoint.h"
#include "protocols/append/append_wire.h"
#include "sync/mutex.h"

namespace ferry::internal {

class IetfProtocol : public AppendWire {
 public:
  // http must outlive this object. headers: sent with every request; upload
  // URLs on another origin than the endpoint are refused (also in a 104).
  IetfProtocol(HttpClient* http, std::string endpoint, HeaderList headers,
               ClassifyOptions classify);

  std::string_view Name() const override { return "ietf"; }
  // OPTIONS once per client: Upload-Limit, Want-Content-Digest (sha-256
  // then goes with every append). An endpoint that answers OPTIONS with
  // tus and no word of the draft is still asked (tusd speaks both); its
  // refusal of the creation is then protocol_unsupported naming tus. One
  // that does not answer OPTIONS (404, 405, 501) is tried as it is. Until the
  // interop version is known a creation carries at most 64 KiB.
  Result<AppendCapabilities> CachedCapabilities() override;
  Status CheckUploadUrl(const std::string& url) const override;
  Result<CreateResult> Create(const CreateParams& params,
                              const SendProgressFn& on_send,
                              uint64_t* wire_bytes) override;
  Result<OffsetResult> QueryOffset(const std::string& url) override;
  using AppendWire::Send;
  Result<SendResult> Send(const std::string& url, uint64_t offset,
                          const BodySource& body, const std::string& checksum,
                          std::optional<uint64_t> declare_length,
                          const SendProgressFn& on_send,
                          uint64_t* wire_bytes) override;
  Status Terminate(const std::string& url) override;
  void SetHeader(const std::string& name, const std::string& value) override;

  // The interop version in use, 0 before one was accepted. Thread-safe.
  int interop_version() const;
  // The Tus-Version of an OPTIONS answer that said nothing of the draft,
  // else "". Thread-safe.
  std::string tus_version_said() const;

 private:
  Result<AppendCapabilities> Discover();
  HttpRequest NewRequest(std::string method, std::string url,
                         int version) const;
  // Performs the request made by `make` for each interop version still to
  // try (the negotiated one, else 8, 7, 6, 5) until one is not refused as
  // unknown; keeps the version that was accepted.
  HttpOutcome PerformNegotiated(
      const std::function<HttpRequest(int version)>& make,
      const SendProgressFn& on_send, uint64_t* wire_bytes);
  Error Classify(const HttpResponse& r, RequestKind kind,
                 const std::string& url) const;
  Error Unexpected(const std::string& what, const HttpResponse& r,
                   const std::string& url) const;
  // A refused creation; protocol_unsupported naming tus when the endpoint
  // answered OPTIONS as tus only (but for a refusal of the credentials).
  Error Refused(const HttpResponse& r) const;

  AppendEndpoint at_;
  mutable Mutex mu_;
  std::optional<AppendCapabilities> caps_ ABSL_GUARDED_BY(mu_);
  int version_ ABSL_GUARDED_BY(mu_) = 0;
  // Tus-Version of an OPTIONS answer that said nothing of the draft.
  std::string tus_version_said_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_PROTOCOLS_IETF_IETF_PROTOCOL_H_
