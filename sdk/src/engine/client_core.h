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

#include "sync/mutex.h"
#include "errors/error.h"
#include "errors/rules.h"
#include "http/http_client.h"
#include "journal/journal.h"
#include "protocol/s3/s3_protocol.h"
#include "protocol/upload_protocol.h"
#include "retry/backoff.h"

namespace ferry::internal {

struct ClientConfig {
  // tus: the creation endpoint; S3: the service endpoint (path-style
  // requests go to endpoint/bucket/key).
  std::string endpoint;
  ferry_protocol protocol = FERRY_PROTOCOL_TUS;
  // S3: the bucket, credentials (empty fields are taken from the
  // AWS_* environment variables), payload signing, part size (0: 8 MiB,
  // grown for big files), parts sent at once, and a known clock error.
  std::string s3_bucket;
  S3Credentials s3_credentials;
  bool s3_unsigned_payload = false;
  S3Presigner s3_presigner;  // presigned mode when set
  uint64_t s3_part_size = 0;
  uint32_t s3_parallel_parts = 4;
  int64_t clock_offset_ms = 0;
  std::string state_dir;  // "" → Journal::DefaultDir()
  HttpOptions http;
  RetryOptions retry;
  // 4 MiB: four of them (an upload's buffers) stay within 32 MiB of RSS.
  uint64_t chunk_size = 4ull << 20;
  // Most file bytes in one PATCH when requests stream (no per-request
  // checksum); 0: no limit but the file.
  uint64_t request_size = 0;
  // Hash the whole file before creating its upload, to send its SHA-256 in
  // Upload-Metadata (for servers that verify it); otherwise it is hashed
  // as it streams and reported in the result.
  bool announce_sha256 = false;
  // Upper bound on the buffers of all uploads of this client together
  // (an upload holds at most PerUploadMemory()); never the file size.
  uint64_t memory_budget = 64ull << 20;
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
  // S3: the object's key; "" → the file's name.
  std::string object_key;
  std::vector<std::pair<std::string, std::string>> metadata;
  // Return false to cancel.
  std::function<bool(const Progress&)> on_progress;
  std::function<bool(const Event&)> on_event;
  bool discard_on_cancel = false;
  bool restart_on_change = false;
};

struct BatchProgress {
  uint64_t bytes_done = 0;   // over all files; never decreases
  uint64_t bytes_total = 0;  // sizes of the files that could be opened
  uint64_t wire_bytes = 0;
  uint32_t files_total = 0;
  uint32_t files_done = 0;  // finished, uploaded or failed
  uint32_t files_failed = 0;
  uint32_t files_active = 0;
};

struct UploadSummary;

struct BatchParams {
  uint32_t concurrency = 4;  // files at once (0: 4), within the budget
  std::vector<std::pair<std::string, std::string>> metadata;  // every file
  // Aggregate progress, serialised; return false to cancel the batch.
  std::function<bool(const BatchProgress&)> on_progress;
  // Per-file events, serialised; return false to cancel the batch.
  std::function<bool(size_t index, const Event&)> on_event;
  // Each file's outcome as it ends, serialised.
  std::function<void(size_t index, const Result<UploadSummary>&)> on_file_done;
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

  // Uploads every file, `concurrency` at a time, and returns one result a
  // file, in order. Files wait for memory: an upload holds up to
  // PerUploadMemory() of its size and all running ones stay within
  // memory_budget (one always runs). The batch as a whole is refused with
  // too_many_files (every result that error) past max_files_per_batch.
  // Cancelling fails the running files and those not started with
  // cancelled. Thread-safe.
  std::vector<Result<UploadSummary>> UploadBatch(
      const std::vector<std::string>& paths, const BatchParams& params);

  // Buffers one upload of a `file_size` file may hold at once: chunks read
  // ahead, a frame being made and one being sent.
  uint64_t PerUploadMemory(uint64_t file_size) const;

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
  std::unique_ptr<S3Protocol> s3_;  // set for FERRY_PROTOCOL_S3
  Journal journal_;
  Mutex mu_;
  std::optional<ServerCapabilities> caps_ ABSL_GUARDED_BY(mu_);
  friend class UploadRun;
  friend class S3UploadRun;
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_ENGINE_CLIENT_CORE_H_
