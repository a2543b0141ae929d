// SPDX-License-Identifier: Apache-2.0
#include "protocols/ietf/ietf_discovery.h"

#include <strings.h>

namespace ferry::internal::ietf {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

bool AcceptsPartialUpload(std::string_view accept_patch) {
  while (!accept_patch.empty()) {
    size_t comma = accept_patch.find(',');
    std::string_view type = accept_patch.substr(0, comma);
    accept_patch.remove_prefix(
        comma == std::string_view::npos ? accept_patch.size() : comma + 1);
    type = Trim(type.substr(0, type.find(';')));
    if (type.size() == kPartialUpload.size() &&
        ::strncasecmp(type.data(), kPartialUpload.data(), type.size()) == 0) {
      return true;
    }
  }
  return false;
}

bool OffersDraft(const HttpResponse& options_answer) {
  std::optional<std::string> accept = options_answer.Header("accept-patch");
  return accept && AcceptsPartialUpload(*accept);
}

}  // namespace ferry::internal::ietf
