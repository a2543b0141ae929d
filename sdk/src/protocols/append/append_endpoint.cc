// SPDX-License-Identifier: Apache-2.0
#include "protocols/append/append_endpoint.h"

#include <utility>
#include <vector>

#include "http/url.h"

namespace ferry::internal {

AppendEndpoint::AppendEndpoint(HttpClient* http, std::string endpoint,
                               HeaderList headers, ClassifyOptions classify)
    : http_(http),
      endpoint_(std::move(endpoint)),
      classify_(std::move(classify)),
      headers_(std::move(headers)) {}

HttpRequest AppendEndpoint::NewRequest(std::string method,
                                       std::string url) const {
  HttpRequest req;
  req.method = std::move(method);
  req.url = std::move(url);
  MutexLock lock(&mu_);
  req.headers = headers_;
  return req;
}

void AppendEndpoint::SetHeader(const std::string& name,
                               const std::string& value) {
  MutexLock lock(&mu_);
  ReplaceHeader(&headers_, name, value);
}

Status AppendEndpoint::CheckUploadUrl(const std::string& url) const {
  auto origin = UrlOrigin(url);
  if (!origin) {
    return MakeError(FERRY_ERR_UNEXPECTED_RESPONSE,
                     "the server gave an upload URL that does not parse");
  }
  if (!http_->OriginAllowed(endpoint_, url)) {
    Error e =
        MakeError(FERRY_ERR_REDIRECT_REFUSED,
                  "the server placed the upload on another origin (" + *origin +
                      "); ferry does not send your credentials there");
    e.url = RedactUrl(url);
    return e;
  }
  return OkStatus();
}

Error AppendEndpoint::Classify(const HttpResponse& r, RequestKind kind,
                               const std::string& url) const {
  Error e = ClassifyResponse(r, kind, RedactUrl(url), classify_);
  std::vector<std::string> secrets = SecretsOf(url);
  for (std::string& s : SecretsOf(endpoint_)) secrets.push_back(std::move(s));
  {
    MutexLock lock(&mu_);
    for (std::string& s : SecretsOf(headers_)) secrets.push_back(std::move(s));
  }
  ScrubSecrets(secrets, &e);
  return e;
}

}  // namespace ferry::internal
