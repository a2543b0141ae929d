// SPDX-License-Identifier: Apache-2.0
#include "client/client_core.h"

#include <curl/curl.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <thread>

#include "http/url.h"
#include "session/upload_session.h"
#include "source/file_source.h"

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
  // A chunk is one zstd frame, whose sizes (in the seek table too) are 32
  // bits: 2 GiB leaves room for a stored frame's block headers.
  if (config.chunk_size == 0 || config.chunk_size > (1ull << 31)) {
    return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                     "chunk size must be between 1 byte and 2 GiB");
  }
  if (config.memory_budget < 4 * config.chunk_size) {
    return MakeError(
        FERRY_ERR_INVALID_ARGUMENT,
        "the memory budget (" + std::to_string(config.memory_budget >> 20) +
            " MiB) is below four chunks (" + std::to_string(config.chunk_size) +
            " bytes each), what one upload may hold: raise the "
            "budget or lower the chunk size");
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
  // The protocol checks its own options (protocols/registry.cc).
  auto core = std::unique_ptr<ClientCore>(new ClientCore(std::move(config)));
  auto protocol = NewProtocolClient(core->config_, &core->http_);
  if (!protocol.ok()) return protocol.error();
  core->protocol_ = std::move(protocol.value());
  return core;
}

ClientCore::ClientCore(ClientConfig config)
    : config_(std::move(config)),
      http_(config_.http),
      journal_(config_.state_dir),
      env_(SessionEnv::Real()) {}

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

uint64_t ClientCore::PerUploadMemory(uint64_t file_size) const {
  return protocol_->PerUploadMemory(file_size);
}

std::vector<Result<UploadSummary>> ClientCore::UploadBatch(
    const std::vector<std::string>& paths, const BatchParams& params) {
  std::vector<Result<UploadSummary>> results(
      paths.size(), MakeError(FERRY_ERR_CANCELLED,
                              "the batch was cancelled before this file "
                              "started"));
  Status allowed = CheckBatch(paths.size());
  if (!allowed.ok()) {
    for (auto& r : results) r = allowed.error();
    return results;
  }
  // What the batch shares: the next file, the memory in use, the progress.
  struct Shared {
    Mutex mu;
    size_t next ABSL_GUARDED_BY(mu) = 0;
    uint64_t memory_used ABSL_GUARDED_BY(mu) = 0;
    int64_t last_report_ms ABSL_GUARDED_BY(mu) = -1;
    std::vector<uint64_t> done ABSL_GUARDED_BY(mu);
    std::vector<uint64_t> wire ABSL_GUARDED_BY(mu);
    BatchProgress progress ABSL_GUARDED_BY(mu);
    CondVar freed;  // memory_used went down
    std::atomic<bool> cancelled{false};
  } shared;
  std::vector<uint64_t> sizes(paths.size(), 0);
  {
    MutexLock lock(&shared.mu);
    shared.done.assign(paths.size(), 0);
    shared.wire.assign(paths.size(), 0);
    shared.progress.files_total = static_cast<uint32_t>(paths.size());
    for (size_t i = 0; i < paths.size(); ++i) {
      struct stat st;
      if (::stat(paths[i].c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
        sizes[i] = static_cast<uint64_t>(st.st_size);
        shared.progress.bytes_total += sizes[i];
      }
    }
  }
  auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  // Reports (throttled unless forced) and notes a cancel. Holds shared.mu.
  auto report = [&](bool force) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shared.mu) {
    if (!params.on_progress || shared.cancelled) return;
    int64_t now = now_ms();
    if (!force && shared.last_report_ms >= 0 &&
        now - shared.last_report_ms < 100) {
      return;
    }
    shared.last_report_ms = now;
    if (!params.on_progress(shared.progress)) {
      shared.cancelled = true;
      shared.freed.SignalAll();  // nothing waits for memory any more
    }
  };
  auto worker = [&] {
    for (;;) {
      size_t i;
      uint64_t need;
      {
        MutexLock lock(&shared.mu);
        if (shared.next >= paths.size() || shared.cancelled) return;
        i = shared.next++;
        need = PerUploadMemory(sizes[i]);
        // Wait for memory; a file alone always runs.
        while (shared.memory_used > 0 &&
               shared.memory_used + need > config_.memory_budget &&
               !shared.cancelled) {
          shared.freed.Wait(&shared.mu);
        }
        if (shared.cancelled) return;
        shared.memory_used += need;
        ++shared.progress.files_active;
      }
      UploadParams one;
      one.metadata = params.metadata;
      one.object = params.object;
      one.discard_on_cancel = params.discard_on_cancel;
      one.restart_on_change = params.restart_on_change;
      one.on_progress = [&, i](const Progress& p) {
        MutexLock lock(&shared.mu);
        shared.progress.bytes_done += p.bytes_done - shared.done[i];
        shared.done[i] = p.bytes_done;
        shared.progress.wire_bytes += p.wire_bytes - shared.wire[i];
        shared.wire[i] = p.wire_bytes;
        report(false);
        return !shared.cancelled;
      };
      if (params.on_event) {
        one.on_event = [&, i](const Event& e) {
          MutexLock lock(&shared.mu);
          if (!shared.cancelled && !params.on_event(i, e)) {
            shared.cancelled = true;
            shared.freed.SignalAll();
          }
          return !shared.cancelled;
        };
      }
      Result<UploadSummary> r =
          Upload(paths[i], one, params.names.empty() ? "" : params.names[i]);
      MutexLock lock(&shared.mu);
      shared.memory_used -= need;
      shared.freed.SignalAll();
      --shared.progress.files_active;
      ++shared.progress.files_done;
      if (r.ok()) {
        // Wire bytes as the upload counted them (all of its requests).
        shared.progress.wire_bytes += r.value().wire_bytes - shared.wire[i];
        shared.wire[i] = r.value().wire_bytes;
      } else {
        ++shared.progress.files_failed;
      }
      if (params.on_file_done) params.on_file_done(i, r);
      results[i] = std::move(r);
      report(true);
    }
  };
  uint32_t threads =
      params.concurrency == 0 ? kAutoBatchConcurrency : params.concurrency;
  threads = static_cast<uint32_t>(std::min<size_t>(threads, paths.size()));
  std::vector<std::thread> pool;
  for (uint32_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  if (threads > 0) worker();  // the calling thread works too
  for (auto& t : pool) t.join();
  return results;
}

namespace {

// The id a pending entry goes by: its file's name in the state directory.
std::string EntryId(const JournalRecord& r) {
  return Journal::EntryName(r.endpoint, r.path).substr(0, 40);
}

// Past the server's expiry, or older than kMaxEntryAge (docs: resume state
// is kept 30 days at most; a server keeping uploads longer says so with
// Upload-Expires, which wins).
constexpr int64_t kMaxEntryAgeSeconds = 30 * 24 * 3600;

bool Expired(const JournalRecord& r) {
  time_t now = time(nullptr);
  if (r.expires.empty()) {
    return r.created_unix > 0 && now - r.created_unix > kMaxEntryAgeSeconds;
  }
  time_t when = curl_getdate(r.expires.c_str(), nullptr);
  return when > 0 && when < now;
}

}  // namespace

std::vector<PendingUpload> ClientCore::Pending() const {
  std::vector<PendingUpload> out;
  for (const JournalRecord& r : journal_.List()) {
    if (!protocol_->OwnsEntry(r)) continue;
    if (Expired(r)) {
      (void)journal_.Remove(r.endpoint, r.path);  // pruned
      continue;
    }
    PendingUpload p;
    p.id = EntryId(r);
    p.path = r.stream ? "" : r.path;
    p.name = r.name;
    std::string endpoint = r.endpoint;
    if (endpoint.rfind("s3 ", 0) == 0) endpoint = endpoint.substr(3);
    p.endpoint = RedactUrl(endpoint);
    p.protocol = r.protocol;
    p.size = r.identity.size;
    p.bytes_on_server = r.acked;
    p.expires = r.expires;
    p.created_unix = r.created_unix;
    p.resumable = !r.stream;
    p.last_error_code = static_cast<ferry_code>(r.last_error_code);
    p.last_error_message = r.last_error_message;
    out.push_back(std::move(p));
  }
  return out;
}

Status ClientCore::Forget(const std::string& id, bool discard_on_server) {
  for (const JournalRecord& r : journal_.List()) {
    if (!protocol_->OwnsEntry(r) || EntryId(r) != id) continue;
    // Not while a process uploads it (upload_in_progress).
    Result<UniqueFd> lock = journal_.Lock(r.endpoint, r.path);
    if (!lock.ok()) return lock.error();
    if (discard_on_server && !r.upload_url.empty()) {
      Status gone = protocol_->DiscardSaved(r);
      // Already gone on the server is what was asked for.
      if (!gone.ok() && gone.error().code != FERRY_ERR_UPLOAD_EXPIRED) {
        return gone;
      }
    }
    Status removed = journal_.Remove(r.endpoint, r.path);
    journal_.Unlock(r.endpoint, r.path, std::move(lock.value()));
    return removed;
  }
  return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                   "no unfinished upload with id " + id +
                       " for this client (see the pending list)");
}

Result<UploadSummary> ClientCore::Upload(const std::string& path,
                                         const UploadParams& params,
                                         const std::string& name) {
  return UploadFrom(
      [&path, &name]() -> Result<std::unique_ptr<Source>> {
        Result<std::unique_ptr<FileSource>> file = FileSource::Open(path, name);
        if (!file.ok()) return file.error();
        return std::unique_ptr<Source>(std::move(file.value()));
      },
      params);
}

Result<UploadSummary> ClientCore::UploadFrom(
    const SourceOpener& open, const UploadParams& params,
    std::shared_ptr<UploadControl> control) {
  Result<std::unique_ptr<Source>> source = open();
  if (!source.ok()) {
    if (control) {
      control->SetError(source.error());
      control->SetPhase(Phase::kFailed);
    }
    return source.error();
  }
  UploadSession session(config_, journal_, params, protocol_->NewTransfer(),
                        env_, std::move(control));
  return session.Run(std::move(source.value()));
}

}  // namespace ferry::internal
