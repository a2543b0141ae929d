#include "protocol/upload_protocol.h"

#include <algorithm>

namespace ferry::internal {

bool ServerCapabilities::Has(std::string_view extension) const {
  return std::find(extensions.begin(), extensions.end(), extension) !=
         extensions.end();
}

}  // namespace ferry::internal
