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
