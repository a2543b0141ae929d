/* SPDX-License-Identifier: Apache-2.0 */
// tus 1.0: discovery (OPTIONS), creation (+with-upload), offset (HEAD),
// PATCH with Upload-Checksum where offered, termination (DELETE).
#ifndef FERRY_SDK_SRC_PROTOCOLS_TUS_TUS_PROTOCOL_H_
#define FERRY_SDK_SRC_PROTOCOLS_TUS_TUS_PROTOCOL_H_

#include <optional>
#include <string>
#include <string_view>

#include "errors/classify.h"
#include "http/http_client.h"
#include "protocols/append/append_endpoint.h"
#include "protocols/append/append_wire.h"
#include "protocols/tus/tus_types.h"
#include "sync/mutex.h"

namespace ferry::internal {

class TusProtocol : public AppendWire {
 public:
  // http must outlive this object. headers: sent with every request (the
  // app's Authorization and so on); upload URLs on another origin than the
  // endpoint are refused, so they never leave for a stranger.
  TusProtocol(HttpClient* http, std::string endpoint, HeaderList headers,
              ClassifyOptions classify);

  // Replaces (or adds) a header for every later request, e.g. a refreshed
  // Authorization. Thread-safe.
  void SetHeader(const std::string& name, const std::string& value) override;

  Result<ServerCapabilities> Discover();
  // Discover(), asked once per client: later calls return the first
  // successful answer. Thread-safe.
  Result<ServerCapabilities> CachedDiscover();

  // AppendWire.
  std::string_view Name() const override { return "tus"; }
  // From CachedDiscover: the extensions ferry uses, the checksum algorithm
  // it picks (sha256, else sha1, else any it knows) and Tus-Max-Size.
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

 private:
  HttpRequest NewRequest(std::string method, std::string url) const;

  Result<uint64_t> RequireOffset(const HttpResponse& r, RequestKind kind,
                                 const std::string& url) const;

  AppendEndpoint at_;
  mutable Mutex mu_;
  std::optional<ServerCapabilities> caps_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_PROTOCOLS_TUS_TUS_PROTOCOL_H_
