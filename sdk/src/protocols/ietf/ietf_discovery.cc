// SPDX-License-Identifier: Apache-2.0
#include "protocols/ietf/ietf_discovery.h"

#include <strings.h>

#include <string>

namespace ferry::internal::ietf {

bool AcceptsPartialUpload(std::string_view accept_patch) {
  for (const std::string& item : ParseHeaderList(accept_patch)) {
    std::string_view type =
        TrimHeaderValue(std::string_view(item).substr(0, item.find(';')));
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
