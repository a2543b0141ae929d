// SPDX-License-Identifier: Apache-2.0
#include "protocols/tus/tus_types.h"

#include <algorithm>

namespace ferry::internal {

bool ServerCapabilities::Has(std::string_view extension) const {
  return std::find(extensions.begin(), extensions.end(), extension) !=
         extensions.end();
}

}  // namespace ferry::internal
