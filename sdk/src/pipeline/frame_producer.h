/* SPDX-License-Identifier: Apache-2.0 */
// Makes the next zstd frame of an upload — read the chunk, check it against
// its recorded hash, judge its compressibility from a sample, choose the
// level, encode — on a worker thread while the current frame is on the wire,
// so the link rather than the CPU sets the pace.
#ifndef FERRY_SDK_SRC_ENGINE_FRAME_PRODUCER_H_
#define FERRY_SDK_SRC_ENGINE_FRAME_PRODUCER_H_

#include <future>
#include <string>
#include <vector>

#include "codec/level_chooser.h"
#include "codec/zstd_frames.h"
#include "errors/error.h"
#include "pipeline/chunk_ledger.h"
#include "pipeline/chunk_plan.h"

namespace ferry::internal {

// Encodes `raw` at `level` and tells `chooser` how fast and how small.
std::string EncodeMeasured(FrameEncoder& encoder, LevelChooser& chooser,
                           std::string_view raw, int level, FrameInfo* info,
                           ChunkHash hash);

struct ProducedFrame {
  Status status = OkStatus();
  uint64_t index = 0;
  std::string bytes;
  FrameInfo info;
};

class FrameProducer {
 public:
  // All pointers must outlive the producer.
  FrameProducer(ChunkLedger* ledger, const ChunkPlan* plan,
                LevelChooser* chooser)
      : ledger_(ledger), plan_(plan), chooser_(chooser) {}
  ~FrameProducer() { Drop(); }

  // Frame `index`: the one made ahead when it matches, else made now. Then
  // starts making index + 1 in the background, when there is one.
  ProducedFrame Take(uint64_t index);
  // Waits for and forgets any frame being made ahead.
  void Drop();

 private:
  ProducedFrame Make(uint64_t index);

  ChunkLedger* ledger_;
  const ChunkPlan* plan_;
  LevelChooser* chooser_;
  // Used only by whichever single Make() runs at a time.
  FrameEncoder encoder_;
  std::vector<char> raw_;
  std::string sample_;
  std::future<ProducedFrame> ahead_;
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_ENGINE_FRAME_PRODUCER_H_
