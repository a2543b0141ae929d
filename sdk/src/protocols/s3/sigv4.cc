// SPDX-License-Identifier: Apache-2.0
#include "protocols/s3/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <ctime>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "codec/hash.h"

namespace ferry::internal {
namespace {

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
       &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string Trimmed(std::string_view value) {
  // SigV4 trims and collapses runs of spaces to one.
  std::string out;
  bool space = false;
  while (!value.empty() && absl::ascii_isspace(value.front())) {
    value.remove_prefix(1);
  }
  while (!value.empty() && absl::ascii_isspace(value.back())) {
    value.remove_suffix(1);
  }
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// Lower-case names, sorted; values of a repeated name joined by commas.
std::vector<std::pair<std::string, std::string>> CanonicalHeaders(
    const SigV4Request& r) {
  std::vector<std::pair<std::string, std::string>> h;
  h.emplace_back("host", r.authority);
  for (const auto& [name, value] : r.headers) {
    std::string lower = absl::AsciiStrToLower(name);
    if (lower == "authorization" || lower == "host") continue;
    h.emplace_back(std::move(lower), Trimmed(value));
  }
  std::stable_sort(h.begin(), h.end(), [](const auto& a, const auto& b) {
    return a.first < b.first;
  });
  std::vector<std::pair<std::string, std::string>> merged;
  for (auto& [name, value] : h) {
    if (!merged.empty() && merged.back().first == name) {
      merged.back().second += "," + value;
    } else {
      merged.emplace_back(std::move(name), std::move(value));
    }
  }
  return merged;
}

std::string SignedHeaderNames(const SigV4Request& r) {
  std::vector<std::string> names;
  for (const auto& [name, value] : CanonicalHeaders(r)) names.push_back(name);
  return absl::StrJoin(names, ";");
}

std::string Scope(std::string_view date, std::string_view region,
                  std::string_view service) {
  return std::string(date) + "/" + std::string(region) + "/" +
         std::string(service) + "/aws4_request";
}

}  // namespace

std::string UriEncode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' ||
        c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string AmzDate(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string CanonicalRequest(const SigV4Request& r) {
  std::vector<std::pair<std::string, std::string>> q;
  for (const auto& [k, v] : r.query) {
    q.emplace_back(UriEncode(k, false), UriEncode(v, false));
  }
  std::sort(q.begin(), q.end());
  std::vector<std::string> pairs;
  for (const auto& [k, v] : q) pairs.push_back(k + "=" + v);
  std::string headers;
  for (const auto& [name, value] : CanonicalHeaders(r)) {
    absl::StrAppend(&headers, name, ":", value, "\n");
  }
  return absl::StrCat(r.method, "\n", r.path.empty() ? "/" : r.path, "\n",
                      absl::StrJoin(pairs, "&"), "\n", headers, "\n",
                      SignedHeaderNames(r), "\n", r.payload_hash);
}

std::string StringToSign(const SigV4Request& request, std::string_view amz_date,
                         std::string_view region, std::string_view service) {
  return absl::StrCat("AWS4-HMAC-SHA256\n", std::string(amz_date), "\n",
                      Scope(amz_date.substr(0, 8), region, service), "\n",
                      HexEncode(Sha256(CanonicalRequest(request))));
}

std::string SigV4Signature(const S3Credentials& credentials,
                           std::string_view date, std::string_view service,
                           std::string_view string_to_sign) {
  std::string key = Hmac("AWS4" + credentials.secret_access_key, date);
  key = Hmac(key, credentials.region);
  key = Hmac(key, service);
  key = Hmac(key, "aws4_request");
  return HexEncode(Hmac(key, string_to_sign));
}

void SignV4(SigV4Request* request, const S3Credentials& credentials,
            std::string_view service, int64_t unix_seconds) {
  std::string amz_date = AmzDate(unix_seconds);
  std::string date = amz_date.substr(0, 8);
  request->headers.emplace_back("x-amz-date", amz_date);
  if (request->content_sha256_header) {
    request->headers.emplace_back("x-amz-content-sha256",
                                  request->payload_hash);
  }
  if (!credentials.session_token.empty()) {
    request->headers.emplace_back("x-amz-security-token",
                                  credentials.session_token);
  }
  std::string to_sign =
      StringToSign(*request, amz_date, credentials.region, service);
  request->headers.emplace_back(
      "Authorization",
      absl::StrCat(
          "AWS4-HMAC-SHA256 Credential=", credentials.access_key_id, "/",
          Scope(date, credentials.region, service),
          ", SignedHeaders=", SignedHeaderNames(*request),
          ", Signature=", SigV4Signature(credentials, date, service, to_sign)));
}

}  // namespace ferry::internal
