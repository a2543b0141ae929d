// SPDX-License-Identifier: Apache-2.0
#include "protocols/ietf/ietf_probe.h"

#include <optional>
#include <string>
#include <vector>

#include "errors/classify.h"
#include "http/url.h"
#include "protocols/ietf/ietf_discovery.h"
#include "protocols/ietf/ietf_headers.h"

namespace ferry::internal::ietf {
namespace {

HttpRequest DraftRequest(const ClientConfig& config, const char* method,
                         std::string url, int version) {
  HttpRequest req;
  req.method = method;
  req.url = std::move(url);
  req.headers = config.headers;
  req.headers.emplace_back("Upload-Draft-Interop-Version",
                           std::to_string(version));
  return req;
}

// Whether the server created an upload when asked in interop `version`
// (then cancelled again); *limits gets the creation answer's Upload-Limit.
Result<bool> TryVersion(HttpClient* http, const ClientConfig& config,
                        int version, std::optional<UploadLimits>* limits) {
  HttpRequest create = DraftRequest(config, "POST", config.endpoint, version);
  create.headers.emplace_back("Upload-Complete", "?0");
  HttpOutcome out = http->Perform(create);
  std::string redacted = RedactUrl(config.endpoint);
  if (!out.ok) return ClassifyTransport(out.transport, redacted);
  const HttpResponse& r = out.response;
  if (r.status >= 500) {
    return ClassifyResponse(r, RequestKind::kCreate, redacted);
  }
  std::optional<std::string> location = r.Header("location");
  if (r.status < 200 || r.status >= 300 || !location) return false;
  if (auto field = r.Header("upload-limit")) {
    if (auto parsed = ParseUploadLimit(*field)) *limits = parsed;
  }
  std::optional<std::string> url = ResolveUrl(config.endpoint, *location);
  if (!url || !http->OriginAllowed(config.endpoint, *url)) {
    Error e = MakeError(FERRY_ERR_REDIRECT_REFUSED,
                        "the server placed the probe upload on another "
                        "origin; ferry neither follows nor removes it");
    e.url = RedactUrl(url.value_or(*location));
    return e;
  }
  http->Perform(DraftRequest(config, "DELETE", *url, version));
  return true;
}

}  // namespace

void ProbeDraft(HttpClient* http, const ClientConfig& config,
                DoctorReport* report) {
  HttpRequest options;
  options.method = "OPTIONS";
  options.url = config.endpoint;
  options.headers = config.headers;
  HttpOutcome out = http->Perform(options);
  if (!out.ok || !OffersDraft(out.response)) {
    report->Skip("draft",
                 "no IETF resumable-upload draft announced (Accept-Patch "
                 "without application/partial-upload)");
    return;
  }
  std::optional<UploadLimits> limits;
  if (auto field = out.response.Header("upload-limit")) {
    limits = ParseUploadLimit(*field);
  }
  std::vector<int> spoken;
  for (int version : kInteropVersions) {
    Result<bool> tried = TryVersion(http, config, version, &limits);
    if (!tried.ok()) {
      report->Warn("draft",
                   "the IETF resumable-upload draft is announced, but "
                   "probing interop version " +
                       std::to_string(version) + " failed",
                   tried.error());
      return;
    }
    if (tried.value()) spoken.push_back(version);
  }
  if (spoken.empty()) {
    report->Warn("draft",
                 "the IETF resumable-upload draft is announced, but no "
                 "interop version ferry knows (5 to 8) created an upload",
                 MakeError(FERRY_ERR_PROTOCOL_UNSUPPORTED,
                           "no known interop version of the IETF draft"));
    return;
  }
  std::string versions;
  for (int v : spoken) {
    versions += (versions.empty() ? "" : ", ") + std::to_string(v);
  }
  report->Ok("draft",
             "IETF resumable-upload draft, interop version" +
                 std::string(spoken.size() > 1 ? "s " : " ") + versions +
                 "; limits: " + (limits ? limits->ToString() : "none") +
                 "; ferry uploads with it (protocol ietf, or auto)");
}

}  // namespace ferry::internal::ietf
