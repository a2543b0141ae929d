/* SPDX-License-Identifier: Apache-2.0 */
// URL helpers over libcurl's URL API (no hand-written URL parsing).
#ifndef FERRY_SDK_SRC_HTTP_URL_H_
#define FERRY_SDK_SRC_HTTP_URL_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferry::internal {

// Resolves `ref` (absolute, or relative as in a Location header) against
// `base`. nullopt when either does not parse or the scheme is not http(s).
std::optional<std::string> ResolveUrl(std::string_view base,
                                      std::string_view ref);
// "scheme://host:port" with the default port made explicit, lower-case;
// nullopt when the URL does not parse.
std::optional<std::string> UrlOrigin(std::string_view url);
// An http(s) URL's scheme, authority (host[:port] as written; the port only
// when the URL names one) and path ("/" when empty), as a request signer
// needs them; nullopt when it does not parse or is not http(s).
struct UrlParts {
  std::string scheme;
  std::string authority;
  std::string path;
};
std::optional<UrlParts> SplitUrl(std::string_view url);
// The URL without user info, query and fragment (signed URLs and tokens live
// there), safe for logs and error messages.
std::string RedactUrl(std::string_view url);
// The values a server might echo back that must never be printed: the
// password and every query value of `url`, and the values of credential
// headers (Authorization and the like, with "Bearer "/"Basic " stripped
// too). Values shorter than 6 characters are left out (too common to scrub).
std::vector<std::string> SecretsOf(std::string_view url);
std::vector<std::string> SecretsOf(
    const std::vector<std::pair<std::string, std::string>>& headers);

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_HTTP_URL_H_
