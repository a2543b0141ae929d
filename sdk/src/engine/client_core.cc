#include "engine/client_core.h"

#include "engine/upload_run.h"
#include "http/url.h"
#include "protocol/tus/tus_protocol.h"

namespace ferry::internal {

Result<std::unique_ptr<ClientCore>> ClientCore::Create(ClientConfig config) {
  if (config.endpoint.empty()) {
    return MakeError(FERRY_ERR_INVALID_ARGUMENT, "an endpoint URL is required");
  }
  if (!UrlOrigin(config.endpoint) ||
      !ResolveUrl(config.endpoint, config.endpoint)) {
    return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                     "the endpoint is not an http:// or https:// URL: " +
                         RedactUrl(config.endpoint));
  }
  if (config.chunk_size == 0 || config.chunk_size > (1ull << 32)) {
    return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                     "chunk size must be between 1 byte and 4 GiB");
  }
  if (config.retry.max_delay_ms < config.retry.base_delay_ms) {
    return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                     "retry max delay is below the base delay");
  }
  if (config.state_dir.empty()) config.state_dir = Journal::DefaultDir();
  return std::unique_ptr<ClientCore>(new ClientCore(std::move(config)));
}

ClientCore::ClientCore(ClientConfig config)
    : config_(std::move(config)),
      http_(config_.http),
      protocol_(std::make_unique<TusProtocol>(&http_, config_.endpoint,
                                              config_.headers)),
      journal_(config_.state_dir) {}

Result<ServerCapabilities> ClientCore::Capabilities(UploadRun& run) {
  {
    absl::MutexLock lock(&mu_);
    if (caps_) return *caps_;
  }
  Result<ServerCapabilities> caps =
      run.WithRetry<ServerCapabilities>([&] { return protocol_->Discover(); });
  if (caps.ok()) {
    absl::MutexLock lock(&mu_);
    caps_ = caps.value();
  }
  return caps;
}

Result<UploadSummary> ClientCore::Upload(const std::string& path,
                                         const UploadParams& params) {
  UploadRun run(this, params);
  return run.Execute(path);
}

}  // namespace ferry::internal
