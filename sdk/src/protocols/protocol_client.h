// SPDX-License-Identifier: Apache-2.0
// The client-wide half of a protocol: what all uploads of one client share
// (the wire protocol object with its discovery cache and credentials), a
// Transfer for each upload, the memory one upload may hold, and the
// protocol's checks for ferry-doctor.
#ifndef FERRY_SDK_SRC_PROTOCOLS_PROTOCOL_CLIENT_H_
#define FERRY_SDK_SRC_PROTOCOLS_PROTOCOL_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string_view>

#include "client/client_types.h"
#include "doctor/doctor_report.h"
#include "errors/error.h"
#include "http/http_client.h"
#include "protocols/transfer.h"

namespace ferry::internal {

class ProtocolClient {
 public:
  virtual ~ProtocolClient() = default;
  // A transfer for one upload. Thread-safe.
  virtual std::unique_ptr<Transfer> NewTransfer() = 0;
  // Buffers one upload of a `file_size` file may hold at once.
  virtual uint64_t PerUploadMemory(uint64_t file_size) const = 0;
  // The protocol's checks, after DNS, TCP and TLS passed: capabilities,
  // the server's clock, credentials, a tiny upload that is removed again.
  virtual void Probe(DoctorReport* report) = 0;

  // Whether a journal entry belongs to uploads of this client (protocol,
  // endpoint, bucket): the list of unfinished uploads shows those.
  virtual bool OwnsEntry(const JournalRecord& record) const = 0;
  // Removes the server-side upload of a saved entry (tus termination, S3
  // abort). One attempt. Errors: as the request's.
  virtual Status DiscardSaved(const JournalRecord& record) = 0;
};

// The one place that knows every protocol: config.protocol's client.
// `config` and `http` must outlive it. Errors: invalid_argument.
Result<std::unique_ptr<ProtocolClient>> NewProtocolClient(
    const ClientConfig& config, HttpClient* http);

// ferry-doctor's checks of other protocols the endpoint may speak besides
// config.protocol (a tus endpoint: the IETF resumable-upload draft).
void ProbeOtherProtocols(const ClientConfig& config, HttpClient* http,
                         DoctorReport* report);

// Whether `protocol` sets the header `name` itself (any case), so the app
// may not: framing, offsets, signatures.
bool ProtocolManagesHeader(ferry_protocol protocol, std::string_view name);

// One per protocol folder.
Result<std::unique_ptr<ProtocolClient>> NewTusClient(const ClientConfig& config,
                                                     HttpClient* http);
Result<std::unique_ptr<ProtocolClient>> NewS3Client(const ClientConfig& config,
                                                    HttpClient* http);
Result<std::unique_ptr<ProtocolClient>> NewIetfClient(
    const ClientConfig& config, HttpClient* http);
// protocol auto: tus or the IETF draft, as the endpoint's OPTIONS says.
Result<std::unique_ptr<ProtocolClient>> NewAutoClient(
    const ClientConfig& config, HttpClient* http);
bool TusManagesHeader(std::string_view lower_name);
bool S3ManagesHeader(std::string_view lower_name);
bool IetfManagesHeader(std::string_view lower_name);

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_PROTOCOLS_PROTOCOL_CLIENT_H_
