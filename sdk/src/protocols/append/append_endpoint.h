// SPDX-License-Identifier: Apache-2.0
// What an append protocol's wire (tus, the IETF draft) keeps of its
// endpoint: the app's headers for every request (replaceable while
// uploads run), the rule that upload URLs stay on the endpoint's origin,
// and the classification of refusals with the request's secrets scrubbed.
#ifndef FERRY_SDK_SRC_PROTOCOLS_APPEND_APPEND_ENDPOINT_H_
#define FERRY_SDK_SRC_PROTOCOLS_APPEND_APPEND_ENDPOINT_H_

#include <string>

#include "errors/classify.h"
#include "http/http_client.h"
#include "sync/mutex.h"

namespace ferry::internal {

class AppendEndpoint {
 public:
  // `http` must outlive this. `headers`: the app's, sent with every request.
  AppendEndpoint(HttpClient* http, std::string endpoint, HeaderList headers,
                 ClassifyOptions classify);

  HttpClient* http() const { return http_; }
  const std::string& url() const { return endpoint_; }

  // A request with the app's headers. Thread-safe.
  HttpRequest NewRequest(std::string method, std::string url) const;
  // Replaces (or adds) a header for every later request. Thread-safe.
  void SetHeader(const std::string& name, const std::string& value);

  // unexpected_response unless `url` parses; redirect_refused unless it is
  // on the endpoint's origin (or one the app allowlisted): credentials go
  // nowhere else.
  Status CheckUploadUrl(const std::string& url) const;
  // A refusal to a request to `url`, typed, with the URL's, the endpoint's
  // and the headers' secrets removed from every text.
  Error Classify(const HttpResponse& r, RequestKind kind,
                 const std::string& url) const;

 private:
  HttpClient* http_;
  std::string endpoint_;
  ClassifyOptions classify_;
  mutable Mutex mu_;
  HeaderList headers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_PROTOCOLS_APPEND_APPEND_ENDPOINT_H_
