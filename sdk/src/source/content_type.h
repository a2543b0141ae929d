/* SPDX-License-Identifier: Apache-2.0 */
// The media type a file name's extension has, from the system's mime.types
// (Debian's media-types package: /etc/mime.types), as `aws s3 cp` guesses
// one: the extension after the last dot, matched without case.
#ifndef FERRY_SDK_SRC_SOURCE_CONTENT_TYPE_H_
#define FERRY_SDK_SRC_SOURCE_CONTENT_TYPE_H_

#include <optional>
#include <string>
#include <string_view>

namespace ferry::internal {

// From `mime_types`, the text of a mime.types file ("type ext ext..." lines,
// # comments). nullopt when the name has no extension or the file has
// none such.
std::optional<std::string> ContentTypeIn(std::string_view mime_types,
                                         std::string_view name);

// The same from /etc/mime.types, read once per process (nullopt for every
// name when it cannot be read). Thread-safe.
std::optional<std::string> GuessContentType(std::string_view name);

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_SOURCE_CONTENT_TYPE_H_
