// SPDX-License-Identifier: Apache-2.0
#include "http/url.h"

#include <curl/curl.h>

#include <algorithm>
#include <memory>

namespace ferry::internal {
namespace {

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlDeleter>;

UrlHandle Parse(std::string_view url) {
  UrlHandle h(curl_url());
  if (!h) return nullptr;
  if (curl_url_set(h.get(), CURLUPART_URL, std::string(url).c_str(), 0) !=
      CURLUE_OK) {
    return nullptr;
  }
  return h;
}

std::optional<std::string> Part(CURLU* h, CURLUPart part, unsigned flags = 0) {
  char* out = nullptr;
  if (curl_url_get(h, part, &out, flags) != CURLUE_OK || out == nullptr) {
    return std::nullopt;
  }
  std::string s(out);
  curl_free(out);
  return s;
}

bool HttpScheme(CURLU* h) {
  auto scheme = Part(h, CURLUPART_SCHEME);
  return scheme && (*scheme == "http" || *scheme == "https");
}

}  // namespace

std::optional<std::string> ResolveUrl(std::string_view base,
                                      std::string_view ref) {
  UrlHandle h = Parse(base);
  if (!h || !HttpScheme(h.get())) return std::nullopt;
  if (curl_url_set(h.get(), CURLUPART_URL, std::string(ref).c_str(), 0) !=
      CURLUE_OK) {
    return std::nullopt;
  }
  if (!HttpScheme(h.get())) return std::nullopt;
  return Part(h.get(), CURLUPART_URL);
}

std::optional<std::string> UrlOrigin(std::string_view url) {
  UrlHandle h = Parse(url);
  if (!h) return std::nullopt;
  auto scheme = Part(h.get(), CURLUPART_SCHEME);
  auto host = Part(h.get(), CURLUPART_HOST);
  auto port = Part(h.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (!scheme || !host || !port) return std::nullopt;
  std::string origin = *scheme + "://" + *host + ":" + *port;
  std::transform(origin.begin(), origin.end(), origin.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return origin;
}

std::optional<UrlParts> SplitUrl(std::string_view url) {
  UrlHandle h = Parse(url);
  if (!h || !HttpScheme(h.get())) return std::nullopt;
  auto scheme = Part(h.get(), CURLUPART_SCHEME);
  auto host = Part(h.get(), CURLUPART_HOST);
  if (!scheme || !host) return std::nullopt;
  UrlParts out;
  out.scheme = *scheme;
  out.authority = *host;
  if (auto port = Part(h.get(), CURLUPART_PORT)) {
    out.authority.append(1, ':').append(*port);
  }
  std::optional<std::string> path = Part(h.get(), CURLUPART_PATH);
  out.path = path && !path->empty() ? std::move(*path) : std::string(1, '/');
  return out;
}

namespace {

constexpr size_t kMinSecret = 6;

void AddSecret(std::string value, std::vector<std::string>* out) {
  if (value.size() >= kMinSecret) out->push_back(std::move(value));
}

}  // namespace

std::vector<std::string> SecretsOf(std::string_view url) {
  std::vector<std::string> out;
  UrlHandle h = Parse(url);
  if (!h) return out;
  if (auto pw = Part(h.get(), CURLUPART_PASSWORD)) AddSecret(*pw, &out);
  auto query = Part(h.get(), CURLUPART_QUERY);
  if (!query) return out;
  size_t start = 0;
  while (start <= query->size()) {
    size_t amp = query->find('&', start);
    if (amp == std::string::npos) amp = query->size();
    std::string_view pair(query->data() + start, amp - start);
    size_t eq = pair.find('=');
    std::string value(eq == std::string_view::npos ? pair
                                                   : pair.substr(eq + 1));
    AddSecret(value, &out);
    // Also as a server would print it decoded.
    int n = 0;
    if (char* decoded = curl_easy_unescape(
            nullptr, value.c_str(), static_cast<int>(value.size()), &n)) {
      std::string d(decoded, static_cast<size_t>(n));
      curl_free(decoded);
      if (d != value) AddSecret(d, &out);
    }
    start = amp + 1;
  }
  return out;
}

std::vector<std::string> SecretsOf(
    const std::vector<std::pair<std::string, std::string>>& headers) {
  std::vector<std::string> out;
  for (const auto& [name, value] : headers) {
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    bool credential = false;
    for (const char* word : {"auth", "token", "key", "secret", "cookie",
                             "signature", "session", "password"}) {
      if (lower.find(word) != std::string::npos) credential = true;
    }
    if (!credential) continue;
    AddSecret(value, &out);
    size_t space = value.find(' ');
    if (space != std::string::npos) AddSecret(value.substr(space + 1), &out);
  }
  return out;
}

std::string RedactUrl(std::string_view url) {
  UrlHandle h = Parse(url);
  if (!h) return "<unparseable URL>";
  curl_url_set(h.get(), CURLUPART_USER, nullptr, 0);
  curl_url_set(h.get(), CURLUPART_PASSWORD, nullptr, 0);
  curl_url_set(h.get(), CURLUPART_FRAGMENT, nullptr, 0);
  bool had_query = Part(h.get(), CURLUPART_QUERY).has_value();
  curl_url_set(h.get(), CURLUPART_QUERY, nullptr, 0);
  std::string out = Part(h.get(), CURLUPART_URL).value_or("<unparseable URL>");
  if (had_query) out += "?<redacted>";
  return out;
}

}  // namespace ferry::internal
