// SPDX-License-Identifier: Apache-2.0
#include "pipeline/frame_producer.h"

#include <chrono>

namespace ferry::internal {

std::string EncodeMeasured(FrameEncoder& encoder, LevelChooser& chooser,
                           std::string_view raw, int level, FrameInfo* info,
                           ChunkHash hash) {
  auto start = std::chrono::steady_clock::now();
  std::string frame = encoder.Encode(raw, level, info, hash);
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  chooser.OnCompressed(
      info->level, static_cast<double>(raw.size()), secs,
      static_cast<double>(frame.size()) / static_cast<double>(raw.size()));
  return frame;
}

void FrameProducer::Drop() {
  if (ahead_.valid()) ahead_.get();
}

ProducedFrame FrameProducer::Take(uint64_t index) {
  ProducedFrame frame;
  bool have = false;
  if (ahead_.valid()) {
    frame = ahead_.get();
    have = frame.index == index;
  }
  if (!have) frame = Make(index);
  if (frame.status.ok() && index + 1 < plan_->count()) {
    ahead_ = std::async(std::launch::async,
                        [this, index] { return Make(index + 1); });
  }
  return frame;
}

ProducedFrame FrameProducer::Make(uint64_t index) {
  ProducedFrame out;
  out.index = index;
  ChunkRange chunk = plan_->Chunk(index);
  raw_.resize(chunk.length);
  out.status = ledger_->Read(index, raw_.data());
  if (!out.status.ok()) return out;
  std::string_view raw(raw_.data(), chunk.length);
  // Eight slices spread over the chunk judge mixed content (archives of
  // libraries, images and text) better than one block from its middle.
  constexpr size_t kSlices = 8, kSlice = 16 * 1024;
  sample_.clear();
  if (raw.size() <= kSlices * kSlice) {
    sample_.assign(raw);
  } else {
    for (size_t i = 0; i < kSlices; ++i) {
      sample_.append(
          raw.substr((raw.size() - kSlice) * i / (kSlices - 1), kSlice));
    }
  }
  double secs = 0;
  double ratio = encoder_.SampleRatio(sample_, 1, &secs);
  chooser_->OnCompressed(1, static_cast<double>(sample_.size()), secs, ratio);
  out.bytes = EncodeMeasured(encoder_, *chooser_, raw, chooser_->Choose(ratio),
                             &out.info, ledger_->hash());
  return out;
}

}  // namespace ferry::internal
