// The client behind the C ABI: options, the shared connection pool, the
// protocol, the journal, and the per-file upload state machine.
#ifndef FERRY_SDK_SRC_ENGINE_CLIENT_CORE_H_
#define FERRY_SDK_SRC_ENGINE_CLIENT_CORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "errors/error.h"
#include "errors/rules.h"
#include "http/http_client.h"
#include "journal/journal.h"
#include "protocol/upload_protocol.h"
#include "retry/backoff.h"

namespace ferry::internal {

struct ClientConfig {
  std::string endpoint;
  std::string state_dir;  // "" → Journal::DefaultDir()
  HttpOptions http;
  RetryOptions retry;
  uint64_t chunk_size = 8ull << 20;
  // -1 auto (adaptive), 0 off, 1..22 a fixed zstd level.
  int compress_level = -1;
  HeaderList headers;
  std::vector<Rule> rules;
  int64_t max_clock_skew_ms = 120000;
  // Preflight: the service's policy as the app knows it.
  std::vector<std::string> blocked_extensions;  // lower case, with the dot
  uint32_t max_files_per_batch = 0;             // 0: no limit
  // Called on unauthenticated / credentials_expired; fills fresh headers
  // and returns true to retry, false to give up.
  std::function<bool(const Error&, HeaderList*)> refresh_credentials;
};

struct Progress {
  uint64_t bytes_done = 0;
  uint64_t bytes_total = 0;
  uint64_t bytes_acked = 0;
  uint64_t wire_bytes = 0;
};

struct Event {
  ferry_event_type type = FERRY_EVENT_RETRY;
  ferry_code code = FERRY_OK;
  uint32_t attempt = 0;
  uint64_t delay_ms = 0;
  uint64_t offset = 0;
  std::string message;
};

struct UploadParams {
  std::vector<std::pair<std::string, std::string>> metadata;
  // Return false to cancel.
  std::function<bool(const Progress&)> on_progress;
  std::function<bool(const Event&)> on_event;
  bool discard_on_cancel = false;
  bool restart_on_change = false;
};

struct UploadSummary {
  std::string url;
  uint64_t bytes = 0;
  uint64_t wire_bytes = 0;
  std::string sha256_hex;
  uint64_t resumed_from = 0;
  std::string encoding;  // "identity" or "zstd"
};

class ClientCore {
 public:
  // Validates the configuration. Errors: invalid_argument.
  static Result<std::unique_ptr<ClientCore>> Create(ClientConfig config);

  // Thread-safe; runs on the calling thread.
  Result<UploadSummary> Upload(const std::string& path,
                               const UploadParams& params);

  // too_many_files when `count` exceeds max_files_per_batch.
  Status CheckBatch(uint64_t count) const;

  const ClientConfig& config() const { return config_; }

 private:
  explicit ClientCore(ClientConfig config);
  // Server capabilities, discovered once per client (with retries).
  Result<ServerCapabilities> Capabilities(class UploadRun& run);

  ClientConfig config_;
  HttpClient http_;
  std::unique_ptr<UploadProtocol> protocol_;
  Journal journal_;
  absl::Mutex mu_;
  std::optional<ServerCapabilities> caps_ ABSL_GUARDED_BY(mu_);
  friend class UploadRun;
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_ENGINE_CLIENT_CORE_H_
