// The C ABI over ClientCore. Every entry point catches everything: no C++
// exception ever crosses into C.
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "absl/synchronization/mutex.h"
#include "engine/client_core.h"
#include "errors/error.h"
#include "ferry/ferry.h"

struct ferry_error {
  ferry::internal::Error error;
  std::string json;
};

struct ferry_result {
  ferry::internal::UploadSummary summary;
};

struct ferry_client {
  ferry::internal::ClientConfig config;
  absl::Mutex mu;
  std::unique_ptr<ferry::internal::ClientCore> core ABSL_GUARDED_BY(mu);
  bool started ABSL_GUARDED_BY(mu) = false;
};

namespace {

// Copies a caller's versioned struct: fields it does not know stay zero.
template <typename T>
T ReadVersioned(const T* in) {
  T out;
  std::memset(&out, 0, sizeof out);
  if (in != nullptr) {
    size_t n = in->struct_size < sizeof out ? in->struct_size : sizeof out;
    std::memcpy(&out, in, n);
  }
  return out;
}

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

ferry_code Fail(ferry_code code, const char* message, ferry_error** out) {
  return Fail(ferry::internal::MakeError(code, message), out);
}

const char* Str(const char* s) { return s == nullptr ? "" : s; }

bool HeaderAllowed(const std::string& name) {
  std::string lower;
  for (char c : name) lower.push_back(static_cast<char>(std::tolower(c)));
  for (const char* managed :
       {"upload-offset", "upload-length", "upload-metadata", "tus-resumable",
        "content-length", "content-type", "upload-checksum", "host",
        "transfer-encoding", "expect", "upload-defer-length"}) {
    if (lower == managed) return false;
  }
  return true;
}

bool Clean(const char* s) {
  for (; *s; ++s) {
    if (*s == '\r' || *s == '\n' || *s == '\0') return false;
  }
  return true;
}

}  // namespace

extern "C" {

const char* ferry_version(void) { return "0.1.0"; }

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
    if (o.protocol != FERRY_PROTOCOL_TUS) {
      Fail(FERRY_ERR_INVALID_ARGUMENT, "unknown protocol", error_out);
      return nullptr;
    }
    cfg.state_dir = Str(o.state_dir);
    cfg.http.ca_file = Str(o.ca_file);
    cfg.http.insecure_skip_tls_verify = o.insecure_skip_tls_verify != 0;
    if (o.chunk_size) cfg.chunk_size = o.chunk_size;
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

    auto core = ferry::internal::ClientCore::Create(cfg);
    if (!core.ok()) {
      Fail(std::move(core.error()), error_out);
      return nullptr;
    }
    auto* client = new ferry_client;
    client->config = core.value()->config();
    absl::MutexLock lock(&client->mu);
    client->core = std::move(core.value());
    return client;
  } catch (...) {
    Fail(FERRY_ERR_INTERNAL_ERROR, "out of memory", error_out);
    return nullptr;
  }
}

void ferry_client_free(ferry_client* client) { delete client; }

ferry_code ferry_client_add_header(ferry_client* client, const char* name,
                                   const char* value) {
  try {
    if (client == nullptr || name == nullptr || value == nullptr ||
        name[0] == '\0' || !Clean(name) || !Clean(value) ||
        std::strchr(name, ':') != nullptr || !HeaderAllowed(name)) {
      return FERRY_ERR_INVALID_ARGUMENT;
    }
    absl::MutexLock lock(&client->mu);
    if (client->started) return FERRY_ERR_INVALID_ARGUMENT;
    client->config.headers.emplace_back(name, value);
    auto core = ferry::internal::ClientCore::Create(client->config);
    if (!core.ok()) return core.error().code;
    client->core = std::move(core.value());
    return FERRY_OK;
  } catch (...) {
    return FERRY_ERR_INTERNAL_ERROR;
  }
}

ferry_code ferry_upload_file(ferry_client* client, const char* path,
                             const ferry_upload_options* options,
                             ferry_result** result_out,
                             ferry_error** error_out) {
  if (result_out != nullptr) *result_out = nullptr;
  if (error_out != nullptr) *error_out = nullptr;
  try {
    if (client == nullptr || path == nullptr) {
      return Fail(FERRY_ERR_INVALID_ARGUMENT, "client and path are required",
                  error_out);
    }
    ferry_upload_options o = ReadVersioned(options);
    ferry::internal::UploadParams params;
    for (uint32_t i = 0; i < o.metadata_count; ++i) {
      if (o.metadata == nullptr || o.metadata[i].key == nullptr) {
        return Fail(FERRY_ERR_INVALID_ARGUMENT, "metadata key is NULL",
                    error_out);
      }
      params.metadata.emplace_back(o.metadata[i].key, Str(o.metadata[i].value));
    }
    if (o.on_progress != nullptr) {
      params.on_progress = [&o](const ferry::internal::Progress& p) {
        ferry_progress cp{sizeof(ferry_progress), p.bytes_done, p.bytes_total,
                          p.bytes_acked, p.wire_bytes};
        return o.on_progress(&cp, o.progress_user_data) == 0;
      };
    }
    if (o.on_event != nullptr) {
      params.on_event = [&o](const ferry::internal::Event& e) {
        ferry_event ce{sizeof(ferry_event), e.type,     e.code,
                       e.attempt,           e.delay_ms, e.offset,
                       e.message.c_str()};
        return o.on_event(&ce, o.event_user_data) == 0;
      };
    }
    params.discard_on_cancel = o.discard_on_cancel != 0;
    params.restart_on_change = o.on_change == FERRY_ON_CHANGE_RESTART;

    ferry::internal::ClientCore* core;
    {
      absl::MutexLock lock(&client->mu);
      client->started = true;
      core = client->core.get();
    }
    auto r = core->Upload(path, params);
    if (!r.ok()) return Fail(std::move(r.error()), error_out);
    if (result_out != nullptr) {
      *result_out = new ferry_result{std::move(r.value())};
    }
    return FERRY_OK;
  } catch (const std::bad_alloc&) {
    return Fail(FERRY_ERR_INTERNAL_ERROR, "out of memory", error_out);
  } catch (const std::exception& e) {
    return Fail(FERRY_ERR_INTERNAL_ERROR, e.what(), error_out);
  } catch (...) {
    return Fail(FERRY_ERR_INTERNAL_ERROR, "unknown failure", error_out);
  }
}

void ferry_result_free(ferry_result* result) { delete result; }
const char* ferry_result_url(const ferry_result* r) {
  return r ? r->summary.url.c_str() : "";
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
uint64_t ferry_result_resumed_from(const ferry_result* r) {
  return r ? r->summary.resumed_from : 0;
}

}  // extern "C"
