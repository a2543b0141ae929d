// SPDX-License-Identifier: Apache-2.0
// The client-wide half that tus and the IETF draft share: an
// AppendTransfer per upload over the protocol's wire, the memory one
// upload holds, the journal entries that are this client's, removing a
// saved upload, and the doctor's 1-byte probe upload. Each protocol adds
// its wire and the rest of its probe.
#ifndef FERRY_SDK_SRC_PROTOCOLS_APPEND_APPEND_CLIENT_H_
#define FERRY_SDK_SRC_PROTOCOLS_APPEND_APPEND_CLIENT_H_

#include <memory>
#include <string>

#include "protocols/append/append_wire.h"
#include "protocols/protocol_client.h"

namespace ferry::internal {

class AppendClient : public ProtocolClient {
 public:
  // `config` and `http` must outlive this.
  AppendClient(const ClientConfig& config, HttpClient* http)
      : config_(config), http_(http) {}

  std::unique_ptr<Transfer> NewTransfer() override;
  uint64_t PerUploadMemory(uint64_t file_size) const override;
  // Entries of this protocol and endpoint.
  bool OwnsEntry(const JournalRecord& record) const override;
  // Only an upload URL the client would follow: an entry cannot send
  // credentials elsewhere.
  Status DiscardSaved(const JournalRecord& record) override;

 protected:
  virtual AppendWire& wire() = 0;
  virtual const AppendWire& wire() const = 0;

  // The doctor's "auth" and "upload" checks from a 1-byte creation's
  // outcome; false (after reporting why) when it failed.
  bool ReportProbeCreation(const Result<CreateResult>& created,
                           DoctorReport* report) const;

  const ClientConfig& config_;
  HttpClient* http_;
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_PROTOCOLS_APPEND_APPEND_CLIENT_H_
