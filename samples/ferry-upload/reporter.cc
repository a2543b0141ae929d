// SPDX-License-Identifier: Apache-2.0
#include "reporter.h"

#include <cstdio>
#include <iostream>

namespace ferry_cli {
namespace {

// The JSON form of an event, as documented in the README.
nlohmann::json EventJson(const std::string& file, const ferry::Event& e) {
  nlohmann::json j = {{"file", file}, {"message", e.message}};
  switch (e.type) {
    case FERRY_EVENT_RETRY:
      j["event"] = "retry";
      j["code"] = ferry::CodeName(e.code);
      j["attempt"] = e.attempt;
      j["delay_ms"] = e.delay_ms;
      j["offset"] = e.offset;
      break;
    case FERRY_EVENT_RESUMED:
      j["event"] = "resumed";
      j["offset"] = e.offset;
      break;
    case FERRY_EVENT_RESTARTED:
      j["event"] = "restarted";
      j["code"] = ferry::CodeName(e.code);
      break;
    case FERRY_EVENT_CREATED:
      j["event"] = "created";
      j["offset"] = e.offset;
      break;
    case FERRY_EVENT_STATE_DISCARDED:
      j["event"] = "state_discarded";
      break;
    case FERRY_EVENT_COMPRESSION_OFF:
      j["event"] = "compression_off";
      break;
    case FERRY_EVENT_PAUSED:
      j["event"] = "paused";
      j["offset"] = e.offset;
      break;
    case FERRY_EVENT_UNPAUSED:
      j["event"] = "unpaused";
      j["offset"] = e.offset;
      break;
    case FERRY_EVENT_TLS_UNVERIFIED:
      j["event"] = "tls_unverified";
      break;
  }
  return j;
}

// The text form of an event; empty when it is not worth a line at this
// verbosity.
std::string EventText(const std::string& file, const ferry::Event& e,
                      int verbosity) {
  std::string head = "ferry-upload: " + file + ": ";
  switch (e.type) {
    case FERRY_EVENT_RETRY:
      return head + ferry::CodeName(e.code) + ", retry " +
             std::to_string(e.attempt) + " in " + std::to_string(e.delay_ms) +
             " ms: " + e.message;
    case FERRY_EVENT_RESUMED:
      return head + "resuming at byte " + std::to_string(e.offset) + " (" +
             ProgressDisplay::HumanBytes(double(e.offset)) +
             " already on the server)";
    case FERRY_EVENT_CREATED:
      return verbosity > 0 ? head + e.message : "";
    default:
      return head + e.message;
  }
}

}  // namespace

void PrintJsonLine(const nlohmann::json& j) {
  std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
            << "\n"
            << std::flush;
}

std::string TextError(const std::string& subject, const ferry::Error& e) {
  std::string out = "ferry-upload: " + subject + ": " + e.code_name + "\n  " +
                    e.message + "\n  category: " + e.category +
                    ", refused by: " + e.origin +
                    ", retryable: " + (e.retryable ? "yes" : "no");
  if (e.limit >= 0) out += "\n  limit: " + std::to_string(e.limit) + " bytes";
  if (e.retry_after_ms >= 0) {
    char secs[32];
    std::snprintf(secs, sizeof secs, "%g", double(e.retry_after_ms) / 1000.0);
    out += "\n  retry after: " + std::string(secs) + " s";
  }
  if (!e.request_id.empty()) out += "\n  request id: " + e.request_id;
  out += "\n  what to do (" + e.action + "): ";
  for (int32_t a = 0; ferry_action_name(a) != nullptr; ++a) {
    if (e.action == ferry_action_name(a)) out += ferry_action_description(a);
  }
  return out;
}

Reporter::Reporter(OutputFormat format, int verbosity, ProgressDisplay* display)
    : format_(format), verbosity_(verbosity), display_(display) {}

void Reporter::Note(const std::string& line) {
  if (!line.empty() && verbosity_ >= 0) display_->Note(line);
}

void Reporter::OnEvent(const std::string& file, const ferry::Event& e) {
  if (json()) {
    PrintJsonLine(EventJson(file, e));
  } else {
    Note(EventText(file, e, verbosity_));
  }
}

void Reporter::OnProgress(const std::string& file, const ferry::Progress& p) {
  if (json()) {
    PrintJsonLine({{"event", "progress"},
                   {"file", file},
                   {"bytes", p.bytes_done},
                   {"total", p.bytes_total},
                   {"acked", p.bytes_acked},
                   {"wire_bytes", p.wire_bytes}});
    return;
  }
  display_->Update({p.bytes_acked, p.bytes_done, p.bytes_total,
                    p.total_known != 0, p.wire_bytes});
}

void Reporter::OnBatchProgress(const ferry::BatchProgress& p) {
  if (json()) {
    PrintJsonLine({{"event", "progress"},
                   {"file", nullptr},
                   {"bytes", p.bytes_done},
                   {"total", p.bytes_total},
                   {"wire_bytes", p.wire_bytes},
                   {"files_done", p.files_done},
                   {"files_failed", p.files_failed},
                   {"files_total", p.files_total}});
    return;
  }
  // A batch reports bytes sent over all files; what is acknowledged is
  // known per file only.
  display_->Update(
      {p.bytes_done, p.bytes_done, p.bytes_total, true, p.wire_bytes});
}

void Reporter::OnOutcome(const std::string& file,
                         const ferry::Outcome<ferry::UploadResult>& r) {
  if (!r.ok()) {
    OnError(file, r.error(), {{"file", file}});
    return;
  }
  const ferry::UploadResult& res = r.value();
  if (json()) {
    PrintJsonLine({{"event", "done"},
                   {"file", file},
                   {"url", res.url_redacted},
                   {"bytes", res.bytes},
                   {"wire_bytes", res.wire_bytes},
                   {"sha256", res.sha256},
                   {"resumed_from", res.resumed_from},
                   {"encoding", res.encoding}});
    return;
  }
  if (verbosity_ < 0) return;
  std::string line =
      file + ": uploaded " + std::to_string(res.bytes) + " bytes";
  if (res.resumed_from) {
    line += " (resumed at " + std::to_string(res.resumed_from) + ")";
  }
  if (res.encoding == "zstd") {
    line += ", zstd: " + std::to_string(res.wire_bytes) + " bytes on the wire";
  }
  std::cout << line << ", sha256 " << res.sha256 << "\n  " << res.url_redacted
            << "\n"
            << std::flush;
}

void Reporter::OnError(const std::string& subject, const ferry::Error& e,
                       const nlohmann::json& extra) {
  Count(e);
  if (json()) {
    nlohmann::json j = {{"event", "error"}, {"file", nullptr}};
    j.update(extra);
    j["error"] = nlohmann::json::parse(e.json, nullptr, false);
    if (j["error"].is_discarded()) {
      j["error"] = {{"code", e.code_name}, {"message", e.message}};
    }
    PrintJsonLine(j);
    return;
  }
  display_->Note(TextError(subject, e));
}

void Reporter::OnNotStarted(const std::string& file) {
  ferry::Error e = ferry::Error::FromC(nullptr, FERRY_ERR_CANCELLED);
  e.message = "not started: interrupted";
  if (json()) {
    Count(e);
    PrintJsonLine({{"event", "error"},
                   {"file", file},
                   {"error", {{"code", "cancelled"}, {"message", e.message}}}});
    return;
  }
  OnError(file, e);
}

void Reporter::Count(const ferry::Error& e) {
  std::lock_guard<std::mutex> lock(mu_);
  if (e.retryable) {
    ++retryable_;
  } else {
    ++refused_;
  }
}

int Reporter::ExitStatus(int signal) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (signal != 0) return 128 + signal;
  if (refused_ > 0) return kExitRefused;
  if (retryable_ > 0) return kExitRetryable;
  return kExitOk;
}

}  // namespace ferry_cli
