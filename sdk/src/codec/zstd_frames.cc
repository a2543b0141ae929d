// SPDX-License-Identifier: Apache-2.0
#include "codec/zstd_frames.h"

#include <xxhash.h>
// For ZSTD_getCParams and ZSTD_estimateCCtxSize_usingCParams: a level's
// parameters and the memory they need (Debian's libzstd exports both).
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "codec/hash.h"

namespace ferry::internal {
namespace {

constexpr uint32_t kFrameMagic = 0xFD2FB528;
constexpr uint32_t kSkippableMagic = 0x184D2A5E;
constexpr uint32_t kSeekableMagic = 0x8F92EAB1;
constexpr size_t kMaxBlock = 128 * 1024;

void Put32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

void Put24(std::string* out, uint32_t v) {
  for (int i = 0; i < 3; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

// The most bytes a frame of `raw_size` bytes can take, stored or
// compressed.
size_t FrameBound(size_t raw_size) {
  return std::max<size_t>(ZSTD_compressBound(raw_size),
                          StoredFrameSize(raw_size));
}

// Room for a frame of `raw_size` bytes in a buffer that is reused from
// frame to frame. Exact: std::string's own growth would double a buffer
// that is a little short (a stored frame's size, then a compressed
// frame's bound), an 8 MiB block for a 4 MiB chunk.
void ReserveFrame(size_t raw_size, std::string* out) {
  size_t need = FrameBound(raw_size);
  if (out->capacity() >= need) return;
  std::string fresh;
  fresh.reserve(need);
  fresh.append(*out);
  out->swap(fresh);
}

}  // namespace

uint32_t ContentChecksum(std::string_view data) {
  return static_cast<uint32_t>(XXH64(data.data(), data.size(), 0));
}

std::string StoredFrame(std::string_view data) {
  std::string out;
  StoredFrameInto(data, &out);
  return out;
}

void StoredFrameInto(std::string_view data, std::string* into) {
  std::string& out = *into;
  out.clear();
  ReserveFrame(data.size(), &out);
  Put32(&out, kFrameMagic);
  // Frame header descriptor: 4-byte content size, single segment (the
  // window is the content), content checksum, no dictionary.
  out.push_back(static_cast<char>((2 << 6) | (1 << 5) | (1 << 2)));
  Put32(&out, static_cast<uint32_t>(data.size()));
  size_t pos = 0;
  do {
    size_t n = std::min(kMaxBlock, data.size() - pos);
    bool last = pos + n == data.size();
    // Block header: last flag, type 0 (raw), size.
    Put24(&out, (static_cast<uint32_t>(n) << 3) | (last ? 1 : 0));
    out.append(data.data() + pos, n);
    pos += n;
  } while (pos < data.size());
  Put32(&out, ContentChecksum(data));
}

uint64_t StoredFrameSize(uint64_t raw_size) {
  uint64_t blocks = raw_size == 0 ? 1 : (raw_size + kMaxBlock - 1) / kMaxBlock;
  return 4 + 1 + 4 + 3 * blocks + raw_size + 4;
}

FrameEncoder::FrameEncoder() : cctx_(ZSTD_createCCtx()) {}
FrameEncoder::~FrameEncoder() { ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(cctx_)); }

namespace {

// Levels from 10 up use hash and chain tables of at most 2^20 entries: at
// their defaults a 4 MiB chunk's encoder needs 25 to 65 MiB (more than the
// whole default budget); capped, about 9 MiB, for ~0.5% more bytes. Levels
// 1 to 9 keep zstd's defaults, so their frames are what they always were.
constexpr int kFirstCappedLevel = 10;
constexpr unsigned kMaxTableLog = 20;

ZSTD_compressionParameters FrameParams(int level, uint64_t chunk_size) {
  ZSTD_compressionParameters p = ZSTD_getCParams(level, chunk_size, 0);
  if (level >= kFirstCappedLevel) {
    p.hashLog = std::min(p.hashLog, kMaxTableLog);
    p.chainLog = std::min(p.chainLog, kMaxTableLog);
  }
  return p;
}

}  // namespace

uint64_t EncoderMemory(int level, uint64_t chunk_size) {
  if (level <= 0) return 0;
  return ZSTD_estimateCCtxSize_usingCParams(FrameParams(level, chunk_size));
}

std::string FrameEncoder::Encode(std::string_view data, int level,
                                 FrameInfo* info, ChunkHash hash) {
  std::string out;
  Encode(data, level, info, hash, &out);
  return out;
}

void FrameEncoder::Encode(std::string_view data, int level, FrameInfo* info,
                          ChunkHash hash, std::string* out) {
  info->raw_size = static_cast<uint32_t>(data.size());
  info->checksum = ContentChecksum(data);
  info->level = 0;
  ReserveFrame(data.size(), out);
  if (level != 0 && cctx_ != nullptr) {
    auto* c = static_cast<ZSTD_CCtx*>(cctx_);
    ZSTD_CCtx_reset(c, ZSTD_reset_session_and_parameters);
    ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
    if (level >= kFirstCappedLevel) {
      ZSTD_compressionParameters p = FrameParams(level, data.size());
      ZSTD_CCtx_setParameter(c, ZSTD_c_hashLog, static_cast<int>(p.hashLog));
      ZSTD_CCtx_setParameter(c, ZSTD_c_chainLog, static_cast<int>(p.chainLog));
    }
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
    ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 1);
    // Into the caller's buffer, kept across frames: a fresh one would be
    // allocated, zero-filled and faulted in every time.
    out->resize(ZSTD_compressBound(data.size()));
    size_t n =
        ZSTD_compress2(c, out->data(), out->size(), data.data(), data.size());
    // A frame that does not shrink the chunk is sent as stored blocks.
    if (!ZSTD_isError(n) && n < data.size()) {
      out->resize(n);
      info->level = level;
    }
  }
  if (info->level == 0) StoredFrameInto(data, out);
  info->compressed_size = static_cast<uint32_t>(out->size());
  info->digest = ChunkDigest(hash, *out);
}

double FrameEncoder::SampleRatio(std::string_view sample, int level,
                                 double* seconds) {
  auto* c = static_cast<ZSTD_CCtx*>(cctx_);
  auto start = std::chrono::steady_clock::now();
  ZSTD_CCtx_reset(c, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
  scratch_.resize(ZSTD_compressBound(sample.size()));
  size_t n = ZSTD_compress2(c, scratch_.data(), scratch_.size(), sample.data(),
                            sample.size());
  *seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (ZSTD_isError(n) || sample.empty() || n >= sample.size()) return 1.0;
  return static_cast<double>(n) / static_cast<double>(sample.size());
}

std::string SeekTable(const std::vector<FrameInfo>& frames) {
  std::string out;
  Put32(&out, kSkippableMagic);
  Put32(&out, static_cast<uint32_t>(frames.size() * 12 + 9));
  for (const FrameInfo& f : frames) {
    Put32(&out, f.compressed_size);
    Put32(&out, f.raw_size);
    Put32(&out, f.checksum);
  }
  Put32(&out, static_cast<uint32_t>(frames.size()));
  out.push_back(static_cast<char>(0x80));  // entries carry checksums
  Put32(&out, kSeekableMagic);
  return out;
}

unsigned ZstdVersion() { return ZSTD_versionNumber(); }

}  // namespace ferry::internal
