// SPDX-License-Identifier: Apache-2.0
/// ferry C++ API: a header-only layer over the stable C ABI (ferry.h), so a
/// C++ program links libferry.so exactly as a C program does.
///
/// Thread-safety: a Client may run uploads from several threads at once (each
/// Upload() runs on the calling thread). Error and Result are values.
#ifndef FERRY_FERRY_HPP_
#define FERRY_FERRY_HPP_

#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "ferry/ferry.h"

namespace ferry {

#define FERRY_X_CXX_CODE_(value, upper, lower, cat, origin, retry, action, \
                          meaning, does)                                   \
  k_##lower = value,
/// The error codes of the table, as a scoped enum.
enum class Code : int32_t { kOk = 0, FERRY_ERROR_TABLE(FERRY_X_CXX_CODE_) };
#undef FERRY_X_CXX_CODE_

/// The stable name of a code ("file_too_large"), or "unknown".
inline const char* CodeName(Code c) {
  const char* n = ferry_code_name(static_cast<int32_t>(c));
  return n ? n : "unknown";
}

/// A typed error: who refused, why, whether retrying helps, what to do.
struct Error {
  Code code = Code::kOk;   ///< the code
  std::string code_name;   ///< its stable name, "file_too_large"
  std::string category;    ///< the kind of failure, "policy"
  std::string origin;      ///< who refused: client, network, server, recipient
  bool retryable = false;  ///< true when retrying later can succeed
  int64_t retry_after_ms = -1;  ///< -1: not known
  std::string action;           ///< what to do, "split_file"
  std::string message;         ///< for people; never a credential or signed URL
  int http_status = 0;         ///< the response's status, or 0
  std::string server_code;     ///< the server's own code, or ""
  std::string server_message;  ///< the server's own message, or ""
  std::string request_id;      ///< the server's request id, or ""
  int64_t limit = -1;          ///< -1: none
  std::string url;             ///< redacted
  std::optional<int64_t> clock_skew_ms;  ///< server clock minus ours
  std::string json;                      ///< the whole error as one JSON object

  /// Copies a C error; with e NULL, the defaults of `fallback`'s code.
  static Error FromC(const ferry_error* e, ferry_code fallback) {
    Error out;
    if (e == nullptr) {
      // The code's defaults from the table.
      out.code = static_cast<Code>(fallback);
      const char* n = ferry_code_name(fallback);
      out.code_name = n ? n : "unknown";
      out.message = out.code_name;
      ferry_code_info info = FERRY_CODE_INFO_INIT;
      if (ferry_code_info_get(fallback, &info)) {
        out.category = ferry_category_name(info.category);
        out.origin = ferry_origin_name(info.origin);
        out.retryable = info.retryable != 0;
        out.action = ferry_action_name(info.action);
        out.message = info.meaning;
      }
      return out;
    }
    out.code = static_cast<Code>(ferry_error_code(e));
    out.code_name = ferry_code_name(ferry_error_code(e));
    out.category = ferry_category_name(ferry_error_category(e));
    out.origin = ferry_origin_name(ferry_error_origin(e));
    out.retryable = ferry_error_retryable(e) != 0;
    out.retry_after_ms = ferry_error_retry_after_ms(e);
    out.action = ferry_action_name(ferry_error_action(e));
    out.message = ferry_error_message(e);
    out.http_status = ferry_error_http_status(e);
    out.server_code = ferry_error_server_code(e);
    out.server_message = ferry_error_server_message(e);
    out.request_id = ferry_error_request_id(e);
    out.limit = ferry_error_limit(e);
    out.url = ferry_error_url(e);
    int64_t skew = 0;
    if (ferry_error_clock_skew_ms(e, &skew)) out.clock_skew_ms = skew;
    out.json = ferry_error_json(e);
    return out;
  }
};

/// Either a value or an Error (no exceptions cross this API).
template <typename T>
class Outcome {
 public:
  /// A success holding `value`.
  Outcome(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  /// A failure holding `error`.
  Outcome(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design
  /// True when it holds a value.
  bool ok() const { return v_.index() == 0; }
  /// The value; only when ok().
  const T& value() const { return std::get<0>(v_); }
  /// The value; only when ok().
  T& value() { return std::get<0>(v_); }
  /// The error; only when !ok().
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

/// What a presigned S3 URL is asked for (see ferry_s3_presign_request).
struct S3PresignRequest {
  ferry_s3_op op;            ///< the S3 operation
  std::string method;        ///< the HTTP method ferry will use
  std::string bucket;        ///< the bucket
  std::string key;           ///< the object's key
  std::string upload_id;     ///< "" for create
  uint32_t part_number = 0;  ///< upload: the part; list: the marker
  std::vector<std::pair<std::string, std::string>> headers;  ///< sent with it
};

/// How a client connects, retries, compresses and keeps resume state (see
/// ferry_client_options for each field's details); zero means the default.
struct ClientOptions {
  /// tus: the creation endpoint; S3: the service endpoint.
  std::string endpoint;
  ferry_protocol protocol = FERRY_PROTOCOL_TUS;  ///< tus, S3, IETF, auto
  /// S3 (docs/s3.md): bucket, credentials ("" → the AWS_* environment
  /// variables), UNSIGNED-PAYLOAD instead of signed SHA-256, part size
  /// (0 → 8 MiB), parts at once (0 → 4), a known clock error (server − local).
  std::string s3_bucket;
  std::string s3_access_key_id;      ///< "" → as the AWS CLI finds it
  std::string s3_secret_access_key;  ///< "" → AWS_SECRET_ACCESS_KEY
  std::string s3_session_token;      ///< "" → AWS_SESSION_TOKEN
  std::string s3_region;             ///< "" → AWS_REGION, profile, us-east-1
  bool s3_unsigned_payload = false;  ///< parts as UNSIGNED-PAYLOAD
  uint64_t s3_part_size = 0;         ///< 0 → 8 MiB
  uint32_t s3_parallel_parts = 0;    ///< 0 → 4
  /// Where the bucket goes: AUTO (virtual-hosted on AWS), PATH, VIRTUAL.
  ferry_s3_addressing s3_addressing = FERRY_S3_ADDRESSING_AUTO;
  /// Smaller sources go in one PutObject: 0 → 8 MiB; negative: never.
  int64_t s3_multipart_threshold = 0;
  /// The ~/.aws profile for keys, region, credential_process: "" →
  /// AWS_PROFILE, then "default".
  std::string s3_profile;
  int64_t clock_offset_ms = 0;  ///< known clock error, server − local
  std::string
      state_dir;  ///< "" → $XDG_STATE_HOME/ferry or ~/.local/state/ferry
  std::string ca_file;  ///< PEM CA bundle to trust instead of the system's
  bool insecure_skip_tls_verify = false;  ///< never outside tests
  uint64_t chunk_size = 0;                ///< 0 → 4 MiB
  uint64_t request_size = 0;              ///< 0 → the rest of the file
  uint64_t memory_budget = 0;             ///< 0 → 64 MiB, for all uploads
  /// Send the file's SHA-256 in Upload-Metadata (hashes it before sending).
  bool announce_sha256 = false;
  std::optional<uint32_t> max_retries;  ///< default 8
  uint32_t retry_base_delay_ms = 0;     ///< 0 → 250
  uint32_t retry_max_delay_ms = 0;      ///< 0 → 30000
  uint32_t retry_deadline_ms = 0;       ///< 0 → 300000
  uint32_t stall_window_ms = 0;         ///< 0 → 30000
  uint32_t stall_min_bps = 0;           ///< 0 → 1024
  uint32_t connect_timeout_ms = 0;      ///< 0 → 15000
  uint64_t max_send_bytes_per_sec = 0;  ///< 0 → unlimited
  /// FERRY_COMPRESS_AUTO (default), FERRY_COMPRESS_OFF, or a level 1..22.
  int compress_level = FERRY_COMPRESS_AUTO;
  /// Headers sent with every request ("Authorization", "Bearer x").
  std::vector<std::pair<std::string, std::string>> headers;
  /// The service's policy, checked before sending.
  std::vector<std::string> blocked_extensions;  ///< ".exe", ".bat", ...
  uint32_t max_files_per_batch = 0;             ///< 0: no limit
  uint32_t max_clock_skew_ms = 0;               ///< 0 → 120000
  /// Origins besides the endpoint's that upload URLs and redirects may lead
  /// to, with this client's headers ("https://files.example").
  std::vector<std::string> allowed_origins;
  /// Server-specific error mappings: a JSON rules document and/or a file.
  std::string rules_json;
  std::string rules_file;  ///< a rules file (docs/rules.md), or ""
  /// Called on unauthenticated / credentials_expired: put fresh headers in
  /// *headers and return true to retry where the upload was.
  std::function<bool(const Error& why,
                     std::vector<std::pair<std::string, std::string>>* headers)>
      refresh_credentials;
  /// S3 presigned mode (docs/s3.md): returns the URL for one request, or
  /// nullopt to stop the upload (cancelled). Called from several threads.
  std::function<std::optional<std::string>(const S3PresignRequest&)> s3_presign;
  /// Log lines (see ferry_log_fn): level FERRY_LOG_*, a redacted message.
  /// Called from uploading threads; must be thread-safe.
  std::function<void(int level, const std::string& message)> on_log;
  int log_level = FERRY_LOG_INFO;  ///< the least level passed to on_log
  int tls_min_version = 0;         ///< 0 or 12: TLS 1.2; 13: TLS 1.3
};

/// Where an upload stands (see ferry_progress).
using Progress = ferry_progress;

/// Something an upload did besides sending bytes (see ferry_event).
struct Event {
  ferry_event_type type;    ///< what happened
  Code code;                ///< RETRY, RESTARTED: why
  uint32_t attempt;         ///< RETRY: 1 for the first retry in a row
  uint64_t delay_ms;        ///< RETRY: the wait before it
  uint64_t offset;          ///< RESUMED, CREATED, PAUSED, UNPAUSED: the offset
  std::string message;      ///< redacted, for people
  uint32_t file_index = 0;  ///< in a batch, the file it is about
};

/// Options of one upload (see ferry_upload_options).
struct UploadOptions {
  /// Extra Upload-Metadata pairs ("filename" is always sent).
  std::vector<std::pair<std::string, std::string>> metadata;
  std::string object_key;  ///< S3: "" → the file's name
  /// Return false to cancel.
  std::function<bool(const Progress&)> on_progress;
  /// Retries, resumes, restarts; return false to cancel.
  std::function<bool(const Event&)> on_event;
  bool discard_on_cancel = false;  ///< on cancel, delete the server's copy
  bool restart_on_change = false;  ///< a changed file starts anew (not fail)
  /// S3: headers the object is created with (Content-Type, Cache-Control,
  /// x-amz-storage-class...; see ferry_upload_options.object_headers).
  std::vector<std::pair<std::string, std::string>> object_headers;
  /// S3: without a Content-Type above, the name's, from /etc/mime.types.
  bool guess_content_type = false;
};

/// Where a batch stands (see ferry_batch_progress).
using BatchProgress = ferry_batch_progress;

/// Options of a batch (see ferry_batch_options).
struct BatchOptions {
  uint32_t concurrency = 0;  ///< 0: as many as the memory budget holds, ≤ 8
  std::vector<std::pair<std::string, std::string>> metadata;  ///< every file
  /// Aggregate progress; calls never overlap. Return false to cancel all.
  std::function<bool(const BatchProgress&)> on_progress;
  /// Per-file events (file_index says which). Return false to cancel all.
  std::function<bool(const Event&)> on_event;
  /// Each file's outcome as it ends (index in paths); calls never overlap.
  std::function<void(uint32_t index, const Outcome<struct UploadResult>&)>
      on_file_done;
  bool discard_on_cancel = false;  ///< on cancel, delete the server's copies
  bool restart_on_change = false;  ///< a changed file starts anew (not fail)
  /// Empty, or one name per path (the tus filename, the S3 key); "" → the
  /// file's own name.
  std::vector<std::string> names;
  /// As in UploadOptions, for every file (each guessed from its own name).
  std::vector<std::pair<std::string, std::string>> object_headers;
  bool guess_content_type = false;  ///< as in UploadOptions
};

/// A finished upload (see ferry_result).
struct UploadResult {
  std::string url;            ///< may hold a secret (a signed URL): do not log
  std::string url_redacted;   ///< without user info, query and fragment
  uint64_t bytes = 0;         ///< the source's size
  uint64_t wire_bytes = 0;    ///< body bytes put on the wire, retries included
  std::string sha256;         ///< lower-case hex SHA-256 of the whole source
  uint64_t resumed_from = 0;  ///< where this call resumed (0: a fresh upload)
  std::string encoding;       ///< "identity" or "zstd"
};

/// What an upload reads (see "Sources" in ferry.h for the resume rules).
/// Move-only; an upload started from a Source keeps what it needs, so the
/// Source may go away once the call returned.
class Source {
 public:
  /// Reads up to `max` bytes into `out`: how many, 0 at the end, -1 on a
  /// failure. Called on the uploading thread.
  using ReadFn = std::function<int64_t(char* out, uint64_t max)>;

  /// The file at `path` (opened when the upload starts).
  static Source Path(const std::string& path) {
    return Source(ferry_source_from_path(path.c_str()), nullptr);
  }
  /// ferry takes its own duplicate of fd. Errors: invalid_argument.
  static Outcome<Source> Fd(int fd) {
    ferry_error* err = nullptr;
    ferry_source* s = ferry_source_from_fd(fd, &err);
    if (s == nullptr) return Taken(err);
    return Source(s, nullptr);
  }
  /// copy false: the caller keeps the bytes alive and unchanged until the
  /// upload ends.
  static Outcome<Source> Memory(const void* data, uint64_t size,
                                bool copy = true) {
    ferry_error* err = nullptr;
    ferry_source* s = ferry_source_from_memory(data, size, copy ? 1 : 0, &err);
    if (s == nullptr) return Taken(err);
    return Source(s, nullptr);
  }
  /// A stream of `length` bytes, or FERRY_LENGTH_UNKNOWN. Uploaded once.
  static Outcome<Source> Reader(ReadFn read,
                                int64_t length = FERRY_LENGTH_UNKNOWN) {
    auto fn = std::make_shared<ReadFn>(std::move(read));
    ferry_error* err = nullptr;
    ferry_source* s =
        ferry_source_from_callback(&ReadThunk, fn.get(), length, &err);
    if (s == nullptr) return Taken(err);
    return Source(s, fn);
  }
  /// The name the upload goes by (tus filename, default S3 key).
  Source& Name(const std::string& name) {
    ferry_source_set_name(handle_.get(), name.c_str());
    return *this;
  }
  /// The C source, owned by this object.
  const ferry_source* get() const { return handle_.get(); }
  /// What an upload of this source must keep alive until it ends.
  std::shared_ptr<void> keep() const { return read_; }

 private:
  struct Free {
    void operator()(ferry_source* s) const { ferry_source_free(s); }
  };
  Source(ferry_source* s, std::shared_ptr<ReadFn> read)
      : handle_(s), read_(std::move(read)) {}
  static Error Taken(ferry_error* err) {
    Error e = Error::FromC(err, FERRY_ERR_INVALID_ARGUMENT);
    ferry_error_free(err);
    return e;
  }
  static int64_t ReadThunk(void* out, uint64_t max, void* user) {
    try {
      return (*static_cast<ReadFn*>(user))(static_cast<char*>(out), max);
    } catch (...) {
      return -1;  // no exception crosses into C
    }
  }
  std::unique_ptr<ferry_source, Free> handle_;
  std::shared_ptr<ReadFn> read_;
};

/// Where a started upload is (see ferry_upload_phase).
enum class Phase : int32_t {
  kOpening = FERRY_PHASE_OPENING,
  kResuming = FERRY_PHASE_RESUMING,
  kCreating = FERRY_PHASE_CREATING,
  kSending = FERRY_PHASE_SENDING,
  kPaused = FERRY_PHASE_PAUSED,
  kFinishing = FERRY_PHASE_FINISHING,
  kDone = FERRY_PHASE_DONE,
  kFailed = FERRY_PHASE_FAILED,
};

/// A started upload's phase and progress.
struct UploadStatus {
  Phase phase = Phase::kOpening;    ///< where it is
  ferry_progress progress{};        ///< its progress
  std::optional<Error> last_error;  ///< the last error met, if any
};

/// An unfinished upload in the state directory (see ferry_pending_entry).
struct PendingUpload {
  std::string id;                ///< for Client::Forget
  std::string path;              ///< the file's absolute path; "" for a stream
  std::string name;              ///< what the upload went by
  std::string endpoint;          ///< redacted
  std::string protocol;          ///< "tus" or "s3"
  std::string expires;           ///< the server's expiry as it said it, or ""
  uint64_t size = 0;             ///< the source's size (a stream: bytes read)
  uint64_t bytes_on_server = 0;  ///< what the server had when last saved
  int64_t created_unix = 0;      ///< when the upload was created
  bool resumable = true;         ///< false for a stream
  std::optional<Error> last_error;  ///< how it last ended, if known
};

class UploadHandle;

/// One call's callbacks and the first exception one of them threw. No
/// exception crosses into libferry: a throwing callback cancels the call,
/// and the call rethrows the exception, unchanged, once libferry returned.
struct CallbackScope {
  const UploadOptions* upload = nullptr;  ///< for an upload's callbacks
  const BatchOptions* batch = nullptr;    ///< for a batch's callbacks

  /// Runs `f` (returning true to go on); false when it threw or a callback
  /// of this call threw before (the call is being cancelled).
  template <typename F>
  bool Run(F&& f) {
    if (Thrown()) return false;
    try {
      return f();
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!thrown_) thrown_ = std::current_exception();
      return false;
    }
  }
  /// Rethrows what a callback threw, if one did.
  void RethrowIfThrown() {
    std::exception_ptr e;
    {
      std::lock_guard<std::mutex> lock(mu_);
      e = thrown_;
    }
    if (e) std::rethrow_exception(e);
  }

 private:
  bool Thrown() {
    std::lock_guard<std::mutex> lock(mu_);
    return thrown_ != nullptr;
  }
  std::mutex mu_;
  std::exception_ptr thrown_;
};

/// A client of one endpoint (see ferry_client). Move-free; uploads on it
/// may run from several threads at once.
class Client {
 public:
  /// Errors: invalid_argument (bad endpoint or options).
  static Outcome<std::unique_ptr<Client>> Create(const ClientOptions& o) {
    ferry_client_options c = FERRY_CLIENT_OPTIONS_INIT;
    c.endpoint = o.endpoint.c_str();
    c.protocol = o.protocol;
    auto opt = [](const std::string& v) {
      return v.empty() ? nullptr : v.c_str();
    };
    c.s3_bucket = opt(o.s3_bucket);
    c.s3_access_key_id = opt(o.s3_access_key_id);
    c.s3_secret_access_key = opt(o.s3_secret_access_key);
    c.s3_session_token = opt(o.s3_session_token);
    c.s3_region = opt(o.s3_region);
    c.s3_unsigned_payload = o.s3_unsigned_payload ? 1 : 0;
    c.s3_part_size = o.s3_part_size;
    c.s3_parallel_parts = o.s3_parallel_parts;
    c.s3_addressing = o.s3_addressing;
    c.s3_multipart_threshold = o.s3_multipart_threshold;
    c.s3_profile = o.s3_profile.empty() ? nullptr : o.s3_profile.c_str();
    c.clock_offset_ms = o.clock_offset_ms;
    c.state_dir = o.state_dir.empty() ? nullptr : o.state_dir.c_str();
    c.ca_file = o.ca_file.empty() ? nullptr : o.ca_file.c_str();
    c.insecure_skip_tls_verify = o.insecure_skip_tls_verify ? 1 : 0;
    c.chunk_size = o.chunk_size;
    c.request_size = o.request_size;
    c.memory_budget = o.memory_budget;
    c.announce_sha256 = o.announce_sha256 ? 1 : 0;
    if (o.max_retries) {
      c.max_retries = *o.max_retries;
      c.no_retries = *o.max_retries == 0 ? 1 : 0;
    }
    c.retry_base_delay_ms = o.retry_base_delay_ms;
    c.retry_max_delay_ms = o.retry_max_delay_ms;
    c.retry_deadline_ms = o.retry_deadline_ms;
    c.stall_window_ms = o.stall_window_ms;
    c.stall_min_bps = o.stall_min_bps;
    c.connect_timeout_ms = o.connect_timeout_ms;
    c.max_send_bytes_per_sec = o.max_send_bytes_per_sec;
    c.compress_level = o.compress_level;
    std::string blocked;
    for (const auto& ext : o.blocked_extensions) {
      blocked += (blocked.empty() ? "" : ",") + ext;
    }
    c.blocked_extensions = blocked.c_str();
    c.max_files_per_batch = o.max_files_per_batch;
    c.max_clock_skew_ms = o.max_clock_skew_ms;
    std::string origins;
    for (const auto& origin : o.allowed_origins) {
      origins += (origins.empty() ? "" : ",") + origin;
    }
    c.allowed_origins = origins.c_str();
    /// Owned by the Client so the C callback can reach it for its lifetime.
    auto refresh = std::make_unique<RefreshFn>(o.refresh_credentials);
    if (o.refresh_credentials) {
      c.on_refresh_credentials = &RefreshThunk;
      c.refresh_user_data = refresh.get();
    }
    auto presign = std::make_unique<PresignFn>(o.s3_presign);
    if (o.s3_presign) {
      c.s3_presign = &PresignThunk;
      c.s3_presign_user_data = presign.get();
    }
    auto log = std::make_unique<LogFn>(o.on_log);
    if (o.on_log) {
      c.on_log = &LogThunk;
      c.log_user_data = log.get();
      c.log_level = o.log_level;
    }
    c.tls_min_version = o.tls_min_version;
    ferry_error* err = nullptr;
    ferry_client* h = ferry_client_new(&c, &err);
    if (h == nullptr) return Fail(err, FERRY_ERR_INVALID_ARGUMENT);
    std::unique_ptr<Client> client(new Client(h));
    client->refresh_ = std::move(refresh);
    client->presign_ = std::move(presign);
    client->log_ = std::move(log);
    if (!o.rules_json.empty() &&
        ferry_client_add_rules_json(h, o.rules_json.c_str(), &err) !=
            FERRY_OK) {
      return Fail(err, FERRY_ERR_INVALID_ARGUMENT);
    }
    if (!o.rules_file.empty() &&
        ferry_client_load_rules_file(h, o.rules_file.c_str(), &err) !=
            FERRY_OK) {
      return Fail(err, FERRY_ERR_INVALID_ARGUMENT);
    }
    for (const auto& [name, value] : o.headers) {
      ferry_code rc = ferry_client_add_header(h, name.c_str(), value.c_str());
      if (rc != FERRY_OK) {
        Error e = Error::FromC(nullptr, rc);
        e.message = "header not allowed: " + name;
        return e;
      }
    }
    return client;
  }

  ~Client() { ferry_client_free(handle_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Uploads (or resumes) one file; blocks until done. Errors: any code.
  /// An exception thrown by a callback cancels the upload (its resume state
  /// kept) and is rethrown from here.
  Outcome<UploadResult> Upload(const std::string& path,
                               const UploadOptions& o = {}) {
    std::vector<ferry_kv> kv;
    CallbackScope scope;
    ferry_upload_options c = ToC(o, &kv, &scope);
    ferry_result* res = nullptr;
    ferry_error* err = nullptr;
    ferry_code rc = ferry_upload_file(handle_, path.c_str(), &c, &res, &err);
    if (rc != FERRY_OK) {
      Error e = Fail(err, rc);
      scope.RethrowIfThrown();
      return e;
    }
    UploadResult out = ToResult(res);
    ferry_result_free(res);
    return out;
  }

  /// Uploads (or resumes) any source; blocks until done. Errors: any code.
  Outcome<UploadResult> Upload(const Source& source,
                               const UploadOptions& o = {}) {
    std::vector<ferry_kv> kv;
    CallbackScope scope;
    ferry_upload_options c = ToC(o, &kv, &scope);
    ferry_result* res = nullptr;
    ferry_error* err = nullptr;
    ferry_code rc = ferry_upload_source(handle_, source.get(), &c, &res, &err);
    if (rc != FERRY_OK) {
      Error e = Fail(err, rc);
      scope.RethrowIfThrown();
      return e;
    }
    UploadResult out = ToResult(res);
    ferry_result_free(res);
    return out;
  }

  /// Starts uploading `source` on a thread of its own; the handle pauses,
  /// resumes, cancels and waits. The client must outlive the handle.
  /// Errors: invalid_argument.
  Outcome<std::unique_ptr<UploadHandle>> Start(const Source& source,
                                               UploadOptions o = {});

  /// Unfinished uploads of this client, oldest first (expired ones pruned).
  std::vector<PendingUpload> Pending() {
    std::vector<PendingUpload> out;
    ferry_pending* list = nullptr;
    if (ferry_client_pending(handle_, &list, nullptr) != FERRY_OK) return out;
    for (uint32_t i = 0; i < ferry_pending_count(list); ++i) {
      ferry_pending_entry e = FERRY_PENDING_ENTRY_INIT;
      ferry_pending_get(list, i, &e);
      PendingUpload p;
      p.id = e.id;
      p.path = e.path;
      p.name = e.name;
      p.endpoint = e.endpoint;
      p.protocol = e.protocol;
      p.expires = e.expires;
      p.size = e.size;
      p.bytes_on_server = e.bytes_on_server;
      p.created_unix = e.created_unix;
      p.resumable = e.resumable != 0;
      if (e.last_error_code != 0) {
        Error err =
            Error::FromC(nullptr, static_cast<ferry_code>(e.last_error_code));
        err.message = e.last_error_message;
        p.last_error = err;
      }
      out.push_back(std::move(p));
    }
    ferry_pending_free(list);
    return out;
  }
  /// Forgets a pending upload; with discard_on_server, removes the server's
  /// copy first. Errors: invalid_argument, state_unwritable, the server's.
  std::optional<Error> Forget(const std::string& id,
                              bool discard_on_server = false) {
    ferry_error* err = nullptr;
    ferry_code rc = ferry_client_forget(handle_, id.c_str(),
                                        discard_on_server ? 1 : 0, &err);
    if (rc == FERRY_OK) return std::nullopt;
    return Fail(err, rc);
  }

  /// Uploads many files, o.concurrency at a time over this client's shared
  /// connections; blocks until all have ended. One outcome per path, in
  /// order. Errors per file: any code; too_many_files for every file when
  /// the batch exceeds max_files_per_batch. Thread-safe.
  std::vector<Outcome<UploadResult>> UploadBatch(
      const std::vector<std::string>& paths, const BatchOptions& o = {}) {
    std::vector<const char*> cpaths;
    for (const auto& path : paths) cpaths.push_back(path.c_str());
    std::vector<ferry_kv> kv;
    ferry_batch_options c = FERRY_BATCH_OPTIONS_INIT;
    FillShared(o, &kv, &c);
    c.concurrency = o.concurrency;
    CallbackScope scope;
    scope.batch = &o;
    if (o.on_progress) {
      c.on_progress = &BatchProgressThunk;
      c.progress_user_data = &scope;
    }
    if (o.on_event) {
      c.on_event = &BatchEventThunk;
      c.event_user_data = &scope;
    }
    if (o.on_file_done) {
      c.on_file_done = &BatchFileThunk;
      c.file_user_data = &scope;
    }
    std::vector<const char*> cnames;
    for (const auto& name : o.names) cnames.push_back(name.c_str());
    if (!o.names.empty()) c.names = cnames.data();
    ferry_batch* batch = nullptr;
    ferry_code rc =
        ferry_upload_batch(handle_, cpaths.data(),
                           static_cast<uint32_t>(cpaths.size()), &c, &batch);
    std::vector<Outcome<UploadResult>> out;
    for (uint32_t i = 0; i < paths.size(); ++i) {
      const ferry_result* r = ferry_batch_result(batch, i);
      if (r != nullptr) {
        out.emplace_back(ToResult(r));
      } else {
        const ferry_error* e = ferry_batch_error(batch, i);
        out.emplace_back(
            Error::FromC(e, rc == FERRY_OK ? FERRY_ERR_INTERNAL_ERROR : rc));
      }
    }
    ferry_batch_free(batch);
    scope.RethrowIfThrown();
    return out;
  }

  /// What Doctor() found.
  struct DoctorReport {
    bool ok = false;   ///< true when no check failed
    std::string json;  ///< {"ok":..., "checks":[...]}
    std::string text;  ///< one line per check, with what to do
    std::optional<Error> first_failure;  ///< the first failed check's error
  };
  /// Checks DNS, TCP, TLS, clock, server capabilities, credentials and a
  /// 1-byte upload against this client's endpoint.
  DoctorReport Doctor() {
    ferry_doctor_report* report = nullptr;
    ferry_error* err = nullptr;
    ferry_code rc = ferry_client_doctor(handle_, &report, &err);
    DoctorReport out;
    out.ok = rc == FERRY_OK;
    out.json = ferry_doctor_report_json(report);
    out.text = ferry_doctor_report_text(report);
    if (rc != FERRY_OK) out.first_failure = Fail(err, rc);
    ferry_doctor_report_free(report);
    return out;
  }

  /// Preflight for a batch: too_many_files when count exceeds the limit.
  std::optional<Error> CheckBatch(uint32_t count) {
    ferry_error* err = nullptr;
    ferry_code rc = ferry_client_check_batch(handle_, count, &err);
    if (rc == FERRY_OK) return std::nullopt;
    return Fail(err, rc);
  }

 private:
  using RefreshFn = std::function<bool(
      const Error&, std::vector<std::pair<std::string, std::string>>*)>;
  friend class UploadHandle;
  explicit Client(ferry_client* h) : handle_(h) {}
  static int RefreshThunk(const ferry_error* why, ferry_credentials* out,
                          void* user) {
    std::vector<std::pair<std::string, std::string>> headers;
    try {  // a throwing refresh gives up: the upload ends with `why`
      if (!(*static_cast<RefreshFn*>(user))(Error::FromC(why, FERRY_OK),
                                            &headers)) {
        return 1;
      }
    } catch (...) {
      return 1;
    }
    for (const auto& [name, value] : headers) {
      if (ferry_credentials_set_header(out, name.c_str(), value.c_str()) !=
          FERRY_OK) {
        return 1;
      }
    }
    return headers.empty() ? 1 : 0;
  }
  using PresignFn =
      std::function<std::optional<std::string>(const S3PresignRequest&)>;
  using LogFn = std::function<void(int, const std::string&)>;
  static void LogThunk(int32_t level, const char* message, void* user) {
    try {
      (*static_cast<LogFn*>(user))(level, message);
    } catch (...) {
      // A log line must never stop an upload, nor throw into C.
    }
  }
  static int PresignThunk(const ferry_s3_presign_request* r, char* url_out,
                          uint32_t capacity, void* user) {
    S3PresignRequest req;
    req.op = static_cast<ferry_s3_op>(r->op);
    req.method = r->method;
    req.bucket = r->bucket;
    req.key = r->key;
    req.upload_id = r->upload_id;
    req.part_number = r->part_number;
    for (uint32_t i = 0; i < r->header_count; ++i) {
      req.headers.emplace_back(r->header_names[i], r->header_values[i]);
    }
    std::optional<std::string> url;
    try {  // an exception must not cross the C ABI
      url = (*static_cast<PresignFn*>(user))(req);
    } catch (...) {
      return 1;
    }
    if (!url || url->size() >= capacity) return 1;
    std::memcpy(url_out, url->c_str(), url->size() + 1);
    return 0;
  }
  /// The fields UploadOptions and BatchOptions share; *kv must outlive *c.
  template <typename Options, typename COptions>
  static void FillShared(const Options& o, std::vector<ferry_kv>* kv,
                         COptions* c) {
    // One vector for both lists: reserved first, so neither moves.
    kv->reserve(o.metadata.size() + o.object_headers.size());
    for (const auto& [k, v] : o.metadata) kv->push_back({k.c_str(), v.c_str()});
    for (const auto& [k, v] : o.object_headers) {
      kv->push_back({k.c_str(), v.c_str()});
    }
    c->metadata = kv->data();
    c->metadata_count = static_cast<uint32_t>(o.metadata.size());
    c->object_headers = kv->data() + o.metadata.size();
    c->object_headers_count = static_cast<uint32_t>(o.object_headers.size());
    c->guess_content_type = o.guess_content_type ? 1 : 0;
    c->discard_on_cancel = o.discard_on_cancel ? 1 : 0;
    c->on_change =
        o.restart_on_change ? FERRY_ON_CHANGE_RESTART : FERRY_ON_CHANGE_FAIL;
  }

  /// C options for `o`, its callbacks run through *scope; *kv, *scope
  /// and `o` must outlive them.
  static ferry_upload_options ToC(const UploadOptions& o,
                                  std::vector<ferry_kv>* kv,
                                  CallbackScope* scope) {
    ferry_upload_options c = FERRY_UPLOAD_OPTIONS_INIT;
    FillShared(o, kv, &c);
    c.object_key = o.object_key.empty() ? nullptr : o.object_key.c_str();
    scope->upload = &o;
    if (o.on_progress) {
      c.on_progress = &ProgressThunk;
      c.progress_user_data = scope;
    }
    if (o.on_event) {
      c.on_event = &EventThunk;
      c.event_user_data = scope;
    }
    return c;
  }
  static Error Fail(ferry_error* err, ferry_code rc) {
    Error e = Error::FromC(err, rc);
    ferry_error_free(err);
    return e;
  }
  static UploadResult ToResult(const ferry_result* res) {
    UploadResult out;
    out.url = ferry_result_url(res);
    out.url_redacted = ferry_result_url_redacted(res);
    out.bytes = ferry_result_bytes(res);
    out.wire_bytes = ferry_result_wire_bytes(res);
    out.sha256 = ferry_result_sha256(res);
    out.resumed_from = ferry_result_resumed_from(res);
    out.encoding = ferry_result_encoding(res);
    return out;
  }
  static Event ToEvent(const ferry_event* e) {
    Event ev{static_cast<ferry_event_type>(e->type),
             static_cast<Code>(e->code),
             e->attempt,
             e->delay_ms,
             e->offset,
             e->message,
             e->file_index};
    return ev;
  }
  static int BatchProgressThunk(const ferry_batch_progress* p, void* user) {
    auto* scope = static_cast<CallbackScope*>(user);
    return scope->Run([&] { return scope->batch->on_progress(*p); }) ? 0 : 1;
  }
  static void BatchFileThunk(uint32_t i, const ferry_result* r,
                             const ferry_error* e, void* user) {
    auto* scope = static_cast<CallbackScope*>(user);
    scope->Run([&] {
      if (r != nullptr) {
        scope->batch->on_file_done(i, Outcome<UploadResult>(ToResult(r)));
      } else {
        scope->batch->on_file_done(i, Outcome<UploadResult>(Error::FromC(
                                          e, FERRY_ERR_INTERNAL_ERROR)));
      }
      return true;
    });
  }
  static int BatchEventThunk(const ferry_event* e, void* user) {
    auto* scope = static_cast<CallbackScope*>(user);
    return scope->Run([&] { return scope->batch->on_event(ToEvent(e)); }) ? 0
                                                                          : 1;
  }
  static int ProgressThunk(const ferry_progress* p, void* user) {
    auto* scope = static_cast<CallbackScope*>(user);
    return scope->Run([&] { return scope->upload->on_progress(*p); }) ? 0 : 1;
  }
  static int EventThunk(const ferry_event* e, void* user) {
    auto* scope = static_cast<CallbackScope*>(user);
    return scope->Run([&] { return scope->upload->on_event(ToEvent(e)); }) ? 0
                                                                           : 1;
  }
  ferry_client* handle_;
  std::unique_ptr<RefreshFn> refresh_;
  std::unique_ptr<PresignFn> presign_;
  std::unique_ptr<LogFn> log_;
};

/// A running upload (ferry_upload_start). Destroying it cancels an upload
/// still running (its resume state kept) and waits for it to end.
class UploadHandle {
 public:
  ~UploadHandle() { ferry_upload_free(handle_); }
  UploadHandle(const UploadHandle&) = delete;
  UploadHandle& operator=(const UploadHandle&) = delete;

  /// Errors: invalid_argument once the upload has ended.
  std::optional<Error> Pause() {
    return Check(ferry_upload_pause(handle_, &err_), err_);
  }
  /// Continues a paused upload. Errors: invalid_argument once it ended.
  std::optional<Error> Resume() {
    return Check(ferry_upload_resume(handle_, &err_), err_);
  }
  /// Ends the upload (cancelled); discard also removes the server's copy
  /// and the resume state. Errors: invalid_argument once it ended.
  std::optional<Error> Cancel(bool discard = false) {
    return Check(ferry_upload_cancel(handle_, discard ? 1 : 0, &err_), err_);
  }
  /// True once ended; false on timeout. Without a timeout, waits to the end.
  bool Wait(std::optional<int64_t> timeout_ms = std::nullopt) {
    return ferry_upload_wait(handle_, timeout_ms ? *timeout_ms : -1) == 1;
  }
  /// The upload's phase, progress and last error.
  UploadStatus Status() const {
    ferry_upload_status s = FERRY_UPLOAD_STATUS_INIT;
    ferry_upload_get_status(handle_, &s);
    UploadStatus out;
    out.phase = static_cast<Phase>(s.phase);
    out.progress.struct_size = sizeof out.progress;
    out.progress.bytes_done = s.bytes_done;
    out.progress.bytes_total = s.bytes_total;
    out.progress.bytes_acked = s.bytes_acked;
    out.progress.wire_bytes = s.wire_bytes;
    out.progress.total_known = s.total_known;
    if (ferry_error* e = ferry_upload_last_error(handle_)) {
      out.last_error = Client::Fail(e, FERRY_ERR_INTERNAL_ERROR);
    }
    return out;
  }
  /// Waits for the end, then the outcome. An exception a callback threw
  /// (which cancelled the upload) is rethrown from here.
  Outcome<UploadResult> Result() {
    Wait();
    ferry_result* res = nullptr;
    ferry_error* err = nullptr;
    ferry_code rc = ferry_upload_outcome(handle_, &res, &err);
    if (rc != FERRY_OK) {
      Error e = Client::Fail(err, rc);
      scope_->RethrowIfThrown();
      return e;
    }
    UploadResult out = Client::ToResult(res);
    ferry_result_free(res);
    return out;
  }

 private:
  friend class Client;
  UploadHandle(ferry_upload* h, std::unique_ptr<UploadOptions> options,
               std::unique_ptr<CallbackScope> scope, std::shared_ptr<void> keep)
      : handle_(h),
        options_(std::move(options)),
        scope_(std::move(scope)),
        keep_(std::move(keep)) {}
  static std::optional<Error> Check(ferry_code rc, ferry_error*& err) {
    if (rc == FERRY_OK) return std::nullopt;
    Error e = Client::Fail(err, rc);
    err = nullptr;
    return e;
  }
  ferry_upload* handle_;
  ferry_error* err_ = nullptr;
  /// Outlive the upload: ~UploadHandle frees (and so ends) it before members
  /// go.
  std::unique_ptr<UploadOptions> options_;  ///< the callbacks
  std::unique_ptr<CallbackScope> scope_;    ///< the callbacks' user data
  std::shared_ptr<void> keep_;              ///< the source's reader
};

inline Outcome<std::unique_ptr<UploadHandle>> Client::Start(
    const Source& source, UploadOptions o) {
  auto options = std::make_unique<UploadOptions>(std::move(o));
  auto scope = std::make_unique<CallbackScope>();
  std::vector<ferry_kv> kv;
  ferry_upload_options c = ToC(*options, &kv, scope.get());
  ferry_error* err = nullptr;
  ferry_upload* h = ferry_upload_start(handle_, source.get(), &c, &err);
  if (h == nullptr) return Fail(err, FERRY_ERR_INVALID_ARGUMENT);
  return std::unique_ptr<UploadHandle>(
      new UploadHandle(h, std::move(options), std::move(scope), source.keep()));
}

}  // namespace ferry

#endif  // FERRY_FERRY_HPP_
