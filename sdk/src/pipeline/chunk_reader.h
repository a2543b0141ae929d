/* SPDX-License-Identifier: Apache-2.0 */
// Chunks of the file for sending, read through the ledger (so each is
// fingerprinted or checked) by a worker thread that keeps up to `slots - 1`
// chunks ready ahead of the one being sent: the network does not wait for
// the disk or the hashes, and memory stays at `slots` chunks.
#ifndef FERRY_SDK_SRC_ENGINE_CHUNK_READER_H_
#define FERRY_SDK_SRC_ENGINE_CHUNK_READER_H_

#include <cstdint>
#include <string_view>
#include <thread>
#include <vector>

#include "errors/error.h"
#include "pipeline/chunk_ledger.h"
#include "pipeline/chunk_plan.h"
#include "sync/mutex.h"

namespace ferry::internal {

class ChunkReader {
 public:
  // Both pointers must outlive the reader. slots >= 2.
  ChunkReader(ChunkLedger* ledger, const ChunkPlan* plan, size_t slots);
  ~ChunkReader();
  ChunkReader(const ChunkReader&) = delete;
  ChunkReader& operator=(const ChunkReader&) = delete;

  // Chunk `index` through the ledger (file_changed, file_unreadable). The
  // view is valid until the next call. Asking for the next chunks in order
  // finds them read ahead; any other index starts reading from there.
  Result<std::string_view> Get(uint64_t index);

 private:
  struct Slot {
    int64_t index = -1;
    bool ready = false;
    std::vector<char> bytes;
    Status status = OkStatus();
  };
  void Run();

  ChunkLedger* const ledger_;
  const ChunkPlan* const plan_;
  Mutex mu_;
  CondVar changed_;
  std::vector<Slot> slots_ ABSL_GUARDED_BY(mu_);  // chunk i in slot i % size
  uint64_t first_ ABSL_GUARDED_BY(mu_) = 0;       // the chunk being sent
  uint64_t next_ ABSL_GUARDED_BY(mu_) = 0;        // the next one to read
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // bumped when restarted
  bool failed_ ABSL_GUARDED_BY(mu_) = false;      // stop at a failed read
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread worker_;
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_ENGINE_CHUNK_READER_H_
