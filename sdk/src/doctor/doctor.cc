// SPDX-License-Identifier: Apache-2.0
#include "doctor/doctor.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "errors/classify.h"
#include "http/url.h"
#include "protocols/protocol_client.h"

namespace ferry::internal {
namespace {

struct UrlParts {
  std::string scheme, host;
  long port = 0;  // NOLINT(runtime/int)
};

std::optional<UrlParts> Split(const std::string& url) {
  CURLU* h = curl_url();
  if (h == nullptr) return std::nullopt;
  UrlParts p;
  char *scheme = nullptr, *host = nullptr, *port = nullptr;
  bool ok =
      curl_url_set(h, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
      curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      curl_url_get(h, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK;
  if (ok) {
    p.scheme = scheme;
    p.host = host;
    p.port = std::strtol(port, nullptr, 10);
  }
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(h);
  if (!ok) return std::nullopt;
  return p;
}

// The negotiated TLS version, recorded by OpenSSL's info callback (libcurl
// 7.88 gives no SSL* after a connect-only transfer).
thread_local std::string g_tls_version;

void OnTlsInfo(const SSL* ssl, int where, int /*ret*/) {
  if (where & SSL_CB_HANDSHAKE_DONE) g_tls_version = SSL_get_version(ssl);
}

CURLcode OnSslContext(CURL* /*h*/, void* ctx, void* /*user*/) {
  SSL_CTX_set_info_callback(static_cast<SSL_CTX*>(ctx), OnTlsInfo);
  return CURLE_OK;
}

// Connects (TCP, and TLS for https) without sending a request.
struct Connected {
  bool ok = false;
  TransportError failure;
  std::string tls_version;
  std::string cert_subject, cert_issuer, cert_expires;
};

Connected Connect(const std::string& url, const HttpOptions& o, bool tls) {
  Connected out;
  CURL* h = curl_easy_init();
  if (h == nullptr) return out;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(o.connect_timeout_ms));  // NOLINT
  if (tls) {
    g_tls_version.clear();
    curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, OnSslContext);
    curl_easy_setopt(h, CURLOPT_CERTINFO, 1L);
    if (!o.ca_file.empty()) {
      curl_easy_setopt(h, CURLOPT_CAINFO, o.ca_file.c_str());
    }
    if (o.insecure_skip_tls_verify) {
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
  }
  CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OK) {
    out.ok = true;
    if (tls) {
      out.tls_version = g_tls_version;
      struct curl_certinfo* certs = nullptr;
      if (curl_easy_getinfo(h, CURLINFO_CERTINFO, &certs) == CURLE_OK &&
          certs != nullptr && certs->num_of_certs > 0) {
        for (curl_slist* s = certs->certinfo[0]; s != nullptr; s = s->next) {
          std::string line = s->data;
          auto take = [&](const char* key, std::string* to) {
            std::string k = std::string(key) + ":";
            if (line.rfind(k, 0) == 0) *to = line.substr(k.size());
          };
          take("Subject", &out.cert_subject);
          take("Issuer", &out.cert_issuer);
          take("Expire date", &out.cert_expires);
        }
      }
    }
  } else {
    out.failure.curl_code = rc;
    curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &out.failure.os_errno);
    curl_easy_getinfo(h, CURLINFO_SSL_VERIFYRESULT,
                      &out.failure.ssl_verify_result);
    out.failure.detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
  }
  curl_easy_cleanup(h);
  return out;
}

class Doctor {
 public:
  explicit Doctor(const ClientConfig& c) : config_(c) {}

  DoctorReport Run() {
    std::string redacted = RedactUrl(config_.endpoint);
    auto parts = Split(config_.endpoint);
    if (!parts || (parts->scheme != "http" && parts->scheme != "https")) {
      report_.Fail(
          "url", "the endpoint is not an http(s) URL",
          MakeError(FERRY_ERR_INVALID_ARGUMENT,
                    "the endpoint is not an http(s) URL: " + redacted));
      return Finish();
    }
    bool tls = parts->scheme == "https";
    if (!CheckDns(*parts)) return Finish();
    std::string plain =
        "http://" + Bracketed(parts->host) + ":" + std::to_string(parts->port);
    Connected tcp = Connect(plain, config_.http, false);
    if (!tcp.ok) {
      report_.Fail("tcp",
                   "cannot connect to port " + std::to_string(parts->port),
                   ClassifyTransport(tcp.failure, redacted));
      return Finish();
    }
    report_.Ok("tcp", "connected to " + parts->host + ":" +
                          std::to_string(parts->port));
    if (tls) {
      Connected t = Connect(config_.endpoint, config_.http, true);
      if (!t.ok) {
        report_.Fail("tls", "the TLS connection cannot be trusted or set up",
                     ClassifyTransport(t.failure, redacted));
        return Finish();
      }
      std::string detail = (t.tls_version.empty() ? "TLS" : t.tls_version) +
                           ", certificate for " + t.cert_subject +
                           " issued by " + t.cert_issuer + ", expires " +
                           t.cert_expires;
      if (config_.http.insecure_skip_tls_verify) {
        report_.Warn("tls",
                     detail + " (NOT VERIFIED: verification is turned off)",
                     MakeError(FERRY_ERR_CERTIFICATE_UNTRUSTED,
                               "TLS verification is turned off"));
      } else {
        time_t expires = curl_getdate(t.cert_expires.c_str(), nullptr);
        if (expires > 0 && expires - time(nullptr) < 14 * 86400) {
          report_.Warn("tls", detail + " (expires within 14 days)",
                       MakeError(FERRY_ERR_CERTIFICATE_EXPIRED,
                                 "the server's certificate expires soon: " +
                                     t.cert_expires));
        } else {
          report_.Ok("tls", detail);
        }
      }
    } else {
      report_.Skip("tls", "plain http: nothing is encrypted");
    }
    // The protocol's own checks: capabilities, clock, credentials, a tiny
    // upload.
    HttpClient http(config_.http);
    auto client = NewProtocolClient(config_, &http);
    if (!client.ok()) {
      report_.Fail("server", "the configuration is not usable", client.error());
      return Finish();
    }
    client.value()->Probe(&report_);
    // What else the endpoint speaks (a tus endpoint: the IETF draft).
    ProbeOtherProtocols(config_, &http, &report_);
    return Finish();
  }

 private:
  static std::string Bracketed(const std::string& host) {
    return host.find(':') != std::string::npos && host.front() != '['
               ? "[" + host + "]"
               : host;
  }

  bool CheckDns(const UrlParts& p) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    std::string host = p.host;
    if (!host.empty() && host.front() == '[') {
      host = host.substr(1, host.size() - 2);
    }
    int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
    if (rc != 0) {
      Error e = MakeError(FERRY_ERR_DNS_FAILURE,
                          "cannot resolve " + host + ": " + gai_strerror(rc));
      e.url = RedactUrl(config_.endpoint);
      report_.Fail("dns", "the server's name does not resolve", e);
      return false;
    }
    char addr[INET6_ADDRSTRLEN] = "?";
    if (res->ai_family == AF_INET) {
      inet_ntop(AF_INET,
                &reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr, addr,
                sizeof addr);
    } else if (res->ai_family == AF_INET6) {
      inet_ntop(AF_INET6,
                &reinterpret_cast<sockaddr_in6*>(res->ai_addr)->sin6_addr, addr,
                sizeof addr);
    }
    freeaddrinfo(res);
    report_.Ok("dns", host + " resolves to " + addr);
    return true;
  }

  DoctorReport Finish() { return std::move(report_); }

  const ClientConfig& config_;
  DoctorReport report_;
};

}  // namespace

DoctorReport RunDoctor(const ClientConfig& config) {
  return Doctor(config).Run();
}

void ReportClockSkew(const HttpResponse& r, int64_t max_skew_ms,
                     DoctorReport* report) {
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  if (auto skew = MeasureClockSkewMs(r, now_ms)) {
    std::string text = std::to_string(*skew / 1000) + " s";
    if (std::llabs(*skew) > max_skew_ms) {
      Error e =
          MakeError(FERRY_ERR_CLOCK_SKEW,
                    "the server's clock differs from this device's by " + text +
                        " (more than " + std::to_string(max_skew_ms / 1000) +
                        " s): signed requests and tokens may be refused");
      e.clock_skew_ms = *skew;
      report->Fail("clock", "clock skew of " + text, e);
    } else {
      report->Ok("clock", "server clock differs by " + text);
    }
  } else {
    report->Skip("clock", "the server sent no Date header");
  }
}

void DoctorReport::Add(const std::string& name, const std::string& status,
                       const std::string& detail, std::optional<Error> error) {
  if (status == "fail" && !first_failure) first_failure = error;
  checks.push_back({name, status, detail, std::move(error)});
}

std::string DoctorReport::ToJson() const {
  nlohmann::json checks_json = nlohmann::json::array();
  for (const auto& c : checks) {
    nlohmann::json j = {
        {"check", c.name}, {"status", c.status}, {"detail", c.detail}};
    if (c.error) j["error"] = nlohmann::json::parse(c.error->ToJson());
    checks_json.push_back(j);
  }
  nlohmann::json doc = {{"ok", !first_failure}, {"checks", checks_json}};
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string DoctorReport::ToText() const {
  std::string out;
  for (const auto& c : checks) {
    const char* mark = c.status == "ok"     ? "ok  "
                       : c.status == "warn" ? "WARN"
                       : c.status == "fail" ? "FAIL"
                                            : "--  ";
    out += std::string(mark) + " " + c.name + ": " + c.detail + "\n";
    if (c.error) {
      out += "     " + std::string(CodeName(c.error->code)) + ": " +
             c.error->message + "\n     what to do (" +
             ActionName(c.error->action) +
             "): " + ActionDescription(c.error->action) + "\n";
    }
  }
  out += first_failure ? "Result: a problem was found (see FAIL above).\n"
                       : "Result: uploads to this endpoint should work.\n";
  return out;
}

}  // namespace ferry::internal
