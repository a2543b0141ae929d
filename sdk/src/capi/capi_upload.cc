// SPDX-License-Identifier: Apache-2.0
// The C ABI for sources, upload handles and the list of unfinished uploads.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "capi/capi_common.h"
#include "session/upload_control.h"
#include "source/file_source.h"
#include "source/memory_source.h"
#include "source/stream_source.h"

using ferry::capi::Fail;
using ferry::capi::Str;
using ferry::internal::Error;
using ferry::internal::MakeError;
using ferry::internal::Mutex;
using ferry::internal::MutexLock;
using ferry::internal::Result;
using ferry::internal::Source;
using ferry::internal::SourceOpener;

namespace {

// A descriptor ferry owns, closed with its last user.
struct OwnedFd {
  explicit OwnedFd(int f) : fd(f) {}
  ~OwnedFd() { ::close(fd); }
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  int fd;
};

}  // namespace

struct ferry_source {
  enum class Kind { kPath, kFd, kMemory, kCallback };
  Kind kind = Kind::kPath;
  std::string path;
  std::shared_ptr<OwnedFd> fd;
  std::shared_ptr<const void> keep;  // memory: the copy, when copied
  const char* data = nullptr;
  uint64_t size = 0;
  ferry_read_fn read = nullptr;
  void* user_data = nullptr;
  int64_t length = FERRY_LENGTH_UNKNOWN;
  // A stream is read once, whichever upload gets it first.
  std::shared_ptr<std::atomic<bool>> consumed =
      std::make_shared<std::atomic<bool>>(false);
  std::string name;
};

namespace {

Error AlreadyRead() {
  return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                   "this stream source was already uploaded; a stream can "
                   "be read once");
}

Result<std::unique_ptr<Source>> StreamOnce(
    const std::shared_ptr<std::atomic<bool>>& consumed,
    ferry::internal::StreamReadFn read, std::optional<uint64_t> length,
    const std::string& name) {
  if (consumed->exchange(true)) return AlreadyRead();
  return std::unique_ptr<Source>(
      new ferry::internal::StreamSource(std::move(read), length, name));
}

// What an upload of `s` opens: holds copies of everything it needs, so the
// ferry_source may be freed once the upload started.
SourceOpener OpenerFor(const ferry_source& s) {
  switch (s.kind) {
    case ferry_source::Kind::kPath:
      return
          [path = s.path, name = s.name]() -> Result<std::unique_ptr<Source>> {
            auto file = ferry::internal::FileSource::Open(path, name);
            if (!file.ok()) return file.error();
            return std::unique_ptr<Source>(std::move(file.value()));
          };
    case ferry_source::Kind::kFd:
      return [fd = s.fd, name = s.name,
              consumed = s.consumed]() -> Result<std::unique_ptr<Source>> {
        struct stat st;
        if (::fstat(fd->fd, &st) == 0 && S_ISREG(st.st_mode)) {
          auto file = ferry::internal::FileSource::FromFd(fd->fd, name);
          if (!file.ok()) return file.error();
          return std::unique_ptr<Source>(std::move(file.value()));
        }
        auto read = [fd](char* out, uint64_t max) -> Result<uint64_t> {
          for (;;) {
            ssize_t n = ::read(fd->fd, out, max);
            if (n >= 0) return static_cast<uint64_t>(n);
            if (errno == EINTR) continue;
            return MakeError(FERRY_ERR_FILE_UNREADABLE,
                             std::string("reading the stream failed: ") +
                                 std::strerror(errno));
          }
        };
        return StreamOnce(consumed, read, std::nullopt, name);
      };
    case ferry_source::Kind::kMemory:
      return [data = s.data, size = s.size, keep = s.keep,
              name = s.name]() -> Result<std::unique_ptr<Source>> {
        return std::unique_ptr<Source>(
            new ferry::internal::MemorySource(data, size, keep, name));
      };
    case ferry_source::Kind::kCallback:
      break;
  }
  return [fn = s.read, user_data = s.user_data, length = s.length,
          name = s.name,
          consumed = s.consumed]() -> Result<std::unique_ptr<Source>> {
    auto read = [fn, user_data](char* out, uint64_t max) -> Result<uint64_t> {
      int64_t n = fn(out, max, user_data);
      if (n < 0) {
        return MakeError(FERRY_ERR_FILE_UNREADABLE,
                         "the read callback reported a failure");
      }
      return static_cast<uint64_t>(n);
    };
    std::optional<uint64_t> declared;
    if (length >= 0) declared = static_cast<uint64_t>(length);
    return StreamOnce(consumed, read, declared, name);
  };
}

template <typename F>
ferry_source* NewSource(ferry_error** error_out, F&& fill) {
  if (error_out != nullptr) *error_out = nullptr;
  try {
    auto s = std::make_unique<ferry_source>();
    std::optional<Error> failed = fill(*s);
    if (failed) {
      Fail(std::move(*failed), error_out);
      return nullptr;
    }
    return s.release();
  } catch (...) {
    ferry::capi::CaughtException(error_out);
    return nullptr;
  }
}

// A running upload, known to C by its id.
struct UploadHandle {
  ferry_client* client = nullptr;  // whose upload this is
  std::shared_ptr<ferry::internal::UploadControl> control =
      std::make_shared<ferry::internal::UploadControl>();
  ferry::internal::UploadParams params;
  std::thread thread;
  Mutex join_mu;  // one joiner at a time (free, client free)
  Mutex mu;
  ferry::internal::CondVar ended_cv;
  bool ended ABSL_GUARDED_BY(mu) = false;
  std::optional<Result<ferry::internal::UploadSummary>> outcome
      ABSL_GUARDED_BY(mu);
};

// Handles by id: a freed or made-up handle is found missing, never read.
struct HandleTable {
  Mutex mu;
  uint64_t next ABSL_GUARDED_BY(mu) = 1;
  std::map<uint64_t, std::shared_ptr<UploadHandle>> live ABSL_GUARDED_BY(mu);
};

HandleTable& Handles() {
  static HandleTable* table = new HandleTable();  // never destroyed: no
  return *table;  // static-destruction race with a late ferry_upload_free
}

uint64_t IdOf(const ferry_upload* u) {
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(u));
}

std::shared_ptr<UploadHandle> Find(const ferry_upload* u) {
  HandleTable& t = Handles();
  MutexLock lock(&t.mu);
  auto it = t.live.find(IdOf(u));
  return it == t.live.end() ? nullptr : it->second;
}

Error UnknownHandle() {
  return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                   "unknown or freed upload handle");
}

bool Ended(UploadHandle& h) {
  MutexLock lock(&h.mu);
  return h.ended;
}

ferry_code Steer(ferry_upload* upload, ferry_error** error_out,
                 const std::function<void(UploadHandle&)>& act) {
  if (error_out != nullptr) *error_out = nullptr;
  try {
    std::shared_ptr<UploadHandle> h = Find(upload);
    if (!h) return Fail(UnknownHandle(), error_out);
    if (Ended(*h)) {
      return Fail(FERRY_ERR_INVALID_ARGUMENT, "the upload has already ended",
                  error_out);
    }
    act(*h);
    return FERRY_OK;
  } catch (...) {
    return ferry::capi::CaughtException(error_out);
  }
}

// Cancels the handle's upload and waits for its thread.
void StopAndJoin(UploadHandle& h) {
  h.control->Cancel(false);
  MutexLock lock(&h.join_mu);
  if (h.thread.get_id() == std::this_thread::get_id()) {
    h.thread.detach();  // from its own callback: it ends by itself
  } else if (h.thread.joinable()) {
    h.thread.join();
  }
}

}  // namespace

void ferry::capi::EndUploadsOf(ferry_client* client) {
  std::vector<std::shared_ptr<UploadHandle>> mine;
  {
    HandleTable& t = Handles();
    MutexLock lock(&t.mu);
    for (auto& [id, h] : t.live) {
      if (h->client == client) mine.push_back(h);
    }
  }
  for (auto& h : mine) StopAndJoin(*h);
}

struct ferry_pending {
  std::vector<ferry::internal::PendingUpload> entries;
  std::string json;
};

extern "C" {

ferry_source* ferry_source_from_path(const char* path) {
  if (path == nullptr) return nullptr;
  return NewSource(nullptr, [&](ferry_source& s) -> std::optional<Error> {
    s.kind = ferry_source::Kind::kPath;
    s.path = path;
    return std::nullopt;
  });
}

ferry_source* ferry_source_from_fd(int32_t fd, ferry_error** error_out) {
  return NewSource(error_out, [&](ferry_source& s) -> std::optional<Error> {
    int own = fd < 0 ? -1 : ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (own < 0) {
      return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                       "not an open file descriptor: " + std::to_string(fd));
    }
    s.kind = ferry_source::Kind::kFd;
    s.fd = std::make_shared<OwnedFd>(own);
    return std::nullopt;
  });
}

ferry_source* ferry_source_from_memory(const void* data, uint64_t size,
                                       int32_t copy, ferry_error** error_out) {
  return NewSource(error_out, [&](ferry_source& s) -> std::optional<Error> {
    if (data == nullptr && size > 0) {
      return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                       "memory source: NULL data with a size");
    }
    s.kind = ferry_source::Kind::kMemory;
    s.size = size;
    if (copy != 0 && size > 0) {
      auto bytes = std::make_shared<std::string>(static_cast<const char*>(data),
                                                 static_cast<size_t>(size));
      s.data = bytes->data();
      s.keep = bytes;
    } else {
      s.data = static_cast<const char*>(data);
    }
    return std::nullopt;
  });
}

ferry_source* ferry_source_from_callback(ferry_read_fn read, void* user_data,
                                         int64_t length,
                                         ferry_error** error_out) {
  return NewSource(error_out, [&](ferry_source& s) -> std::optional<Error> {
    if (read == nullptr || length < FERRY_LENGTH_UNKNOWN) {
      return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                       "callback source: a read function and a length (or "
                       "FERRY_LENGTH_UNKNOWN) are required");
    }
    s.kind = ferry_source::Kind::kCallback;
    s.read = read;
    s.user_data = user_data;
    s.length = length;
    return std::nullopt;
  });
}

ferry_code ferry_source_set_name(ferry_source* source, const char* name) {
  if (source == nullptr || name == nullptr || ferry::capi::HasControl(name)) {
    return FERRY_ERR_INVALID_ARGUMENT;
  }
  try {
    source->name = name;
    return FERRY_OK;
  } catch (...) {
    return ferry::capi::CaughtException(nullptr);
  }
}

void ferry_source_free(ferry_source* source) { delete source; }

ferry_code ferry_upload_source(ferry_client* client, const ferry_source* source,
                               const ferry_upload_options* options,
                               ferry_result** result_out,
                               ferry_error** error_out) {
  if (result_out != nullptr) *result_out = nullptr;
  if (error_out != nullptr) *error_out = nullptr;
  try {
    if (client == nullptr || source == nullptr) {
      return Fail(FERRY_ERR_INVALID_ARGUMENT, "client and source are required",
                  error_out);
    }
    ferry::capi::ClientCall call(client);
    if (!call.ok()) return Fail(ferry::capi::ClientCall::Closing(), error_out);
    ferry::internal::UploadParams params;
    auto read = ferry::capi::ParamsFromOptions(options, &params);
    if (!read.ok()) return Fail(std::move(read.error()), error_out);
    params.on_progress =
        ferry::capi::StopWhenClosing(client, std::move(params.on_progress));
    auto r = ferry::capi::StartedCore(client)->UploadFrom(OpenerFor(*source),
                                                          params);
    if (!r.ok()) return Fail(std::move(r.error()), error_out);
    if (result_out != nullptr) {
      *result_out = ferry::capi::NewResult(std::move(r.value()));
    }
    return FERRY_OK;
  } catch (...) {
    return ferry::capi::CaughtException(error_out);
  }
}

ferry_code ferry_upload_file(ferry_client* client, const char* path,
                             const ferry_upload_options* options,
                             ferry_result** result_out,
                             ferry_error** error_out) {
  if (path == nullptr) {
    if (result_out != nullptr) *result_out = nullptr;
    return Fail(FERRY_ERR_INVALID_ARGUMENT, "client and path are required",
                error_out);
  }
  try {
    ferry_source file;  // a path: opened by the upload itself
    file.path = path;
    return ferry_upload_source(client, &file, options, result_out, error_out);
  } catch (...) {
    return ferry::capi::CaughtException(error_out);
  }
}

ferry_upload* ferry_upload_start(ferry_client* client,
                                 const ferry_source* source,
                                 const ferry_upload_options* options,
                                 ferry_error** error_out) {
  if (error_out != nullptr) *error_out = nullptr;
  try {
    if (client == nullptr || source == nullptr) {
      Fail(FERRY_ERR_INVALID_ARGUMENT, "client and source are required",
           error_out);
      return nullptr;
    }
    auto h = std::make_shared<UploadHandle>();
    h->client = client;
    auto read = ferry::capi::ParamsFromOptions(options, &h->params);
    if (!read.ok()) {
      Fail(std::move(read.error()), error_out);
      return nullptr;
    }
    if ((source->kind == ferry_source::Kind::kCallback ||
         source->kind == ferry_source::Kind::kFd) &&
        source->consumed->load()) {
      Fail(AlreadyRead(), error_out);
      return nullptr;
    }
    ferry::internal::ClientCore* core = ferry::capi::StartedCore(client);
    SourceOpener open = OpenerFor(*source);
    uint64_t id;
    {
      HandleTable& t = Handles();
      MutexLock lock(&t.mu);
      id = t.next++;
      t.live[id] = h;
    }
    // The thread holds the handle, not the table: a freed handle's thread
    // still finishes with valid memory.
    h->thread = std::thread([h, core, open = std::move(open)] {
      auto r = core->UploadFrom(open, h->params, h->control);
      MutexLock lock(&h->mu);
      h->outcome = std::move(r);
      h->ended = true;
      h->ended_cv.SignalAll();
    });
    return reinterpret_cast<ferry_upload*>(static_cast<uintptr_t>(id));
  } catch (...) {
    ferry::capi::CaughtException(error_out);
    return nullptr;
  }
}

ferry_code ferry_upload_pause(ferry_upload* upload, ferry_error** error_out) {
  return Steer(upload, error_out, [](UploadHandle& h) { h.control->Pause(); });
}

ferry_code ferry_upload_resume(ferry_upload* upload, ferry_error** error_out) {
  return Steer(upload, error_out, [](UploadHandle& h) { h.control->Resume(); });
}

ferry_code ferry_upload_cancel(ferry_upload* upload, int32_t discard,
                               ferry_error** error_out) {
  return Steer(upload, error_out,
               [discard](UploadHandle& h) { h.control->Cancel(discard != 0); });
}

int32_t ferry_upload_wait(ferry_upload* upload, int64_t timeout_ms) {
  try {
    std::shared_ptr<UploadHandle> h = Find(upload);
    if (!h) return -1;
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(std::max<int64_t>(timeout_ms, 0));
    MutexLock lock(&h->mu);
    while (!h->ended) {
      if (timeout_ms < 0) {
        h->ended_cv.Wait(&h->mu);
        continue;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0) return 0;
      h->ended_cv.WaitForMs(&h->mu, left);
    }
    return 1;
  } catch (...) {
    return -1;
  }
}

ferry_code ferry_upload_get_status(ferry_upload* upload,
                                   ferry_upload_status* status) {
  if (status == nullptr) return FERRY_ERR_INVALID_ARGUMENT;
  std::shared_ptr<UploadHandle> h = Find(upload);
  if (!h) return FERRY_ERR_INVALID_ARGUMENT;
  ferry::internal::UploadStatus now = h->control->status();
  ferry_upload_status out;
  std::memset(&out, 0, sizeof out);
  out.struct_size = sizeof out;
  out.phase = static_cast<int32_t>(now.phase);
  out.bytes_done = now.progress.bytes_done;
  out.bytes_total = now.progress.bytes_total;
  out.bytes_acked = now.progress.bytes_acked;
  out.wire_bytes = now.progress.wire_bytes;
  out.total_known = now.progress.total_known ? 1 : 0;
  out.last_error_code = now.last_error ? now.last_error->code : 0;
  // Only the fields the caller's struct has.
  size_t n =
      status->struct_size < sizeof out ? status->struct_size : sizeof out;
  std::memcpy(status, &out, n);
  status->struct_size = static_cast<uint32_t>(n);
  return FERRY_OK;
}

ferry_error* ferry_upload_last_error(ferry_upload* upload) {
  try {
    std::shared_ptr<UploadHandle> h = Find(upload);
    if (!h) return nullptr;
    ferry::internal::UploadStatus now = h->control->status();
    if (!now.last_error) return nullptr;
    ferry_error* out = nullptr;
    Fail(std::move(*now.last_error), &out);
    return out;
  } catch (...) {
    return nullptr;
  }
}

ferry_code ferry_upload_outcome(ferry_upload* upload, ferry_result** result_out,
                                ferry_error** error_out) {
  if (result_out != nullptr) *result_out = nullptr;
  if (error_out != nullptr) *error_out = nullptr;
  try {
    std::shared_ptr<UploadHandle> h = Find(upload);
    if (!h) return Fail(UnknownHandle(), error_out);
    MutexLock lock(&h->mu);
    if (!h->ended || !h->outcome) {
      return Fail(FERRY_ERR_INVALID_ARGUMENT,
                  "the upload has not ended: wait for it first", error_out);
    }
    if (!h->outcome->ok()) return Fail(h->outcome->error(), error_out);
    if (result_out != nullptr) {
      *result_out = ferry::capi::NewResult(h->outcome->value());
    }
    return FERRY_OK;
  } catch (...) {
    return ferry::capi::CaughtException(error_out);
  }
}

void ferry_upload_free(ferry_upload* upload) {
  std::shared_ptr<UploadHandle> h;
  {
    HandleTable& t = Handles();
    MutexLock lock(&t.mu);
    auto it = t.live.find(IdOf(upload));
    if (it == t.live.end()) return;
    h = std::move(it->second);
    t.live.erase(it);
  }
  StopAndJoin(*h);
}

ferry_code ferry_client_pending(ferry_client* client,
                                ferry_pending** pending_out,
                                ferry_error** error_out) {
  if (error_out != nullptr) *error_out = nullptr;
  if (pending_out != nullptr) *pending_out = nullptr;
  try {
    if (client == nullptr || pending_out == nullptr) {
      return Fail(FERRY_ERR_INVALID_ARGUMENT,
                  "client and pending_out are required", error_out);
    }
    ferry::capi::ClientCall call(client);
    if (!call.ok()) return Fail(ferry::capi::ClientCall::Closing(), error_out);
    std::shared_ptr<ferry::internal::ClientCore> core;
    {
      MutexLock lock(&client->mu);
      core = client->core;
    }
    auto list = std::make_unique<ferry_pending>();
    list->entries = core->Pending();
    nlohmann::json j = nlohmann::json::array();
    for (const auto& p : list->entries) {
      nlohmann::json e = {{"id", p.id},
                          {"path", p.path},
                          {"name", p.name},
                          {"endpoint", p.endpoint},
                          {"protocol", p.protocol},
                          {"size", p.size},
                          {"bytes_on_server", p.bytes_on_server},
                          {"expires", p.expires},
                          {"created_unix", p.created_unix},
                          {"resumable", p.resumable}};
      if (p.last_error_code != FERRY_OK) {
        const char* code = ferry_code_name(p.last_error_code);
        e["last_error"] = {{"code", code ? code : "unknown"},
                           {"message", p.last_error_message}};
      }
      j.push_back(std::move(e));
    }
    list->json = j.dump();
    *pending_out = list.release();
    return FERRY_OK;
  } catch (...) {
    return ferry::capi::CaughtException(error_out);
  }
}

uint32_t ferry_pending_count(const ferry_pending* pending) {
  return pending == nullptr ? 0
                            : static_cast<uint32_t>(pending->entries.size());
}

int32_t ferry_pending_get(const ferry_pending* pending, uint32_t i,
                          ferry_pending_entry* entry) {
  if (pending == nullptr || entry == nullptr || i >= pending->entries.size()) {
    return 0;
  }
  const ferry::internal::PendingUpload& p = pending->entries[i];
  ferry_pending_entry out;
  std::memset(&out, 0, sizeof out);
  out.struct_size = sizeof out;
  out.id = p.id.c_str();
  out.path = p.path.c_str();
  out.name = p.name.c_str();
  out.endpoint = p.endpoint.c_str();
  out.protocol = p.protocol.c_str();
  out.size = p.size;
  out.bytes_on_server = p.bytes_on_server;
  out.expires = p.expires.c_str();
  out.created_unix = p.created_unix;
  out.resumable = p.resumable ? 1 : 0;
  out.last_error_code = p.last_error_code;
  out.last_error_message = p.last_error_message.c_str();
  size_t n = entry->struct_size < sizeof out ? entry->struct_size : sizeof out;
  std::memcpy(entry, &out, n);
  entry->struct_size = static_cast<uint32_t>(n);
  return 1;
}

const char* ferry_pending_json(const ferry_pending* pending) {
  return pending == nullptr ? "[]" : pending->json.c_str();
}

void ferry_pending_free(ferry_pending* pending) { delete pending; }

ferry_code ferry_client_forget(ferry_client* client, const char* id,
                               int32_t discard_on_server,
                               ferry_error** error_out) {
  if (error_out != nullptr) *error_out = nullptr;
  try {
    if (client == nullptr || id == nullptr) {
      return Fail(FERRY_ERR_INVALID_ARGUMENT, "client and id are required",
                  error_out);
    }
    ferry::capi::ClientCall call(client);
    if (!call.ok()) return Fail(ferry::capi::ClientCall::Closing(), error_out);
    std::shared_ptr<ferry::internal::ClientCore> core;
    {
      MutexLock lock(&client->mu);
      core = client->core;
    }
    auto s = core->Forget(id, discard_on_server != 0);
    if (!s.ok()) return Fail(std::move(s.error()), error_out);
    return FERRY_OK;
  } catch (...) {
    return ferry::capi::CaughtException(error_out);
  }
}

}  // extern "C"
