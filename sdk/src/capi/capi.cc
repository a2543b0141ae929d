// SPDX-License-Identifier: Apache-2.0
// The C ABI over ClientCore. Every entry point catches everything: no C++
// exception ever crosses into C.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "capi/capi_common.h"
#include "client/client_core.h"
#include "doctor/doctor.h"
#include "errors/error.h"
#include "errors/rules.h"
#include "ferry/ferry.h"
#include "http/url.h"
#include "protocols/protocol_client.h"
#include "sync/mutex.h"

using ferry::internal::Mutex;
using ferry::internal::MutexLock;

namespace ferry::capi {

ferry_code Fail(ferry::internal::Error e, ferry_error** out) {
  ferry_code code = e.code;
  if (out != nullptr) {
    *out = nullptr;
    try {
      auto* err = new ferry_error{std::move(e), ""};
      err->json = err->error.ToJson();
      *out = err;
    } catch (...) {
      // Out of memory: the code alone must do.
    }
  }
  return code;
}

ferry_code CaughtException(ferry_error** out) noexcept {
  try {
    try {
      throw;  // the exception being handled, to see what it is
    } catch (const std::bad_alloc&) {
      return Fail(FERRY_ERR_INTERNAL_ERROR, "out of memory", out);
    } catch (const std::exception& e) {
      std::string what = std::string("ferry failed inside: ") + e.what();
      return Fail(FERRY_ERR_INTERNAL_ERROR, what.c_str(), out);
    } catch (...) {
      return Fail(FERRY_ERR_INTERNAL_ERROR,
                  "ferry failed inside: an unknown exception", out);
    }
  } catch (...) {  // no memory left even for the error
    return FERRY_ERR_INTERNAL_ERROR;
  }
}

ferry_code Fail(ferry_code code, const char* message, ferry_error** out) {
  return Fail(ferry::internal::MakeError(code, message), out);
}

const char* Str(const char* s) { return s == nullptr ? "" : s; }

ferry_event ToC(const ferry::internal::Event& e, uint32_t file_index) {
  ferry_event ce;
  std::memset(&ce, 0, sizeof ce);
  ce.struct_size = sizeof ce;
  ce.type = e.type;
  ce.code = e.code;
  ce.attempt = e.attempt;
  ce.delay_ms = e.delay_ms;
  ce.offset = e.offset;
  ce.message = e.message.c_str();
  ce.file_index = file_index;
  return ce;
}

ferry_progress ToC(const ferry::internal::Progress& p) {
  ferry_progress cp;
  std::memset(&cp, 0, sizeof cp);
  cp.struct_size = sizeof cp;
  cp.bytes_done = p.bytes_done;
  cp.bytes_total = p.bytes_total;
  cp.bytes_acked = p.bytes_acked;
  cp.wire_bytes = p.wire_bytes;
  cp.total_known = p.total_known ? 1 : 0;
  return cp;
}

bool ReadMetadata(const ferry_kv* kv, uint32_t count,
                  std::vector<std::pair<std::string, std::string>>* out) {
  for (uint32_t i = 0; i < count; ++i) {
    if (kv == nullptr || kv[i].key == nullptr) return false;
    out->emplace_back(kv[i].key, Str(kv[i].value));
  }
  return true;
}

ferry::internal::Status ReadObjectSettings(
    const ferry_kv* headers, uint32_t count, int32_t guess,
    ferry::internal::ObjectSettings* out) {
  for (uint32_t i = 0; headers != nullptr && i < count; ++i) {
    if (headers[i].key == nullptr || headers[i].value == nullptr ||
        HasControl(headers[i].value)) {
      return ferry::internal::MakeError(
          FERRY_ERR_INVALID_ARGUMENT,
          "object header " + std::to_string(i) +
              " has no name or value, or a control character");
    }
    out->headers.emplace_back(headers[i].key, headers[i].value);
  }
  out->guess_content_type = guess != 0;
  return ferry::internal::ObjectHeadersAllowed(out->headers);
}

ferry::internal::Status ParamsFromOptions(const ferry_upload_options* options,
                                          ferry::internal::UploadParams* out) {
  ferry_upload_options o = ReadVersioned(options);
  ferry::internal::UploadParams& params = *out;
  if (!ReadMetadata(o.metadata, o.metadata_count, &params.metadata)) {
    return ferry::internal::MakeError(FERRY_ERR_INVALID_ARGUMENT,
                                      "metadata key is NULL");
  }
  if (o.on_progress != nullptr) {
    params.on_progress = [fn = o.on_progress, data = o.progress_user_data](
                             const ferry::internal::Progress& p) {
      ferry_progress cp = ToC(p);
      return fn(&cp, data) == 0;
    };
  }
  if (o.on_event != nullptr) {
    params.on_event = [fn = o.on_event, data = o.event_user_data](
                          const ferry::internal::Event& e) {
      ferry_event ce = ToC(e, 0);
      return fn(&ce, data) == 0;
    };
  }
  params.discard_on_cancel = o.discard_on_cancel != 0;
  params.restart_on_change = o.on_change == FERRY_ON_CHANGE_RESTART;
  params.object_key = Str(o.object_key);
  return ReadObjectSettings(o.object_headers, o.object_headers_count,
                            o.guess_content_type, &params.object);
}

namespace {
// The clients whose calls this thread is inside (a callback may call in).
thread_local std::vector<const ferry_client*> t_calls;
}  // namespace

ClientCall::ClientCall(ferry_client* client) : client_(client) {
  if (client == nullptr) return;
  MutexLock lock(&client->mu);
  if (client->closing.load()) return;
  ++client->active_calls;
  counted_ = true;
  t_calls.push_back(client);
}

ClientCall::~ClientCall() {
  if (!counted_) return;
  t_calls.pop_back();
  MutexLock lock(&client_->mu);
  if (--client_->active_calls == 0) client_->calls_ended.SignalAll();
}

ferry::internal::Error ClientCall::Closing() {
  return ferry::internal::MakeError(
      FERRY_ERR_INVALID_ARGUMENT,
      "the client is being freed (ferry_client_free): no new calls");
}

bool InCallOf(const ferry_client* client) {
  for (const ferry_client* c : t_calls) {
    if (c == client) return true;
  }
  return false;
}

ferry::internal::ClientCore* StartedCore(ferry_client* client) {
  if (client == nullptr) return nullptr;
  MutexLock lock(&client->mu);
  client->started = true;
  return client->core.get();
}

ferry_result* NewResult(ferry::internal::UploadSummary summary) {
  std::string redacted = ferry::internal::RedactUrl(summary.url);
  return new ferry_result{std::move(summary), std::move(redacted)};
}

// Applies a configuration change to a client whose uploads have not started.
ferry_code Reconfigure(
    ferry_client* client,
    const std::function<void(ferry::internal::ClientConfig&)>& change,
    ferry_error** error_out) {
  MutexLock lock(&client->mu);
  if (client->started) {
    return Fail(FERRY_ERR_INVALID_ARGUMENT,
                "configure the client before its first upload", error_out);
  }
  ferry::internal::ClientConfig next = client->config;
  change(next);
  auto core = ferry::internal::ClientCore::Create(next);
  if (!core.ok()) return Fail(std::move(core.error()), error_out);
  client->config = std::move(next);
  client->core = std::move(core.value());
  return FERRY_OK;
}

std::vector<std::string> SplitList(const char* list) {
  std::vector<std::string> out;
  std::string item;
  for (const char* p = list;; ++p) {
    if (*p == ',' || *p == '\0') {
      while (!item.empty() && item.back() == ' ') item.pop_back();
      if (!item.empty()) out.push_back(item);
      item.clear();
      if (*p == '\0') break;
    } else if (!(*p == ' ' && item.empty())) {
      item.push_back(*p);
    }
  }
  return out;
}

bool Clean(const char* s) {
  for (; *s; ++s) {
    if (*s == '\r' || *s == '\n' || *s == '\0') return false;
  }
  return true;
}

// A header an app may set: a token name, no CR/LF (no header injection),
// and not one the protocol manages itself.
bool ValidHeader(ferry_protocol protocol, const char* name, const char* value) {
  return name != nullptr && value != nullptr && name[0] != '\0' &&
         Clean(name) && Clean(value) && std::strchr(name, ':') == nullptr &&
         !ferry::internal::ProtocolManagesHeader(protocol, name);
}

// The app's C presign callback as the engine's presigner.
ferry::internal::S3Presigner PresignerFor(ferry_s3_presign_fn fn,
                                          void* user_data) {
  return [fn, user_data](const ferry::internal::S3PresignRequest& r)
             -> ferry::internal::Result<std::string> {
    std::vector<const char*> names, values;
    for (const auto& [name, value] : r.headers) {
      names.push_back(name.c_str());
      values.push_back(value.c_str());
    }
    ferry_s3_presign_request req{};
    req.struct_size = sizeof(req);
    req.op = static_cast<int32_t>(r.op);
    req.method = r.method.c_str();
    req.bucket = r.bucket.c_str();
    req.key = r.key.c_str();
    req.upload_id = r.upload_id.c_str();
    req.part_number = r.part_number;
    req.header_count = static_cast<uint32_t>(names.size());
    req.header_names = names.data();
    req.header_values = values.data();
    constexpr uint32_t kCapacity = 16 * 1024;
    std::string url(kCapacity, '\0');
    if (fn(&req, url.data(), kCapacity, user_data) != 0) {
      return ferry::internal::MakeError(
          FERRY_ERR_CANCELLED,
          "the app's presign callback gave no URL; the upload stopped and its "
          "resume state is kept");
    }
    size_t n = url.find('\0');
    if (n == std::string::npos) {
      return ferry::internal::MakeError(
          FERRY_ERR_INVALID_ARGUMENT,
          "the presign callback's URL is not NUL-terminated within 16 KiB");
    }
    url.resize(n);
    return url;
  };
}

}  // namespace ferry::capi

using namespace ferry::capi;  // NOLINT: the C entry points below

extern "C" {

const char* ferry_version(void) { return FERRY_VERSION_STRING; }

const char* ferry_code_name(int32_t code) {
  return ferry::internal::CodeName(code);
}
const char* ferry_category_name(int32_t v) {
  return ferry::internal::CategoryName(v);
}
const char* ferry_origin_name(int32_t v) {
  return ferry::internal::OriginName(v);
}
const char* ferry_action_name(int32_t v) {
  return ferry::internal::ActionName(v);
}
const char* ferry_action_description(int32_t v) {
  return ferry::internal::ActionDescription(v);
}

int32_t ferry_code_info_get(int32_t code, ferry_code_info* info) {
  if (info == nullptr) return 0;
  ferry_code_info tmp{};
  if (!ferry::internal::CodeDefaults(code, &tmp)) return 0;
  // Fill only what the caller's version of the struct has room for.
  uint32_t size = info->struct_size;
  tmp.struct_size = size;
  std::memcpy(info, &tmp, size < sizeof tmp ? size : sizeof tmp);
  return 1;
}

int32_t ferry_code_max(void) { return FERRY_CODE_END_ - 1; }

void ferry_error_free(ferry_error* error) { delete error; }
ferry_code ferry_error_code(const ferry_error* e) {
  return e ? e->error.code : FERRY_OK;
}
ferry_category ferry_error_category(const ferry_error* e) {
  return e ? e->error.category : FERRY_CATEGORY_NONE;
}
ferry_origin ferry_error_origin(const ferry_error* e) {
  return e ? e->error.origin : FERRY_ORIGIN_NONE;
}
int32_t ferry_error_retryable(const ferry_error* e) {
  return e && e->error.retryable ? 1 : 0;
}
int64_t ferry_error_retry_after_ms(const ferry_error* e) {
  return e ? e->error.retry_after_ms : -1;
}
ferry_action ferry_error_action(const ferry_error* e) {
  return e ? e->error.action : FERRY_ACTION_NONE;
}
const char* ferry_error_message(const ferry_error* e) {
  return e ? e->error.message.c_str() : "";
}
int32_t ferry_error_http_status(const ferry_error* e) {
  return e ? e->error.http_status : 0;
}
const char* ferry_error_server_code(const ferry_error* e) {
  return e ? e->error.server_code.c_str() : "";
}
const char* ferry_error_server_message(const ferry_error* e) {
  return e ? e->error.server_message.c_str() : "";
}
const char* ferry_error_request_id(const ferry_error* e) {
  return e ? e->error.request_id.c_str() : "";
}
int64_t ferry_error_limit(const ferry_error* e) {
  return e ? e->error.limit : -1;
}
const char* ferry_error_url(const ferry_error* e) {
  return e ? e->error.url.c_str() : "";
}
int32_t ferry_error_clock_skew_ms(const ferry_error* e, int64_t* ms) {
  if (e == nullptr || !e->error.clock_skew_ms) return 0;
  if (ms != nullptr) *ms = *e->error.clock_skew_ms;
  return 1;
}
const char* ferry_error_json(const ferry_error* e) {
  return e ? e->json.c_str() : "{}";
}

ferry_client* ferry_client_new(const ferry_client_options* options,
                               ferry_error** error_out) {
  if (error_out != nullptr) *error_out = nullptr;
  try {
    if (options == nullptr || options->struct_size < sizeof(uint32_t)) {
      Fail(FERRY_ERR_INVALID_ARGUMENT, "options are required", error_out);
      return nullptr;
    }
    ferry_client_options o = ReadVersioned(options);
    ferry::internal::ClientConfig cfg;
    cfg.endpoint = Str(o.endpoint);
    if (o.protocol != FERRY_PROTOCOL_TUS && o.protocol != FERRY_PROTOCOL_S3 &&
        o.protocol != FERRY_PROTOCOL_IETF &&
        o.protocol != FERRY_PROTOCOL_AUTO) {
      Fail(FERRY_ERR_INVALID_ARGUMENT, "unknown protocol", error_out);
      return nullptr;
    }
    cfg.protocol = static_cast<ferry_protocol>(o.protocol);
    cfg.s3_bucket = Str(o.s3_bucket);
    cfg.s3_credentials.access_key_id = Str(o.s3_access_key_id);
    cfg.s3_credentials.secret_access_key = Str(o.s3_secret_access_key);
    cfg.s3_credentials.session_token = Str(o.s3_session_token);
    cfg.s3_credentials.region = Str(o.s3_region);
    cfg.s3_unsigned_payload = o.s3_unsigned_payload != 0;
    cfg.s3_part_size = o.s3_part_size;
    if (o.s3_parallel_parts) cfg.s3_parallel_parts = o.s3_parallel_parts;
    if (o.s3_addressing < FERRY_S3_ADDRESSING_AUTO ||
        o.s3_addressing > FERRY_S3_ADDRESSING_VIRTUAL) {
      Fail(FERRY_ERR_INVALID_ARGUMENT,
           "s3_addressing is AUTO (0), PATH (1) or VIRTUAL (2)", error_out);
      return nullptr;
    }
    cfg.s3_addressing =
        static_cast<ferry::internal::S3Addressing>(o.s3_addressing);
    if (o.s3_multipart_threshold != 0) {
      cfg.s3_multipart_threshold = o.s3_multipart_threshold;
    }
    cfg.s3_profile = Str(o.s3_profile);
    cfg.clock_offset_ms = o.clock_offset_ms;
    cfg.state_dir = Str(o.state_dir);
    cfg.http.ca_file = Str(o.ca_file);
    cfg.http.insecure_skip_tls_verify = o.insecure_skip_tls_verify != 0;
    if (o.chunk_size) cfg.chunk_size = o.chunk_size;
    cfg.request_size = o.request_size;
    if (o.memory_budget) cfg.memory_budget = o.memory_budget;
    cfg.announce_sha256 = o.announce_sha256 != 0;
    if (o.no_retries) {
      cfg.retry.max_retries = 0;
    } else if (o.max_retries) {
      cfg.retry.max_retries = o.max_retries;
    }
    if (o.retry_base_delay_ms) cfg.retry.base_delay_ms = o.retry_base_delay_ms;
    if (o.retry_max_delay_ms) cfg.retry.max_delay_ms = o.retry_max_delay_ms;
    if (o.retry_deadline_ms) cfg.retry.deadline_ms = o.retry_deadline_ms;
    if (o.stall_window_ms) cfg.http.stall_window_ms = o.stall_window_ms;
    if (o.stall_min_bps) cfg.http.stall_min_bps = o.stall_min_bps;
    if (o.connect_timeout_ms)
      cfg.http.connect_timeout_ms = o.connect_timeout_ms;
    cfg.http.max_send_bytes_per_sec = o.max_send_bytes_per_sec;
    if (o.blocked_extensions != nullptr) {
      cfg.blocked_extensions = SplitList(o.blocked_extensions);
    }
    cfg.max_files_per_batch = o.max_files_per_batch;
    if (o.allowed_origins != nullptr) {
      for (const std::string& item : SplitList(o.allowed_origins)) {
        auto origin = ferry::internal::UrlOrigin(item);
        if (!origin) {
          std::string why =
              "allowed_origins holds something that is not an http(s) "
              "origin: " +
              ferry::internal::RedactUrl(item);
          Fail(FERRY_ERR_INVALID_ARGUMENT, why.c_str(), error_out);
          return nullptr;
        }
        cfg.http.allowed_origins.push_back(*origin);
      }
    }
    if (o.compress_level < FERRY_COMPRESS_OFF || o.compress_level > 22) {
      Fail(FERRY_ERR_INVALID_ARGUMENT,
           "compress_level must be AUTO (0), OFF (-1) or a level 1..22",
           error_out);
      return nullptr;
    }
    // The C ABI's zero default is auto; internally -1 is auto and 0 is off.
    cfg.compress_level = o.compress_level == FERRY_COMPRESS_AUTO ? -1
                         : o.compress_level == FERRY_COMPRESS_OFF
                             ? 0
                             : o.compress_level;
    if (o.max_clock_skew_ms) cfg.max_clock_skew_ms = o.max_clock_skew_ms;
    if (o.s3_presign != nullptr) {
      cfg.s3_presigner = PresignerFor(o.s3_presign, o.s3_presign_user_data);
    }
    if (o.tls_min_version != 0 && o.tls_min_version != 12 &&
        o.tls_min_version != 13) {
      Fail(FERRY_ERR_INVALID_ARGUMENT,
           "tls_min_version is 12 (TLS 1.2) or 13 (TLS 1.3)", error_out);
      return nullptr;
    }
    cfg.http.tls_min_version = o.tls_min_version == 13 ? 13 : 12;
    if (o.on_log != nullptr) {
      cfg.log = [fn = o.on_log, user_data = o.log_user_data](
                    int level, const std::string& message) {
        fn(level, message.c_str(), user_data);
      };
      cfg.log_level = o.log_level > 0 ? o.log_level : FERRY_LOG_INFO;
    }
    if (o.on_refresh_credentials != nullptr) {
      ferry_refresh_fn fn = o.on_refresh_credentials;
      void* user_data = o.refresh_user_data;
      ferry_protocol protocol = cfg.protocol;
      cfg.refresh_credentials = [fn, user_data, protocol](
                                    const ferry::internal::Error& why,
                                    ferry::internal::FreshCredentials* out) {
        ferry_error err{why, why.ToJson()};
        ferry_credentials creds{out, protocol};
        return fn(&err, &creds, user_data) == 0;
      };
    }

    auto core = ferry::internal::ClientCore::Create(cfg);
    if (!core.ok()) {
      Fail(std::move(core.error()), error_out);
      return nullptr;
    }
    auto* client = new ferry_client;
    client->config = core.value()->config();
    MutexLock lock(&client->mu);
    client->core = std::move(core.value());
    return client;
  } catch (...) {
    ferry::capi::CaughtException(error_out);
    return nullptr;
  }
}

void ferry_client_free(ferry_client* client) {
  if (client == nullptr) return;
  if (ferry::capi::InCallOf(client)) {
    // Freed from a callback of one of its own calls: waiting for that call
    // would never end, and freeing would pull the client from under it.
    std::fputs(
        "ferry: ferry_client_free called from a callback of the same "
        "client; the client is not freed (free it after the call "
        "returns)\n",
        stderr);
    return;
  }
  client->closing = true;
  // Handles started on it must not outlive it: they end as cancelled.
  EndUploadsOf(client);
  {
    // Blocking calls on other threads see `closing` at their next progress
    // check, end as cancelled, and are waited for.
    MutexLock lock(&client->mu);
    while (client->active_calls > 0) client->calls_ended.Wait(&client->mu);
  }
  delete client;
}

ferry_code ferry_client_add_header(ferry_client* client, const char* name,
                                   const char* value) {
  try {
    if (client == nullptr ||
        !ValidHeader(client->config.protocol, name, value)) {
      return FERRY_ERR_INVALID_ARGUMENT;
    }
    return Reconfigure(
        client,
        [&](ferry::internal::ClientConfig& c) {
          c.headers.emplace_back(name, value);
        },
        nullptr);
  } catch (...) {
    return ferry::capi::CaughtException(nullptr);
  }
}

ferry_code ferry_credentials_set_header(ferry_credentials* out,
                                        const char* name, const char* value) {
  if (out == nullptr || !ValidHeader(out->protocol, name, value)) {
    return FERRY_ERR_INVALID_ARGUMENT;
  }
  try {
    out->fresh->headers.emplace_back(name, value);
    return FERRY_OK;
  } catch (...) {
    return ferry::capi::CaughtException(nullptr);
  }
}

ferry_code ferry_credentials_set_s3(ferry_credentials* out,
                                    const char* access_key_id,
                                    const char* secret_access_key,
                                    const char* session_token) {
  if (out == nullptr || out->protocol != FERRY_PROTOCOL_S3 ||
      access_key_id == nullptr || secret_access_key == nullptr ||
      access_key_id[0] == '\0' || secret_access_key[0] == '\0' ||
      !Clean(access_key_id) || !Clean(secret_access_key) ||
      (session_token != nullptr && !Clean(session_token))) {
    return FERRY_ERR_INVALID_ARGUMENT;
  }
  try {
    ferry::internal::S3Credentials keys;
    keys.access_key_id = access_key_id;
    keys.secret_access_key = secret_access_key;
    keys.session_token = Str(session_token);
    out->fresh->s3 = std::move(keys);
    return FERRY_OK;
  } catch (...) {
    return ferry::capi::CaughtException(nullptr);
  }
}

ferry_code ferry_client_add_rule(ferry_client* client, const ferry_rule* rule,
                                 ferry_error** error_out) {
  if (error_out != nullptr) *error_out = nullptr;
  try {
    if (client == nullptr || rule == nullptr) {
      return Fail(FERRY_ERR_INVALID_ARGUMENT, "client and rule are required",
                  error_out);
    }
    ferry_rule r = ReadVersioned(rule);
    ferry::internal::Rule out;
    out.status = r.status;
    out.header_name = Str(r.header_name);
    out.header_contains = Str(r.header_contains);
    out.json_pointer = Str(r.json_pointer);
    out.json_equals = Str(r.json_equals);
    out.body_contains = Str(r.body_contains);
    auto code = ferry::internal::CodeFromName(Str(r.code));
    if (!code) {
      return Fail(FERRY_ERR_INVALID_ARGUMENT,
                  (std::string("unknown code: ") + Str(r.code)).c_str(),
                  error_out);
    }
    out.code = *code;
    if (r.action != nullptr) {
      out.action = ferry::internal::ActionFromName(r.action);
      if (!out.action) {
        return Fail(FERRY_ERR_INVALID_ARGUMENT, "unknown action", error_out);
      }
    }
    if (r.origin != nullptr) {
      out.origin = ferry::internal::OriginFromName(r.origin);
      if (!out.origin) {
        return Fail(FERRY_ERR_INVALID_ARGUMENT, "unknown origin", error_out);
      }
    }
    if (r.retryable >= 0) out.retryable = r.retryable != 0;
    out.message = Str(r.message);
    return Reconfigure(
        client,
        [&](ferry::internal::ClientConfig& c) { c.rules.push_back(out); },
        error_out);
  } catch (...) {
    return ferry::capi::CaughtException(error_out);
  }
}

ferry_code ferry_client_add_rules_json(ferry_client* client,
                                       const char* json_text,
                                       ferry_error** error_out) {
  if (error_out != nullptr) *error_out = nullptr;
  try {
    if (client == nullptr || json_text == nullptr) {
      return Fail(FERRY_ERR_INVALID_ARGUMENT, "client and JSON are required",
                  error_out);
    }
    auto rules = ferry::internal::ParseRules(json_text);
    if (!rules.ok()) return Fail(std::move(rules.error()), error_out);
    return Reconfigure(
        client,
        [&](ferry::internal::ClientConfig& c) {
          for (auto& r : rules.value()) c.rules.push_back(r);
        },
        error_out);
  } catch (...) {
    return ferry::capi::CaughtException(error_out);
  }
}

ferry_code ferry_client_load_rules_file(ferry_client* client, const char* path,
                                        ferry_error** error_out) {
  if (error_out != nullptr) *error_out = nullptr;
  try {
    if (client == nullptr || path == nullptr) {
      return Fail(FERRY_ERR_INVALID_ARGUMENT, "client and path are required",
                  error_out);
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return Fail(errno == ENOENT ? FERRY_ERR_FILE_NOT_FOUND
                                  : FERRY_ERR_FILE_UNREADABLE,
                  (std::string("cannot read rules file: ") + path).c_str(),
                  error_out);
    }
    std::string text((std::istreambuf_iterator<char>(in)), {});
    if (text.size() > (4 << 20)) {
      return Fail(FERRY_ERR_INVALID_ARGUMENT, "rules file larger than 4 MiB",
                  error_out);
    }
    return ferry_client_add_rules_json(client, text.c_str(), error_out);
  } catch (...) {
    return ferry::capi::CaughtException(error_out);
  }
}

ferry_code ferry_client_check_batch(ferry_client* client, uint32_t file_count,
                                    ferry_error** error_out) {
  if (error_out != nullptr) *error_out = nullptr;
  try {
    if (client == nullptr) {
      return Fail(FERRY_ERR_INVALID_ARGUMENT, "client is required", error_out);
    }
    std::shared_ptr<ferry::internal::ClientCore> core;
    {
      MutexLock lock(&client->mu);
      core = client->core;
    }
    auto s = core->CheckBatch(file_count);
    if (!s.ok()) return Fail(std::move(s.error()), error_out);
    return FERRY_OK;
  } catch (...) {
    return ferry::capi::CaughtException(error_out);
  }
}

ferry_code ferry_client_doctor(ferry_client* client,
                               ferry_doctor_report** report_out,
                               ferry_error** error_out) {
  if (report_out != nullptr) *report_out = nullptr;
  if (error_out != nullptr) *error_out = nullptr;
  try {
    if (client == nullptr) {
      return Fail(FERRY_ERR_INVALID_ARGUMENT, "client is required", error_out);
    }
    ClientCall call(client);
    if (!call.ok()) return Fail(ClientCall::Closing(), error_out);
    ferry::internal::ClientConfig config;
    {
      MutexLock lock(&client->mu);
      config = client->config;
    }
    ferry::internal::DoctorReport report = ferry::internal::RunDoctor(config);
    if (report_out != nullptr) {
      *report_out = new ferry_doctor_report{report.ToJson(), report.ToText()};
    }
    if (report.first_failure) {
      return Fail(std::move(*report.first_failure), error_out);
    }
    return FERRY_OK;
  } catch (...) {
    return ferry::capi::CaughtException(error_out);
  }
}

void ferry_doctor_report_free(ferry_doctor_report* r) { delete r; }
const char* ferry_doctor_report_json(const ferry_doctor_report* r) {
  return r ? r->json.c_str() : "{}";
}
const char* ferry_doctor_report_text(const ferry_doctor_report* r) {
  return r ? r->text.c_str() : "";
}

void ferry_result_free(ferry_result* result) { delete result; }
const char* ferry_result_url(const ferry_result* r) {
  return r ? r->summary.url.c_str() : "";
}
const char* ferry_result_url_redacted(const ferry_result* r) {
  return r ? r->url_redacted.c_str() : "";
}
uint64_t ferry_result_bytes(const ferry_result* r) {
  return r ? r->summary.bytes : 0;
}
uint64_t ferry_result_wire_bytes(const ferry_result* r) {
  return r ? r->summary.wire_bytes : 0;
}
const char* ferry_result_sha256(const ferry_result* r) {
  return r ? r->summary.sha256_hex.c_str() : "";
}
const char* ferry_result_encoding(const ferry_result* r) {
  return r ? r->summary.encoding.c_str() : "";
}
uint64_t ferry_result_resumed_from(const ferry_result* r) {
  return r ? r->summary.resumed_from : 0;
}

}  // extern "C"

struct ferry_batch {
  std::vector<std::unique_ptr<ferry_result>> results;
  std::vector<std::unique_ptr<ferry_error>> errors;
  // Apps read a batch on another thread than the one that filled it (the
  // Python binding does, behind its own Event): taking this lock after
  // filling and before every read orders the two for any checker (TSan),
  // whatever the app's own handoff was.
  mutable ferry::internal::Mutex mu;
};

namespace {
void Publish(std::unique_ptr<ferry_batch> batch, ferry_batch** out) {
  { ferry::internal::MutexLock lock(&batch->mu); }
  if (out != nullptr) *out = batch.release();
}
}  // namespace

ferry_code ferry_upload_batch(ferry_client* client, const char* const* paths,
                              uint32_t count,
                              const ferry_batch_options* options,
                              ferry_batch** batch_out) {
  if (batch_out != nullptr) *batch_out = nullptr;
  try {
    auto batch = std::make_unique<ferry_batch>();
    batch->results.resize(count);
    batch->errors.resize(count);
    auto fail_all = [&](ferry::internal::Error e) {
      for (uint32_t i = 0; i < count; ++i) {
        batch->errors[i] = std::make_unique<ferry_error>(ferry_error{e, ""});
        batch->errors[i]->json = e.ToJson();
      }
      Publish(std::move(batch), batch_out);
      return e.code;
    };
    if (client == nullptr || (paths == nullptr && count > 0)) {
      return fail_all(ferry::internal::MakeError(
          FERRY_ERR_INVALID_ARGUMENT, "client and paths are required"));
    }
    ClientCall call(client);
    if (!call.ok()) return fail_all(ClientCall::Closing());
    std::vector<std::string> files;
    for (uint32_t i = 0; i < count; ++i) {
      if (paths[i] == nullptr) {
        return fail_all(ferry::internal::MakeError(
            FERRY_ERR_INVALID_ARGUMENT,
            "path " + std::to_string(i) + " is NULL"));
      }
      files.emplace_back(paths[i]);
    }
    ferry_batch_options o = ReadVersioned(options);
    ferry::internal::BatchParams params;
    params.concurrency = o.concurrency;
    if (o.names != nullptr) {
      for (uint32_t i = 0; i < count; ++i) {
        const char* name = o.names[i] == nullptr ? "" : o.names[i];
        if (ferry::capi::HasControl(name)) {
          return fail_all(ferry::internal::MakeError(
              FERRY_ERR_INVALID_ARGUMENT,
              "name " + std::to_string(i) + " has a control character"));
        }
        params.names.emplace_back(name);
      }
    }
    if (!ReadMetadata(o.metadata, o.metadata_count, &params.metadata)) {
      return fail_all(ferry::internal::MakeError(FERRY_ERR_INVALID_ARGUMENT,
                                                 "metadata key is NULL"));
    }
    auto object = ferry::capi::ReadObjectSettings(
        o.object_headers, o.object_headers_count, o.guess_content_type,
        &params.object);
    if (!object.ok()) return fail_all(std::move(object.error()));
    if (o.on_progress != nullptr) {
      params.on_progress = [&o](const ferry::internal::BatchProgress& p) {
        ferry_batch_progress cp;
        std::memset(&cp, 0, sizeof cp);
        cp.struct_size = sizeof cp;
        cp.bytes_done = p.bytes_done;
        cp.bytes_total = p.bytes_total;
        cp.wire_bytes = p.wire_bytes;
        cp.files_total = p.files_total;
        cp.files_done = p.files_done;
        cp.files_failed = p.files_failed;
        cp.files_active = p.files_active;
        return o.on_progress(&cp, o.progress_user_data) == 0;
      };
    }
    if (o.on_event != nullptr) {
      params.on_event = [&o](size_t i, const ferry::internal::Event& e) {
        ferry_event ce = ToC(e, static_cast<uint32_t>(i));
        return o.on_event(&ce, o.event_user_data) == 0;
      };
    }
    params.discard_on_cancel = o.discard_on_cancel != 0;
    params.restart_on_change = o.on_change == FERRY_ON_CHANGE_RESTART;
    if (o.on_file_done != nullptr) {
      params.on_file_done =
          [&o](size_t i,
               const ferry::internal::Result<ferry::internal::UploadSummary>&
                   r) {
            auto index = static_cast<uint32_t>(i);
            if (r.ok()) {
              ferry_result res{r.value(),
                               ferry::internal::RedactUrl(r.value().url)};
              o.on_file_done(index, &res, nullptr, o.file_user_data);
            } else {
              ferry_error err{r.error(), r.error().ToJson()};
              o.on_file_done(index, nullptr, &err, o.file_user_data);
            }
          };
    }
    params.on_progress = StopWhenClosing(client, std::move(params.on_progress));
    ferry::internal::ClientCore* core;
    {
      MutexLock lock(&client->mu);
      client->started = true;
      core = client->core.get();
    }
    auto outcomes = core->UploadBatch(files, params);
    ferry_code first = FERRY_OK;
    for (uint32_t i = 0; i < count; ++i) {
      auto& r = outcomes[i];
      if (r.ok()) {
        std::string redacted = ferry::internal::RedactUrl(r.value().url);
        batch->results[i].reset(
            new ferry_result{std::move(r.value()), std::move(redacted)});
      } else {
        if (first == FERRY_OK) first = r.error().code;
        batch->errors[i] =
            std::make_unique<ferry_error>(ferry_error{r.error(), ""});
        batch->errors[i]->json = batch->errors[i]->error.ToJson();
      }
    }
    Publish(std::move(batch), batch_out);
    return first;
  } catch (...) {
    return ferry::capi::CaughtException(nullptr);
  }
}

void ferry_batch_free(ferry_batch* batch) {
  if (batch == nullptr) return;
  { ferry::internal::MutexLock lock(&batch->mu); }
  delete batch;
}

uint32_t ferry_batch_count(const ferry_batch* batch) {
  if (batch == nullptr) return 0;
  ferry::internal::MutexLock lock(&batch->mu);
  return static_cast<uint32_t>(batch->results.size());
}

const ferry_result* ferry_batch_result(const ferry_batch* batch, uint32_t i) {
  if (batch == nullptr) return nullptr;
  ferry::internal::MutexLock lock(&batch->mu);
  if (i >= batch->results.size()) return nullptr;
  return batch->results[i].get();
}

const ferry_error* ferry_batch_error(const ferry_batch* batch, uint32_t i) {
  if (batch == nullptr) return nullptr;
  ferry::internal::MutexLock lock(&batch->mu);
  if (i >= batch->errors.size()) return nullptr;
  return batch->errors[i].get();
}
