// SPDX-License-Identifier: Apache-2.0
#include "pending_commands.h"

#include <iostream>

namespace ferry_cli {
namespace {

nlohmann::json PendingJson(const ferry::PendingUpload& p) {
  nlohmann::json j = {
      {"event", "pending"},       {"id", p.id},
      {"path", p.path},           {"name", p.name},
      {"endpoint", p.endpoint},   {"protocol", p.protocol},
      {"size", p.size},           {"bytes_on_server", p.bytes_on_server},
      {"expires", p.expires},     {"created_unix", p.created_unix},
      {"resumable", p.resumable}, {"last_error", nullptr}};
  if (p.last_error) {
    j["last_error"] = {{"code", p.last_error->code_name},
                       {"message", p.last_error->message}};
  }
  return j;
}

void PrintPendingText(const ferry::PendingUpload& p) {
  std::cout << p.id << "  "
            << (p.path.empty() ? "(stream " + p.name + ")" : p.path) << "\n  "
            << p.protocol << " " << p.endpoint << ", "
            << ProgressDisplay::HumanBytes(double(p.bytes_on_server)) << " of "
            << ProgressDisplay::HumanBytes(double(p.size)) << " on the server"
            << (p.expires.empty() ? "" : ", expires " + p.expires)
            << (p.resumable ? "" : ", cannot be resumed (a stream)") << "\n";
  if (p.last_error) {
    std::cout << "  last error: " << p.last_error->code_name << ": "
              << p.last_error->message << "\n";
  }
}

}  // namespace

int ListPending(ferry::Client& client, OutputFormat format) {
  std::vector<ferry::PendingUpload> list = client.Pending();
  for (const ferry::PendingUpload& p : list) {
    if (format == OutputFormat::kJson) {
      PrintJsonLine(PendingJson(p));
    } else {
      PrintPendingText(p);
    }
  }
  if (format == OutputFormat::kText && list.empty()) {
    std::cout << "no unfinished uploads\n";
  }
  return kExitOk;
}

int ForgetPending(ferry::Client& client, const std::vector<std::string>& ids,
                  bool discard_remote, Reporter* reporter) {
  for (const std::string& id : ids) {
    std::optional<ferry::Error> e = client.Forget(id, discard_remote);
    if (e) {
      reporter->OnError(id, *e, {{"id", id}});
    } else if (reporter->json()) {
      PrintJsonLine({{"event", "forgotten"}, {"id", id}});
    } else {
      std::cout << id << ": forgotten"
                << (discard_remote ? " (server copy removed)" : "") << "\n";
    }
  }
  return reporter->ExitStatus(0);
}

void AddResumablePending(ferry::Client& client, Reporter* reporter,
                         std::vector<UploadItem>* items) {
  for (const ferry::PendingUpload& p : client.Pending()) {
    if (p.resumable) {
      items->push_back({p.path, ""});
      continue;
    }
    ferry::Error e =
        ferry::Error::FromC(nullptr, FERRY_ERR_SOURCE_NOT_RESUMABLE);
    e.message = "pending upload " + p.id + " (" +
                (p.name.empty() ? "a stream" : p.name) +
                ") was read from a stream, which cannot be read again: "
                "upload the data again, and --forget " +
                p.id + " --discard-remote to remove the server's partial copy";
    e.json.clear();  // the message changed: the reporter rebuilds the JSON
    reporter->OnError(p.name.empty() ? "(stream)" : p.name, e,
                      {{"pending_id", p.id}});
  }
}

}  // namespace ferry_cli
