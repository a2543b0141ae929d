/* SPDX-License-Identifier: Apache-2.0 */
// AWS Signature Version 4 header signing (HMAC-SHA256 over OpenSSL), as S3
// and S3-compatible stores (Ceph RGW, MinIO) check it.
#ifndef FERRY_SDK_SRC_PROTOCOL_S3_SIGV4_H_
#define FERRY_SDK_SRC_PROTOCOL_S3_SIGV4_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/http_client.h"

namespace ferry::internal {

struct S3Credentials {
  std::string access_key_id;
  std::string secret_access_key;  // never logged, never in an error
  std::string session_token;      // STS; "" when none
  std::string region;             // "" → us-east-1
};

// The payload hash S3 accepts instead of the body's SHA-256.
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

struct SigV4Request {
  std::string method;
  std::string authority;  // the Host header: host[:port]
  std::string path;       // already URI-encoded (UriEncode(…, true))
  // Raw (not encoded) query pairs; a bare "uploads" is {"uploads", ""}.
  std::vector<std::pair<std::string, std::string>> query;
  // Signed along with host. Sign() appends the x-amz-* headers and
  // Authorization here.
  HeaderList headers;
  // Hex SHA-256 of the body, or kUnsignedPayload.
  std::string payload_hash;
  // S3 wants the payload hash as the x-amz-content-sha256 header too; other
  // AWS services do not (the reference test vectors are IAM's).
  bool content_sha256_header = true;
};

// RFC 3986 percent-encoding as SigV4 defines it: unreserved characters kept,
// everything else %XX (upper case); '/' kept when keep_slash (paths).
std::string UriEncode(std::string_view text, bool keep_slash);

// "20150830T123600Z" for a Unix time.
std::string AmzDate(int64_t unix_seconds);

// The canonical request and string to sign of `request` (with its x-amz-*
// headers already added); exposed for tests against the reference vectors.
std::string CanonicalRequest(const SigV4Request& request);
std::string StringToSign(const SigV4Request& request, std::string_view amz_date,
                         std::string_view region, std::string_view service);

// Adds x-amz-date, x-amz-content-sha256 (when asked), x-amz-security-token
// (with a session token) and Authorization to request->headers, signed for
// `unix_seconds`. Thread-safe (pure).
void SignV4(SigV4Request* request, const S3Credentials& credentials,
            std::string_view service, int64_t unix_seconds);

// Hex HMAC-SHA256 signature for a string to sign (tests).
std::string SigV4Signature(const S3Credentials& credentials,
                           std::string_view date, std::string_view service,
                           std::string_view string_to_sign);

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_PROTOCOL_S3_SIGV4_H_
