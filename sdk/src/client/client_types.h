// SPDX-License-Identifier: Apache-2.0
// What a client is configured with, what one upload is asked to do, and
// what it reports back: shared by the client, the session and transfers.
#ifndef FERRY_SDK_SRC_CLIENT_CLIENT_TYPES_H_
#define FERRY_SDK_SRC_CLIENT_CLIENT_TYPES_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "errors/error.h"
#include "errors/rules.h"
#include "http/http_client.h"
#include "protocols/s3/s3_protocol.h"
#include "retry/backoff.h"

namespace ferry::internal {

// Fresh credentials from the app's refresh hook.
struct FreshCredentials {
  HeaderList headers;  // replace these for every later request
  // S3: new keys for the signer (none: keep the old ones).
  std::optional<S3Credentials> s3;
};

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
  S3Addressing s3_addressing = S3Addressing::kAuto;
  // Sources (of known size, readable again) smaller than this go in one
  // PutObject; 0 or less: always multipart.
  int64_t s3_multipart_threshold = 8 << 20;
  std::string s3_profile;  // "": AWS_PROFILE, then "default"

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
  // One redacted line at a FERRY_LOG_* level (at least log_level) about
  // an upload: retries, restarts, resume and compression decisions.
  // Called from uploading threads.
  std::function<void(int level, const std::string& message)> log;
  int log_level = 20;
  // Called on unauthenticated / credentials_expired; fills fresh headers
  // (and, for S3, fresh keys) and returns true to retry, false to give up.
  std::function<bool(const Error&, FreshCredentials*)> refresh_credentials;
};

struct Progress {
  uint64_t bytes_done = 0;
  // The source's size; for a stream of unknown length, the bytes read so
  // far (total_known false) until its end is read.
  uint64_t bytes_total = 0;
  bool total_known = true;
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

// S3: what the object is created with besides its bytes (docs/s3.md).
struct ObjectSettings {
  HeaderList headers;  // Content-Type, Cache-Control, x-amz-storage-class...
  // Without a Content-Type in headers: the file name's, from mime.types.
  bool guess_content_type = false;
  bool empty() const { return headers.empty() && !guess_content_type; }
};

struct UploadParams {
  // S3: the object's key; "" → the file's name.
  std::string object_key;
  std::vector<std::pair<std::string, std::string>> metadata;
  ObjectSettings object;
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

struct UploadSummary {
  std::string url;
  uint64_t bytes = 0;
  uint64_t wire_bytes = 0;
  std::string sha256_hex;
  uint64_t resumed_from = 0;
  std::string encoding;  // "identity" or "zstd"
};

// An upload the state directory holds that has not finished.
struct PendingUpload {
  std::string id;    // pass to Forget
  std::string path;  // the absolute path; "" for a stream
  std::string name;
  std::string endpoint;          // redacted: no user info, query or fragment
  std::string protocol;          // "tus", "s3"
  uint64_t size = 0;             // for a stream: bytes read when last saved
  uint64_t bytes_on_server = 0;  // the server had these at the last save
  std::string expires;           // the server's expiry as it said it, or ""
  int64_t created_unix = 0;
  bool resumable = true;  // false for a stream (source_not_resumable)
  ferry_code last_error_code = FERRY_OK;
  std::string last_error_message;
};

// Beyond 8 small files at once a local RGW gained nothing
// (docs/architecture.md); the memory budget narrows it for big files.
inline constexpr uint32_t kAutoBatchConcurrency = 8;

struct BatchParams {
  // Files at once, within the budget; 0: as many as the budget holds, at
  // most kAutoBatchConcurrency.
  uint32_t concurrency = 0;
  // Empty, or a name per path (tus filename, S3 key); "": the file's own.
  std::vector<std::string> names;
  std::vector<std::pair<std::string, std::string>> metadata;  // every file
  ObjectSettings object;                                      // every file
  // Aggregate progress, serialised; return false to cancel the batch.
  std::function<bool(const BatchProgress&)> on_progress;
  // Per-file events, serialised; return false to cancel the batch.
  std::function<bool(size_t index, const Event&)> on_event;
  // Each file's outcome as it ends, serialised.
  std::function<void(size_t index, const Result<UploadSummary>&)> on_file_done;
  bool discard_on_cancel = false;
  bool restart_on_change = false;
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_CLIENT_CLIENT_TYPES_H_
