// SPDX-License-Identifier: Apache-2.0
#include <string>

#include "absl/strings/ascii.h"
#include "protocols/ietf/ietf_probe.h"
#include "protocols/protocol_client.h"

namespace ferry::internal {

void ProbeOtherProtocols(const ClientConfig& config, HttpClient* http,
                         DoctorReport* report) {
  if (config.protocol == FERRY_PROTOCOL_TUS) {
    ietf::ProbeDraft(http, config, report);
  }
}

bool ProtocolManagesHeader(ferry_protocol protocol, std::string_view name) {
  std::string lower = absl::AsciiStrToLower(std::string(name));
  // Framing is libcurl's whatever the protocol.
  for (const char* framing :
       {"content-length", "host", "transfer-encoding", "expect"}) {
    if (lower == framing) return true;
  }
  switch (protocol) {
    case FERRY_PROTOCOL_TUS:
      return TusManagesHeader(lower);
    case FERRY_PROTOCOL_S3:
      return S3ManagesHeader(lower);
    case FERRY_PROTOCOL_IETF:
      return IetfManagesHeader(lower);
    case FERRY_PROTOCOL_AUTO:
      return TusManagesHeader(lower) || IetfManagesHeader(lower);
  }
  return false;
}

Result<std::unique_ptr<ProtocolClient>> NewProtocolClient(
    const ClientConfig& config, HttpClient* http) {
  switch (config.protocol) {
    case FERRY_PROTOCOL_TUS:
      return NewTusClient(config, http);
    case FERRY_PROTOCOL_S3:
      return NewS3Client(config, http);
    case FERRY_PROTOCOL_IETF:
      return NewIetfClient(config, http);
    case FERRY_PROTOCOL_AUTO:
      return NewAutoClient(config, http);
  }
  return MakeError(FERRY_ERR_INVALID_ARGUMENT, "unknown protocol");
}

}  // namespace ferry::internal
