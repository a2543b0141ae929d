// SPDX-License-Identifier: Apache-2.0
// Fixed-size chunk boundaries of a source; the plan is recorded in the
// journal. A plan over a stream of unknown length grows as the stream is
// read, in whole chunks until its end is known, so a chunk's length never
// changes once the plan counts it.
#ifndef FERRY_SDK_SRC_CHUNK_CHUNK_PLAN_H_
#define FERRY_SDK_SRC_CHUNK_CHUNK_PLAN_H_

#include <cstdint>

#include "source/source.h"

namespace ferry::internal {

struct ChunkRange {
  uint64_t index = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
  uint64_t end() const { return offset + length; }
};

class ChunkPlan {
 public:
  // chunk_size must be > 0 (callers validate options first).
  ChunkPlan(uint64_t file_size, uint64_t chunk_size)
      : fixed_size_(file_size), chunk_size_(chunk_size) {}
  // A plan that follows `source` (which must outlive it). Thread-safe.
  ChunkPlan(const Source& source, uint64_t chunk_size)
      : source_(&source), chunk_size_(chunk_size) {}

  // Bytes the plan covers: the whole source, or (length not yet known) the
  // whole chunks read so far.
  uint64_t file_size() const {
    if (source_ == nullptr) return fixed_size_;
    bool known = source_->length_known();  // before size(): then it is final
    uint64_t size = source_->size();
    return known ? size : size / chunk_size_ * chunk_size_;
  }
  // Whether file_size() is final.
  bool complete() const {
    return source_ == nullptr || source_->length_known();
  }
  uint64_t chunk_size() const { return chunk_size_; }
  // An empty file has zero chunks.
  uint64_t count() const {
    uint64_t size = file_size();
    return size == 0 ? 0 : (size - 1) / chunk_size_ + 1;
  }
  // The chunk holding byte `offset`; offset must be < file_size().
  uint64_t IndexAt(uint64_t offset) const { return offset / chunk_size_; }
  // index must be < count().
  ChunkRange Chunk(uint64_t index) const {
    ChunkRange r;
    r.index = index;
    r.offset = index * chunk_size_;
    uint64_t left = file_size() - r.offset;
    r.length = left < chunk_size_ ? left : chunk_size_;
    return r;
  }

 private:
  const Source* source_ = nullptr;
  uint64_t fixed_size_ = 0;
  uint64_t chunk_size_;
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_CHUNK_CHUNK_PLAN_H_
