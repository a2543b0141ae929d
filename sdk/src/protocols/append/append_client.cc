// SPDX-License-Identifier: Apache-2.0
#include "protocols/append/append_client.h"

#include "http/url.h"
#include "protocols/append/append_transfer.h"

namespace ferry::internal {

std::unique_ptr<Transfer> AppendClient::NewTransfer() {
  return std::make_unique<AppendTransfer>(&wire(), config_.compress_level);
}

uint64_t AppendClient::PerUploadMemory(uint64_t file_size) const {
  return AppendUploadMemory(config_, file_size);
}

bool AppendClient::OwnsEntry(const JournalRecord& record) const {
  return record.protocol == wire().Name() &&
         record.endpoint == RedactUrl(config_.endpoint);
}

Status AppendClient::DiscardSaved(const JournalRecord& record) {
  Status allowed = wire().CheckUploadUrl(record.upload_url);
  if (!allowed.ok()) return allowed;
  return wire().Terminate(record.upload_url);
}

bool AppendClient::ReportProbeCreation(const Result<CreateResult>& created,
                                       DoctorReport* report) const {
  if (!created.ok()) {
    const Error& e = created.error();
    bool auth = e.category == FERRY_CATEGORY_AUTH;
    report->Fail(auth ? "auth" : "upload",
                 auth ? "the server refused these credentials"
                      : "the server refused a 1-byte upload",
                 e);
    return false;
  }
  report->Ok("auth", config_.headers.empty() ? "no credentials needed to create"
                                             : "credentials accepted");
  return true;
}

}  // namespace ferry::internal
