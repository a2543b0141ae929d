// SPDX-License-Identifier: Apache-2.0
#include "codec/hash.h"

#include <openssl/evp.h>
#include <xxhash.h>

#include <new>
#include <string>

namespace ferry::internal {

namespace {

class EvpHasher final : public Hasher {
 public:
  EvpHasher(EVP_MD_CTX* ctx, const EVP_MD* md) : ctx_(ctx), md_(md) {}
  ~EvpHasher() override { EVP_MD_CTX_free(ctx_); }
  void Update(const void* data, size_t len) override {
    if (len > 0) EVP_DigestUpdate(ctx_, data, len);
  }
  std::string Finish() override {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, out, &len);
    EVP_DigestInit_ex(ctx_, md_, nullptr);
    return std::string(reinterpret_cast<char*>(out), len);
  }

 private:
  EVP_MD_CTX* ctx_;
  const EVP_MD* md_;
};

class Xxh3Hasher final : public Hasher {
 public:
  explicit Xxh3Hasher(XXH3_state_t* state) : state_(state) {
    XXH3_128bits_reset(state_);
  }
  ~Xxh3Hasher() override { XXH3_freeState(state_); }
  void Update(const void* data, size_t len) override {
    if (len > 0) XXH3_128bits_update(state_, data, len);
  }
  std::string Finish() override {
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits_digest(state_));
    XXH3_128bits_reset(state_);
    return std::string(reinterpret_cast<const char*>(c.digest),
                       sizeof(c.digest));
  }

 private:
  XXH3_state_t* state_;
};

}  // namespace

const char* ChunkHashName(ChunkHash hash) {
  return hash == ChunkHash::kSha256 ? "sha256" : "xxh3-128";
}

std::optional<ChunkHash> ChunkHashNamed(std::string_view name) {
  if (name == "sha256") return ChunkHash::kSha256;
  if (name == "xxh3-128") return ChunkHash::kXxh3_128;
  return std::nullopt;
}

size_t ChunkDigestSize(ChunkHash hash) {
  return hash == ChunkHash::kSha256 ? 32 : 16;
}

std::unique_ptr<Hasher> Hasher::Create(std::string_view algorithm) {
  const EVP_MD* md = EVP_get_digestbyname(std::string(algorithm).c_str());
  if (md == nullptr) return nullptr;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return nullptr;
  if (EVP_DigestInit_ex(ctx, md, nullptr) != 1) {
    EVP_MD_CTX_free(ctx);
    return nullptr;
  }
  return std::make_unique<EvpHasher>(ctx, md);
}

std::unique_ptr<Hasher> Hasher::ForChunks(ChunkHash hash) {
  if (hash == ChunkHash::kSha256) return Sha256();
  XXH3_state_t* state = XXH3_createState();
  if (state == nullptr) throw std::bad_alloc();
  return std::make_unique<Xxh3Hasher>(state);
}

std::string ChunkDigest(ChunkHash hash, std::string_view data) {
  if (hash == ChunkHash::kSha256) return Sha256(data);
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, XXH3_128bits(data.data(), data.size()));
  return std::string(reinterpret_cast<const char*>(c.digest), sizeof(c.digest));
}

std::string Sha256(std::string_view data) {
  auto h = Hasher::Sha256();
  h->Update(data.data(), data.size());
  return h->Finish();
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::optional<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = digit(hex[i]), lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0 || text.size() > (1u << 30)) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock keeps the zero bytes padding stands for.
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  // Canonical only: re-encoding gives back the same text (no stray bits,
  // no '=' in the middle, no whitespace).
  if (Base64Encode(out) != text) return std::nullopt;
  return out;
}

}  // namespace ferry::internal
