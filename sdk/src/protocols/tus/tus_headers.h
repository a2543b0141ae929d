/* SPDX-License-Identifier: Apache-2.0 */
// Parsing and encoding of tus 1.0 header values. Strict: anything that is
// not exactly what the protocol allows is rejected, never guessed at.
#ifndef FERRY_SDK_SRC_PROTOCOL_TUS_TUS_HEADERS_H_
#define FERRY_SDK_SRC_PROTOCOL_TUS_TUS_HEADERS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferry::internal::tus {

// Upload-Offset / Upload-Length / Tus-Max-Size: a non-negative decimal
// integer without sign, spaces or leading junk, fitting in 63 bits.
std::optional<uint64_t> ParseSize(std::string_view value);

// A metadata key is non-empty, ASCII, without spaces or commas.
bool ValidMetadataKey(std::string_view key);
// "key base64(value),key2 base64(value2)"; values may be empty (key only).
// Returns nullopt when a key is invalid or repeated.
std::optional<std::string> EncodeMetadata(
    const std::vector<std::pair<std::string, std::string>>& metadata);

// Parses an Upload-Metadata value (as a server returns it on HEAD) into its
// pairs, in order. nullopt when a key is invalid or repeated or a value is
// not canonical base64.
std::optional<std::vector<std::pair<std::string, std::string>>> DecodeMetadata(
    std::string_view value);

}  // namespace ferry::internal::tus

#endif  // FERRY_SDK_SRC_PROTOCOL_TUS_TUS_HEADERS_H_
