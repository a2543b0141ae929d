// SPDX-License-Identifier: Apache-2.0
// Google Benchmark micro-benchmarks: what one chunk costs in ferry's hands
// (hashing, fingerprinting, compressing) next to the library's raw speed on
// the same buffer, so any overhead of ferry's wrapping shows.
//   build/tests/ferry_micro_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <xxhash.h>
#include <zstd.h>

#include <random>
#include <string>

#include "codec/hash.h"
#include "codec/zstd_frames.h"

namespace {

constexpr size_t kChunk = 8 << 20;  // ferry's default chunk

// Half random bytes, half repetitive text: compresses about 2:1.
const std::string& Chunk() {
  static const std::string data = [] {
    std::string d(kChunk, '\0');
    std::mt19937_64 rng(42);
    for (size_t i = 0; i < kChunk / 2; i += 8) {
      uint64_t v = rng();
      d.replace(i, 8, reinterpret_cast<const char*>(&v), 8);
    }
    static const char kText[] = "GET /files/42 HTTP/1.1 200 1234 0.003s\n";
    for (size_t i = kChunk / 2; i < kChunk; ++i) {
      d[i] = kText[i % (sizeof kText - 1)];
    }
    return d;
  }();
  return data;
}

void Bytes(benchmark::State& state) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(kChunk));
}

void BM_Sha256_Ferry(benchmark::State& state) {
  auto h = ferry::internal::Hasher::Sha256();
  for (auto _ : state) {
    h->Update(Chunk().data(), Chunk().size());
    benchmark::DoNotOptimize(h->Finish());
  }
  Bytes(state);
}
BENCHMARK(BM_Sha256_Ferry);

void BM_Sha256_OpenSsl(benchmark::State& state) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  for (auto _ : state) {
    EVP_Digest(Chunk().data(), Chunk().size(), out, &len, EVP_sha256(),
               nullptr);
    benchmark::DoNotOptimize(out);
  }
  Bytes(state);
}
BENCHMARK(BM_Sha256_OpenSsl);

void BM_Fingerprint_Ferry(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(ferry::internal::ChunkDigest(
        ferry::internal::ChunkHash::kXxh3_128, Chunk()));
  }
  Bytes(state);
}
BENCHMARK(BM_Fingerprint_Ferry);

void BM_Xxh3_128_Raw(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(XXH3_128bits(Chunk().data(), Chunk().size()));
  }
  Bytes(state);
}
BENCHMARK(BM_Xxh3_128_Raw);

void BM_ZstdFrame_Ferry(benchmark::State& state) {
  ferry::internal::FrameEncoder encoder;
  ferry::internal::FrameInfo info;
  int level = static_cast<int>(state.range(0));
  for (auto _ : state) {
    benchmark::DoNotOptimize(encoder.Encode(Chunk(), level, &info));
  }
  Bytes(state);
  state.counters["ratio"] =
      static_cast<double>(info.compressed_size) / static_cast<double>(kChunk);
}
BENCHMARK(BM_ZstdFrame_Ferry)->Arg(1)->Arg(3);

void BM_Zstd_Raw(benchmark::State& state) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  std::string out(ZSTD_compressBound(kChunk), '\0');
  int level = static_cast<int>(state.range(0));
  size_t n = 0;
  for (auto _ : state) {
    n = ZSTD_compressCCtx(cctx, out.data(), out.size(), Chunk().data(),
                          Chunk().size(), level);
    benchmark::DoNotOptimize(n);
  }
  ZSTD_freeCCtx(cctx);
  Bytes(state);
  state.counters["ratio"] = static_cast<double>(n) / static_cast<double>(kChunk);
}
BENCHMARK(BM_Zstd_Raw)->Arg(1)->Arg(3);

void BM_StoredFrame_Ferry(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(ferry::internal::StoredFrame(Chunk()));
  }
  Bytes(state);
}
BENCHMARK(BM_StoredFrame_Ferry);

}  // namespace

BENCHMARK_MAIN();
