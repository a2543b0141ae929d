// SPDX-License-Identifier: Apache-2.0
// tus's client-wide half: the TusProtocol all uploads of a client share
// (its discovery is asked once; an AppendTransfer per upload), and the probe
// ferry-doctor runs: OPTIONS (capabilities, the server's clock), then a
// 1-byte upload removed again (credentials).
#include <memory>
#include <string>

#include "errors/classify.h"
#include "http/http_client.h"
#include "http/url.h"
#include "protocols/append/append_client.h"
#include "protocols/protocol_client.h"
#include "protocols/tus/tus_protocol.h"

namespace ferry::internal {
namespace {

class TusClient : public AppendClient {
 public:
  TusClient(const ClientConfig& config, HttpClient* http)
      : AppendClient(config, http),
        tus_(
            http, config.endpoint, config.headers,
            ClassifyOptions{&config.rules, config.max_clock_skew_ms, nullptr}) {
  }

  void Probe(DoctorReport* report) override {
    if (CheckServer(report)) CheckUpload(report);
  }

 protected:
  AppendWire& wire() override { return tus_; }
  const AppendWire& wire() const override { return tus_; }

 private:
  bool CheckServer(DoctorReport* report) {
    HttpRequest req;
    req.method = "OPTIONS";
    req.url = config_.endpoint;
    req.headers = config_.headers;
    req.headers.emplace_back("Tus-Resumable", "1.0.0");
    HttpOutcome out = http_->Perform(req);
    std::string redacted = RedactUrl(config_.endpoint);
    if (!out.ok) {
      report->Fail("server", "no answer to OPTIONS",
                   ClassifyTransport(out.transport, redacted));
      return false;
    }
    const HttpResponse& r = out.response;
    ReportClockSkew(r, config_.max_clock_skew_ms, report);
    if (r.status != 200 && r.status != 204) {
      report->Fail("server",
                   "OPTIONS answered HTTP " + std::to_string(r.status),
                   ClassifyResponse(
                       r, RequestKind::kDiscover, redacted,
                       ClassifyOptions{&config_.rules,
                                       config_.max_clock_skew_ms, nullptr}));
      return false;
    }
    Result<ServerCapabilities> caps = tus_.Discover();
    if (!caps.ok()) {
      report->Fail("server", "not a usable tus 1.0 endpoint", caps.error());
      return false;
    }
    std::string detail = "tus 1.0.0; extensions:";
    for (const auto& e : caps.value().extensions) detail += " " + e;
    if (!caps.value().checksum_algorithms.empty()) {
      detail += "; checksums:";
      for (const auto& a : caps.value().checksum_algorithms) detail += " " + a;
    }
    detail +=
        caps.value().max_size >= 0
            ? "; max size " + std::to_string(caps.value().max_size) + " bytes"
            : "; no announced max size";
    if (caps.value().ietf_draft) {
      detail += "; also the IETF resumable-upload draft (Accept-Patch)";
    }
    report->Ok("server", detail);
    probe_caps_ = caps.value();
    return true;
  }

  void CheckUpload(DoctorReport* report) {
    CreateParams p;
    p.length = 1;
    p.metadata = {{"filename", "ferry-doctor-probe"}};
    static const char kByte[] = "f";
    if (probe_caps_.Has("creation-with-upload"))
      p.first_bytes = std::string_view(kByte, 1);
    uint64_t wire_bytes = 0;
    Result<CreateResult> created = tus_.Create(p, nullptr, &wire_bytes);
    if (!ReportProbeCreation(created, report)) return;
    if (created.value().offset < 1) {
      Result<SendResult> sent =
          tus_.Send(created.value().url, 0, std::string_view(kByte, 1), "", {},
                    nullptr, &wire_bytes);
      if (!sent.ok()) {
        report->Fail("upload", "a 1-byte PATCH failed", sent.error());
        return;
      }
    }
    std::string cleanup = "; removed again";
    if (!probe_caps_.Has("termination") ||
        !tus_.Terminate(created.value().url).ok()) {
      cleanup = "; could not remove the probe (no termination)";
    }
    report->Ok("upload", "a 1-byte upload succeeded" + cleanup);
  }

  TusProtocol tus_;
  ServerCapabilities probe_caps_;
};

}  // namespace

bool TusManagesHeader(std::string_view lower_name) {
  for (const char* managed :
       {"upload-offset", "upload-length", "upload-metadata", "tus-resumable",
        "content-type", "upload-checksum", "upload-defer-length"}) {
    if (lower_name == managed) return true;
  }
  return false;
}

Result<std::unique_ptr<ProtocolClient>> NewTusClient(const ClientConfig& config,
                                                     HttpClient* http) {
  return std::unique_ptr<ProtocolClient>(new TusClient(config, http));
}

}  // namespace ferry::internal
