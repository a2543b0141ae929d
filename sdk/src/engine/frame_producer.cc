#include "engine/frame_producer.h"

#include <chrono>

#include "codec/hash.h"

namespace ferry::internal {

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
  out.status = source_->ReadAt(chunk.offset, chunk.length, raw_.data());
  if (!out.status.ok()) return out;
  std::string_view raw(raw_.data(), chunk.length);
  // The bytes must be the ones hashed before the upload began.
  if (Sha256(raw) != (*chunk_sha256_)[index]) {
    out.status =
        MakeError(FERRY_ERR_FILE_CHANGED,
                  "the file's content changed during the upload "
                  "(chunk " +
                      std::to_string(index) + " differs): " + source_->path());
    return out;
  }
  out.status = source_->CheckUnchanged();
  if (!out.status.ok()) return out;
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
  int level = chooser_->Choose(ratio);
  auto start = std::chrono::steady_clock::now();
  out.bytes = encoder_.Encode(raw, level, &out.info);
  secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
             .count();
  chooser_->OnCompressed(
      out.info.level, static_cast<double>(raw.size()), secs,
      static_cast<double>(out.bytes.size()) / static_cast<double>(raw.size()));
  return out;
}

}  // namespace ferry::internal
