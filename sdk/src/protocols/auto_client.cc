// SPDX-License-Identifier: Apache-2.0
// protocol auto: the endpoint's OPTIONS answer picks tus 1.0 (Tus-Version
// lists 1.0.0) or the IETF draft (Accept-Patch lists
// application/partial-upload); tus when it offers both, as the published
// protocol. The choice is made once per client, on the first upload (or
// ferry-doctor's probe); an endpoint that does not answer is left to tus,
// whose discovery then explains the refusal, and asked again next time.
#include <memory>
#include <string>

#include "http/url.h"
#include "protocols/append/append_transfer.h"
#include "protocols/ietf/ietf_discovery.h"
#include "protocols/protocol_client.h"
#include "sync/mutex.h"

namespace ferry::internal {
namespace {

class AutoClient : public ProtocolClient {
 public:
  AutoClient(const ClientConfig& config, HttpClient* http,
             std::unique_ptr<ProtocolClient> tus,
             std::unique_ptr<ProtocolClient> ietf)
      : config_(config),
        http_(http),
        tus_(std::move(tus)),
        ietf_(std::move(ietf)) {}

  std::unique_ptr<Transfer> NewTransfer() override {
    return Chosen().NewTransfer();
  }

  uint64_t PerUploadMemory(uint64_t file_size) const override {
    return AppendUploadMemory(config_, file_size);
  }

  void Probe(DoctorReport* report) override {
    ProtocolClient& chosen = Chosen();
    report->Ok("protocol", &chosen == ietf_.get()
                               ? "auto: the IETF resumable-upload draft "
                                 "(the endpoint does not offer tus 1.0)"
                               : "auto: tus 1.0");
    chosen.Probe(report);
  }

  bool OwnsEntry(const JournalRecord& record) const override {
    return tus_->OwnsEntry(record) || ietf_->OwnsEntry(record);
  }

  Status DiscardSaved(const JournalRecord& record) override {
    return (record.protocol == "ietf" ? ietf_ : tus_)->DiscardSaved(record);
  }

 private:
  ProtocolClient& Chosen() {
    MutexLock lock(&mu_);
    if (chosen_ != nullptr) return *chosen_;
    HttpRequest req;
    req.method = "OPTIONS";
    req.url = config_.endpoint;
    req.headers = config_.headers;
    HttpOutcome out = http_->Perform(req);
    if (!out.ok || out.response.status < 200 || out.response.status >= 300) {
      return *tus_;
    }
    std::string versions = out.response.Header("tus-version").value_or("");
    bool tus = false;
    for (const std::string& v : ParseHeaderList(versions)) {
      if (v == "1.0.0") tus = true;
    }
    chosen_ =
        !tus && ietf::OffersDraft(out.response) ? ietf_.get() : tus_.get();
    return *chosen_;
  }

  const ClientConfig& config_;
  HttpClient* http_;
  std::unique_ptr<ProtocolClient> tus_;
  std::unique_ptr<ProtocolClient> ietf_;
  Mutex mu_;
  ProtocolClient* chosen_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace

Result<std::unique_ptr<ProtocolClient>> NewAutoClient(
    const ClientConfig& config, HttpClient* http) {
  Result<std::unique_ptr<ProtocolClient>> tus = NewTusClient(config, http);
  if (!tus.ok()) return tus.error();
  Result<std::unique_ptr<ProtocolClient>> ietf = NewIetfClient(config, http);
  if (!ietf.ok()) return ietf.error();
  return std::unique_ptr<ProtocolClient>(new AutoClient(
      config, http, std::move(tus.value()), std::move(ietf.value())));
}

}  // namespace ferry::internal
