// SPDX-License-Identifier: Apache-2.0
// The client behind the C ABI: options, the shared connection pool, the
// protocol's client-wide half, the journal; an UploadSession per upload.
#ifndef FERRY_SDK_SRC_CLIENT_CLIENT_CORE_H_
#define FERRY_SDK_SRC_CLIENT_CLIENT_CORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "client/client_types.h"
#include "errors/error.h"
#include "http/http_client.h"
#include "journal/journal.h"
#include "protocols/protocol_client.h"
#include "session/session_env.h"
#include "session/upload_control.h"
#include "source/source.h"

namespace ferry::internal {

class ClientCore {
 public:
  // Validates the configuration. Errors: invalid_argument.
  static Result<std::unique_ptr<ClientCore>> Create(ClientConfig config);

  // Thread-safe; runs on the calling thread.
  Result<UploadSummary> Upload(const std::string& path,
                               const UploadParams& params,
                               const std::string& name = "");
  // Uploads the source `open` makes, steered through `control` when given
  // (pause, resume, cancel; status). Thread-safe; runs on the calling
  // thread.
  Result<UploadSummary> UploadFrom(
      const SourceOpener& open, const UploadParams& params,
      std::shared_ptr<UploadControl> control = nullptr);

  // Unfinished uploads of this client in its state directory, oldest
  // first. Entries past the server's expiry are removed, not listed.
  // Thread-safe.
  std::vector<PendingUpload> Pending() const;
  // Removes an entry (an id from Pending); with `discard_on_server`, first
  // terminates (tus) or aborts (S3) its server-side upload. Errors:
  // invalid_argument (no such entry), state_unwritable, the server's.
  Status Forget(const std::string& id, bool discard_on_server);

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

  ClientConfig config_;
  HttpClient http_;
  std::unique_ptr<ProtocolClient> protocol_;
  Journal journal_;
  SessionEnv env_;
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_CLIENT_CLIENT_CORE_H_
