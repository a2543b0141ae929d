/* SPDX-License-Identifier: Apache-2.0 */
// The IETF resumable-upload draft's header fields, as typed values. Each
// is a Structured Field (RFC 9651); the draft says a value of the wrong
// type makes the whole field ignored, so a parser here returns nullopt
// for it and the caller acts as if the field were absent.
#ifndef FERRY_SDK_SRC_PROTOCOLS_IETF_IETF_HEADERS_H_
#define FERRY_SDK_SRC_PROTOCOLS_IETF_IETF_HEADERS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::internal::ietf {

// The interop versions ferry knows of: 5 (draft -03), 6 (-05), 7 (-06 to
// -08) and 8 (-09 onwards).
inline constexpr int kInteropVersions[] = {8, 7, 6, 5};

// Upload-Limit (a Dictionary): the limits a server announced. Unknown keys
// are ignored; "expires" is draft -05's name for max-age.
struct UploadLimits {
  std::optional<uint64_t> max_size;
  std::optional<uint64_t> min_size;
  std::optional<uint64_t> max_append_size;
  std::optional<uint64_t> min_append_size;
  std::optional<uint64_t> max_age;  // seconds

  // "max-size=N, max-append-size=N, ..." in the draft's own terms; "none"
  // when nothing is limited.
  std::string ToString() const;
};

// nullopt when the field does not parse, or a known key's value is not a
// non-negative Integer (the draft: the whole field is then ignored).
std::optional<UploadLimits> ParseUploadLimit(std::string_view field);

// Upload-Offset, Upload-Length: a non-negative Integer, else nullopt.
std::optional<uint64_t> ParseSize(std::string_view field);
// Upload-Complete: a Boolean, else nullopt.
std::optional<bool> ParseComplete(std::string_view field);
// Upload-Draft-Interop-Version: an Integer, else nullopt.
std::optional<int> ParseInteropVersion(std::string_view field);

// Content-Digest / Repr-Digest (RFC 9530, a Dictionary): the raw 32-byte
// sha-256 digest, or nullopt when absent, malformed or not 32 bytes.
std::optional<std::string> ParseSha256Digest(std::string_view field);
// "sha-256=:base64:" for a raw 32-byte digest.
std::string Sha256DigestField(std::string_view raw);
// Want-Content-Digest / Want-Repr-Digest: whether sha-256 is asked for
// (a preference above 0).
bool WantsSha256(std::string_view field);

}  // namespace ferry::internal::ietf

#endif  // FERRY_SDK_SRC_PROTOCOLS_IETF_IETF_HEADERS_H_
