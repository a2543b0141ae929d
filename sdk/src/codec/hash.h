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

class Hasher {
 public:
  // algorithm: a tus/OpenSSL digest name ("sha256", "sha1", "md5", ...).
  // Returns nullptr when OpenSSL does not know it.
  static std::unique_ptr<Hasher> Create(std::string_view algorithm);
  static std::unique_ptr<Hasher> Sha256() { return Create("sha256"); }
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void Update(const void* data, size_t len);
  // Raw digest bytes; the hasher is reset afterwards and can be reused.
  std::string Finish();

 private:
  explicit Hasher(void* ctx, const void* md) : ctx_(ctx), md_(md) {}
  void* ctx_;       // EVP_MD_CTX*
  const void* md_;  // const EVP_MD*
};

// One-shot digests.
std::string Sha256(std::string_view data);

std::string HexEncode(std::string_view bytes);
// Standard base64 with padding (RFC 4648), as tus metadata and checksums use.
std::string Base64Encode(std::string_view bytes);
// Strict inverse: nullopt unless `text` is canonical padded base64.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_CODEC_HASH_H_
