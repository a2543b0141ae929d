// Fixed-size chunk boundaries of a file; the plan is recorded in the journal.
#ifndef FERRY_SDK_SRC_CHUNK_CHUNK_PLAN_H_
#define FERRY_SDK_SRC_CHUNK_CHUNK_PLAN_H_

#include <cstdint>

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
      : file_size_(file_size), chunk_size_(chunk_size) {}

  uint64_t file_size() const { return file_size_; }
  uint64_t chunk_size() const { return chunk_size_; }
  // An empty file has zero chunks.
  uint64_t count() const {
    return file_size_ == 0 ? 0 : (file_size_ - 1) / chunk_size_ + 1;
  }
  // The chunk holding byte `offset`; offset must be < file_size().
  uint64_t IndexAt(uint64_t offset) const { return offset / chunk_size_; }
  // index must be < count().
  ChunkRange Chunk(uint64_t index) const {
    ChunkRange r;
    r.index = index;
    r.offset = index * chunk_size_;
    uint64_t left = file_size_ - r.offset;
    r.length = left < chunk_size_ ? left : chunk_size_;
    return r;
  }

 private:
  uint64_t file_size_;
  uint64_t chunk_size_;
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_CHUNK_CHUNK_PLAN_H_
