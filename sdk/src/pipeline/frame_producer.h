/* SPDX-License-Identifier: Apache-2.0 */
// Makes the next zstd frames of an upload — read each chunk (in order),
// check it against its recorded hash, judge its compressibility from a
// sample, choose the level, encode — on worker threads while the current
// frame is on the wire, so the link rather than the CPU sets the pace. With
// several workers, several frames are made at once (one per worker), each
// still an independent frame; encoders and buffers are kept and reused.
#ifndef FERRY_SDK_SRC_ENGINE_FRAME_PRODUCER_H_
#define FERRY_SDK_SRC_ENGINE_FRAME_PRODUCER_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "codec/level_chooser.h"
#include "codec/zstd_frames.h"
#include "errors/error.h"
#include "pipeline/chunk_ledger.h"
#include "pipeline/chunk_plan.h"
#include "sync/mutex.h"

namespace ferry::internal {

// Encodes `raw` at `level` into `out` and tells `chooser` how fast and how
// small (`sample_ratio`: what the chunk's level-1 sample gave, 0 unknown).
void EncodeMeasured(FrameEncoder& encoder, LevelChooser& chooser,
                    std::string_view raw, int level, FrameInfo* info,
                    ChunkHash hash, double sample_ratio, std::string* out);

struct ProducedFrame {
  Status status = OkStatus();
  uint64_t index = 0;
  std::string bytes;
  FrameInfo info;
};

// What one frame worker holds: a chunk, its frame and an encoder at `level`.
uint64_t FrameWorkerMemory(uint64_t chunk_size, int level);
// How many frames to make at once: one per core, as many as `memory` holds
// workers at `level`; at least one.
int FrameWorkers(uint64_t memory, uint64_t chunk_size, int level);

class FrameProducer {
 public:
  // `workers` frames are made at once (>= 1). All pointers must outlive
  // the producer.
  FrameProducer(ChunkLedger* ledger, const ChunkPlan* plan,
                LevelChooser* chooser, int workers);
  ~FrameProducer();
  FrameProducer(const FrameProducer&) = delete;
  FrameProducer& operator=(const FrameProducer&) = delete;

  // Frame `index`: the one made ahead when it is the next in order, else
  // made now (everything made ahead is dropped). Then starts making the
  // frames after it, up to `workers` ahead. Called from one thread.
  ProducedFrame Take(uint64_t index);
  // Gives back a taken frame's buffer (after it was sent) for reuse.
  void Recycle(std::string bytes);
  // Waits for and forgets any frames being made ahead.
  void Drop();

 private:
  struct Worker {
    FrameEncoder encoder;
    std::vector<char> raw;
    std::string sample;
  };
  void Run(Worker* worker);
  ProducedFrame Make(Worker& worker, uint64_t index, uint64_t generation);
  void FillAhead(uint64_t after) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DropLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  ChunkLedger* const ledger_;
  const ChunkPlan* const plan_;
  LevelChooser* const chooser_;
  const uint64_t depth_;

  Mutex mu_;
  CondVar changed_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Frames of an older generation were asked for before a Drop: discarded.
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<uint64_t> queued_ ABSL_GUARDED_BY(mu_);
  uint64_t busy_ ABSL_GUARDED_BY(mu_) = 0;  // workers making a frame
  // The next chunk to read: the ledger takes first reads in order.
  uint64_t read_turn_ ABSL_GUARDED_BY(mu_) = 0;
  // [next_take_, next_queue_): asked for, in order, not taken yet.
  uint64_t next_take_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_queue_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<uint64_t, ProducedFrame> made_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> spare_ ABSL_GUARDED_BY(mu_);  // recycled buffers
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_ENGINE_FRAME_PRODUCER_H_
