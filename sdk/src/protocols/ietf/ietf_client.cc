// SPDX-License-Identifier: Apache-2.0
// The IETF draft's client-wide half: the IetfProtocol all uploads of a
// client share (its OPTIONS asked once, its interop version negotiated
// once), an AppendTransfer per upload, and ferry-doctor's checks: the
// endpoint's answer to OPTIONS, the interop versions it speaks, and a
// 1-byte upload removed again.
#include <memory>
#include <string>

#include "errors/classify.h"
#include "http/url.h"
#include "protocols/append/append_client.h"
#include "protocols/ietf/ietf_probe.h"
#include "protocols/ietf/ietf_protocol.h"
#include "protocols/protocol_client.h"

namespace ferry::internal {
namespace {

class IetfClient : public AppendClient {
 public:
  IetfClient(const ClientConfig& config, HttpClient* http)
      : AppendClient(config, http),
        ietf_(
            http, config.endpoint, config.headers,
            ClassifyOptions{&config.rules, config.max_clock_skew_ms, nullptr}) {
  }

  void Probe(DoctorReport* report) override {
    Result<AppendCapabilities> caps = ietf_.CachedCapabilities();
    if (!caps.ok()) {
      report->Fail("server", "not a usable IETF resumable-upload endpoint",
                   caps.error());
      return;
    }
    const AppendLimits& limits = caps.value().limits;
    std::string detail = "IETF resumable-upload draft; ";
    detail += limits.max_size >= 0
                  ? "max size " + std::to_string(limits.max_size) + " bytes"
                  : "no announced max size";
    if (limits.max_append_size > 0) {
      detail += "; appends up to " + std::to_string(limits.max_append_size);
    }
    if (!caps.value().checksum_algorithm.empty()) {
      detail += "; wants Content-Digest sha-256";
    }
    std::string tus = ietf_.tus_version_said();
    if (tus.empty()) {
      report->Ok("server", detail);
    } else {
      report->Warn("server",
                   "OPTIONS announces tus 1.0 (Tus-Version: " + tus +
                       ") and not the draft; the probe upload below tells",
                   MakeError(FERRY_ERR_PROTOCOL_UNSUPPORTED,
                             "the endpoint does not announce the IETF "
                             "resumable-upload draft"));
    }
    ietf::ProbeDraft(http_, config_, report);
    CheckUpload(report);
  }

 protected:
  AppendWire& wire() override { return ietf_; }
  const AppendWire& wire() const override { return ietf_; }

 private:
  void CheckUpload(DoctorReport* report) {
    CreateParams p;
    p.length = 1;
    p.metadata = {{"filename", "ferry-doctor-probe"}};
    static const char kByte[] = "f";
    p.first_bytes = std::string_view(kByte, 1);
    uint64_t wire_bytes = 0;
    Result<CreateResult> created = ietf_.Create(p, nullptr, &wire_bytes);
    if (!ReportProbeCreation(created, report)) return;
    std::string cleanup = ietf_.Terminate(created.value().url).ok()
                              ? "; removed again"
                              : "; could not remove the probe";
    report->Ok("upload", "a 1-byte upload succeeded (interop version " +
                             std::to_string(ietf_.interop_version()) + ")" +
                             cleanup);
  }

  IetfProtocol ietf_;
};

}  // namespace

bool IetfManagesHeader(std::string_view lower_name) {
  for (const char* managed :
       {"upload-offset", "upload-length", "upload-complete",
        "upload-draft-interop-version", "content-type", "content-disposition",
        "content-encoding", "content-digest", "repr-digest",
        "want-repr-digest"}) {
    if (lower_name == managed) return true;
  }
  return false;
}

Result<std::unique_ptr<ProtocolClient>> NewIetfClient(
    const ClientConfig& config, HttpClient* http) {
  return std::unique_ptr<ProtocolClient>(new IetfClient(config, http));
}

}  // namespace ferry::internal
