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
  for (const Rule& rule : config.rules) {
    Status valid = ValidateRule(rule);
    if (!valid.ok()) return valid.error();
  }
  for (std::string& ext : config.blocked_extensions) {
    for (char& c : ext) c = static_cast<char>(std::tolower(c));
    if (!ext.empty() && ext[0] != '.') ext.insert(ext.begin(), '.');
  }
  if (config.state_dir.empty()) config.state_dir = Journal::DefaultDir();
  return std::unique_ptr<ClientCore>(new ClientCore(std::move(config)));
}

ClientCore::ClientCore(ClientConfig config)
    : config_(std::move(config)),
      http_(config_.http),
      protocol_(std::make_unique<TusProtocol>(
          &http_, config_.endpoint, config_.headers,
          ClassifyOptions{&config_.rules, config_.max_clock_skew_ms})),
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

Status ClientCore::CheckBatch(uint64_t count) const {
  if (config_.max_files_per_batch > 0 && count > config_.max_files_per_batch) {
    Error e = MakeError(FERRY_ERR_TOO_MANY_FILES,
                        std::to_string(count) +
                            " files in one batch; the "
                            "service accepts at most " +
                            std::to_string(config_.max_files_per_batch) +
                            " (refused before sending)");
    e.limit = config_.max_files_per_batch;
    return e;
  }
  return OkStatus();
}

Result<UploadSummary> ClientCore::Upload(const std::string& path,
                                         const UploadParams& params) {
  UploadRun run(this, params);
  return run.Execute(path);
}

}  // namespace ferry::internal
