/* SPDX-License-Identifier: Apache-2.0 */
// Streaming digests over OpenSSL EVP, and the encodings tus needs.
#ifndef FERRY_SDK_SRC_CODEC_HASH_H_
#define FERRY_SDK_SRC_CODEC_HASH_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::internal {

// How chunks are fingerprinted to notice a file changing under an upload.
// XXH3-128 runs at memory speed, so re-reading a chunk to check it costs
// almost nothing next to sending it; it guards against accidents (edits,
// truncation), not adversaries: the whole file's SHA-256 is what the server
// is told. Resume state written before version 2 used SHA-256.
enum class ChunkHash { kXxh3_128, kSha256 };
const char* ChunkHashName(ChunkHash hash);
std::optional<ChunkHash> ChunkHashNamed(std::string_view name);
size_t ChunkDigestSize(ChunkHash hash);

class Hasher {
 public:
  // algorithm: a tus/OpenSSL digest name ("sha256", "sha1", "md5", ...).
  // Returns nullptr when OpenSSL does not know it.
  static std::unique_ptr<Hasher> Create(std::string_view algorithm);
  static std::unique_ptr<Hasher> Sha256() { return Create("sha256"); }
  static std::unique_ptr<Hasher> ForChunks(ChunkHash hash);
  virtual ~Hasher() = default;
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  virtual void Update(const void* data, size_t len) = 0;
  // Raw digest bytes; the hasher is reset afterwards and can be reused.
  virtual std::string Finish() = 0;

 protected:
  Hasher() = default;
};

// One-shot digests.
std::string Sha256(std::string_view data);
std::string ChunkDigest(ChunkHash hash, std::string_view data);

std::string HexEncode(std::string_view bytes);
// Inverse of HexEncode (either case); nullopt for an odd length or a
// character that is not a hex digit.
std::optional<std::string> HexDecode(std::string_view hex);
// Standard base64 with padding (RFC 4648), as tus metadata and checksums use.
std::string Base64Encode(std::string_view bytes);
// Strict inverse: nullopt unless `text` is canonical padded base64.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_CODEC_HASH_H_
