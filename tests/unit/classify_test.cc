// SPDX-License-Identifier: Apache-2.0
#include "errors/classify.h"

#include <curl/curl.h>
#include <gtest/gtest.h>
#include <openssl/x509_vfy.h>

#include <cerrno>

namespace ferry::internal {
namespace {

HttpResponse Resp(int status, HeaderList headers = {}, std::string body = "") {
  HttpResponse r;
  r.status = status;
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

struct StatusCase {
  int status;
  RequestKind kind;
  ferry_code code;
  bool retryable;
};

TEST(Classify, StatusCodes) {
  const StatusCase cases[] = {
      {401, RequestKind::kSend, FERRY_ERR_UNAUTHENTICATED, false},
      {403, RequestKind::kCreate, FERRY_ERR_PERMISSION_DENIED, false},
      {404, RequestKind::kOffset, FERRY_ERR_UPLOAD_EXPIRED, false},
      {410, RequestKind::kSend, FERRY_ERR_UPLOAD_EXPIRED, false},
      {404, RequestKind::kCreate, FERRY_ERR_UNEXPECTED_RESPONSE, false},
      {409, RequestKind::kSend, FERRY_ERR_OFFSET_MISMATCH, true},
      {412, RequestKind::kDiscover, FERRY_ERR_PROTOCOL_UNSUPPORTED, false},
      {413, RequestKind::kCreate, FERRY_ERR_FILE_TOO_LARGE, false},
      {422, RequestKind::kSend, FERRY_ERR_CONTENT_REJECTED, false},
      {423, RequestKind::kSend, FERRY_ERR_UPLOAD_LOCKED, true},
      {429, RequestKind::kSend, FERRY_ERR_RATE_LIMITED, true},
      {460, RequestKind::kSend, FERRY_ERR_CHECKSUM_MISMATCH, true},
      {500, RequestKind::kSend, FERRY_ERR_SERVER_ERROR, true},
      {502, RequestKind::kSend, FERRY_ERR_SERVER_UNAVAILABLE, true},
      {503, RequestKind::kOffset, FERRY_ERR_SERVER_UNAVAILABLE, true},
      {507, RequestKind::kCreate, FERRY_ERR_QUOTA_EXCEEDED, false},
      {599, RequestKind::kSend, FERRY_ERR_SERVER_ERROR, true},
      {302, RequestKind::kCreate, FERRY_ERR_REDIRECT_REFUSED, false},
      {418, RequestKind::kSend, FERRY_ERR_UNEXPECTED_RESPONSE, false},
  };
  for (const auto& c : cases) {
    Error e = ClassifyResponse(Resp(c.status), c.kind, "http://h/x");
    EXPECT_EQ(e.code, c.code) << c.status;
    EXPECT_EQ(e.retryable, c.retryable) << c.status;
    EXPECT_EQ(e.http_status, c.status);
    EXPECT_EQ(e.url, "http://h/x");
  }
}

TEST(Classify, TooLargeCarriesTheLimitAndOrigin) {
  Error e = ClassifyResponse(
      Resp(413, {{"tus-max-size", "1048576"}}, "Maximum size exceeded\n"),
      RequestKind::kCreate, "");
  EXPECT_EQ(e.code, FERRY_ERR_FILE_TOO_LARGE);
  EXPECT_EQ(e.limit, 1048576);
  EXPECT_EQ(e.origin, FERRY_ORIGIN_SERVER);
  EXPECT_EQ(e.action, FERRY_ACTION_SPLIT_FILE);
  EXPECT_EQ(e.server_message, "Maximum size exceeded");
}

TEST(Classify, ExpiredBearerTokenIsCredentialsExpired) {
  Error e = ClassifyResponse(
      Resp(401, {{"www-authenticate",
                  "Bearer realm=\"x\", error=\"invalid_token\""}}),
      RequestKind::kSend, "");
  EXPECT_EQ(e.code, FERRY_ERR_CREDENTIALS_EXPIRED);
  EXPECT_EQ(e.action, FERRY_ACTION_REFRESH_CREDENTIALS);
}

TEST(Classify, RetryAfterSecondsAndDate) {
  Error e = ClassifyResponse(Resp(429, {{"retry-after", "7"}}),
                             RequestKind::kSend, "");
  EXPECT_EQ(e.retry_after_ms, 7000);
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470),
            10000);
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490), 0);
  EXPECT_FALSE(ParseRetryAfter("soon", 0).has_value());
  EXPECT_FALSE(ParseRetryAfter("", 0).has_value());
  EXPECT_EQ(ParseRetryAfter("99999999", 0), 86400 * 1000);
}

TEST(Classify, ProblemJsonWithAFerryCode) {
  Error e = ClassifyResponse(
      Resp(403,
           {{"content-type", "application/problem+json"},
            {"x-request-id", "req-42"}},
           R"({"type":"https://example.com/blocked","title":"Blocked",)"
           R"("detail":"files of type .exe are not accepted",)"
           R"("code":"file_type_blocked","status":403})"),
      RequestKind::kCreate, "");
  EXPECT_EQ(e.code, FERRY_ERR_FILE_TYPE_BLOCKED);
  EXPECT_EQ(e.category, FERRY_CATEGORY_POLICY);
  EXPECT_EQ(e.server_code, "file_type_blocked");
  EXPECT_EQ(e.server_message, "files of type .exe are not accepted");
  EXPECT_EQ(e.request_id, "req-42");
}

TEST(Classify, GarbageBodiesStillGiveATypedError) {
  for (std::string body : {std::string("\x00\xff\xfe garbage", 11),
                           std::string("{not json"), std::string(5000, 'A')}) {
    Error e = ClassifyResponse(
        Resp(500, {{"content-type", "application/problem+json"}}, body),
        RequestKind::kSend, "");
    EXPECT_EQ(e.code, FERRY_ERR_SERVER_ERROR);
    EXPECT_LE(e.server_message.size(), 300u);
    for (char c : e.server_message) {
      EXPECT_TRUE(c >= 0x20 && c < 0x7f);
    }
  }
}

TEST(Classify, TransportErrors) {
  struct Case {
    CURLcode curl;
    long os_errno;  // NOLINT(runtime/int)
    long verify;    // NOLINT(runtime/int)
    ferry_code code;
  };
  const Case cases[] = {
      {CURLE_COULDNT_RESOLVE_HOST, 0, 0, FERRY_ERR_DNS_FAILURE},
      {CURLE_COULDNT_CONNECT, ECONNREFUSED, 0, FERRY_ERR_CONNECTION_REFUSED},
      {CURLE_COULDNT_CONNECT, ENETUNREACH, 0, FERRY_ERR_NETWORK_UNREACHABLE},
      {CURLE_OPERATION_TIMEDOUT, 0, 0, FERRY_ERR_TIMEOUT},
      {CURLE_SEND_ERROR, ECONNRESET, 0, FERRY_ERR_CONNECTION_RESET},
      {CURLE_RECV_ERROR, ECONNRESET, 0, FERRY_ERR_CONNECTION_RESET},
      {CURLE_GOT_NOTHING, 0, 0, FERRY_ERR_CONNECTION_RESET},
      {CURLE_PEER_FAILED_VERIFICATION, 0,
       X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, FERRY_ERR_CERTIFICATE_UNTRUSTED},
      {CURLE_PEER_FAILED_VERIFICATION, 0, X509_V_ERR_CERT_HAS_EXPIRED,
       FERRY_ERR_CERTIFICATE_EXPIRED},
      {CURLE_PEER_FAILED_VERIFICATION, 0, X509_V_ERR_HOSTNAME_MISMATCH,
       FERRY_ERR_CERTIFICATE_NAME_MISMATCH},
      {CURLE_SSL_CONNECT_ERROR, 0, 0, FERRY_ERR_TLS_HANDSHAKE_FAILED},
      {CURLE_COULDNT_RESOLVE_PROXY, 0, 0, FERRY_ERR_PROXY_ERROR},
      {CURLE_ABORTED_BY_CALLBACK, 0, 0, FERRY_ERR_CANCELLED},
  };
  for (const auto& c : cases) {
    TransportError t;
    t.curl_code = c.curl;
    t.os_errno = c.os_errno;
    t.ssl_verify_result = c.verify;
    t.detail = "detail";
    Error e = ClassifyTransport(t, "https://h/");
    EXPECT_EQ(e.code, c.code) << c.curl;
    EXPECT_EQ(e.url, "https://h/");
  }
  TransportError flood;
  flood.curl_code = CURLE_WRITE_ERROR;
  flood.response_too_large = true;
  EXPECT_EQ(ClassifyTransport(flood, "").code, FERRY_ERR_UNEXPECTED_RESPONSE);
}

TEST(Classify, LibcurlsOwnHostNameCheckIsANameMismatch) {
  TransportError t;
  t.curl_code = CURLE_PEER_FAILED_VERIFICATION;
  t.ssl_verify_result = X509_V_ERR_UNSPECIFIED;
  t.detail =
      "SSL: no alternative certificate subject name matches target host name "
      "'127.0.0.1'";
  EXPECT_EQ(ClassifyTransport(t, "").code, FERRY_ERR_CERTIFICATE_NAME_MISMATCH);
  t.detail = "SSL certificate problem: self-signed certificate";
  t.ssl_verify_result = X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT;
  EXPECT_EQ(ClassifyTransport(t, "").code, FERRY_ERR_CERTIFICATE_UNTRUSTED);
}

TEST(Classify, CertificateErrorsAreNotRetriedAndSayWhatToDo) {
  TransportError t;
  t.curl_code = CURLE_PEER_FAILED_VERIFICATION;
  t.ssl_verify_result = X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
  Error e = ClassifyTransport(t, "");
  EXPECT_FALSE(e.retryable);
  EXPECT_EQ(e.category, FERRY_CATEGORY_TLS);
  EXPECT_EQ(e.action, FERRY_ACTION_UPDATE_CA_BUNDLE);
}

}  // namespace
}  // namespace ferry::internal
