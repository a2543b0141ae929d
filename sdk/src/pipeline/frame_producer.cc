// SPDX-License-Identifier: Apache-2.0
#include "pipeline/frame_producer.h"

#include <algorithm>
#include <chrono>

namespace ferry::internal {

void EncodeMeasured(FrameEncoder& encoder, LevelChooser& chooser,
                    std::string_view raw, int level, FrameInfo* info,
                    ChunkHash hash, double sample_ratio, std::string* out) {
  auto start = std::chrono::steady_clock::now();
  encoder.Encode(raw, level, info, hash, out);
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  chooser.OnCompressed(
      info->level, static_cast<double>(raw.size()), secs,
      static_cast<double>(out->size()) / static_cast<double>(raw.size()),
      sample_ratio);
}

uint64_t FrameWorkerMemory(uint64_t chunk_size, int level) {
  return 2 * chunk_size + EncoderMemory(level, chunk_size);
}

int FrameWorkers(uint64_t memory, uint64_t chunk_size, int level) {
  uint64_t cores = std::max(1u, std::thread::hardware_concurrency());
  uint64_t each = FrameWorkerMemory(chunk_size, level);
  return static_cast<int>(std::clamp<uint64_t>(memory / each, 1, cores));
}

FrameProducer::FrameProducer(ChunkLedger* ledger, const ChunkPlan* plan,
                             LevelChooser* chooser, int workers)
    : ledger_(ledger),
      plan_(plan),
      chooser_(chooser),
      depth_(static_cast<uint64_t>(std::max(workers, 1))) {
  for (uint64_t i = 0; i < depth_; ++i) {
    workers_.push_back(std::make_unique<Worker>());
    threads_.emplace_back([this, w = workers_.back().get()] { Run(w); });
  }
}

FrameProducer::~FrameProducer() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    ++generation_;
    changed_.SignalAll();
  }
  for (std::thread& t : threads_) t.join();
}

void FrameProducer::Run(Worker* worker) {
  for (;;) {
    uint64_t index, generation;
    {
      MutexLock lock(&mu_);
      while (!stopping_ && queued_.empty()) changed_.Wait(&mu_);
      if (stopping_) return;
      index = queued_.front();
      queued_.pop_front();
      generation = generation_;
      ++busy_;
    }
    ProducedFrame frame = Make(*worker, index, generation);
    MutexLock lock(&mu_);
    --busy_;
    if (generation == generation_) {
      made_[index] = std::move(frame);
    } else if (spare_.size() < depth_) {
      spare_.push_back(std::move(frame.bytes));
    }
    changed_.SignalAll();
  }
}

ProducedFrame FrameProducer::Make(Worker& worker, uint64_t index,
                                  uint64_t generation) {
  ProducedFrame out;
  out.index = index;
  ChunkRange chunk = plan_->Chunk(index);
  worker.raw.resize(chunk.length);
  {
    // The ledger fingerprints first reads in order: each waits its turn.
    MutexLock lock(&mu_);
    while (read_turn_ != index && generation == generation_) {
      changed_.Wait(&mu_);
    }
    if (generation != generation_) return out;  // dropped: never taken
  }
  out.status = ledger_->Read(index, worker.raw.data());
  {
    MutexLock lock(&mu_);
    if (generation == generation_) read_turn_ = index + 1;
    changed_.SignalAll();
    if (!spare_.empty()) {
      out.bytes = std::move(spare_.back());
      spare_.pop_back();
    }
  }
  if (!out.status.ok()) return out;
  std::string_view raw(worker.raw.data(), chunk.length);
  // Eight slices spread over the chunk judge mixed content (archives of
  // libraries, images and text) better than one block from its middle.
  constexpr size_t kSlices = 8, kSlice = 16 * 1024;
  std::string& sample = worker.sample;
  sample.clear();
  if (raw.size() <= kSlices * kSlice) {
    sample.assign(raw);
  } else {
    for (size_t i = 0; i < kSlices; ++i) {
      sample.append(
          raw.substr((raw.size() - kSlice) * i / (kSlices - 1), kSlice));
    }
  }
  double secs = 0;
  double ratio = worker.encoder.SampleRatio(sample, 1, &secs);
  chooser_->OnCompressed(1, static_cast<double>(sample.size()), secs, ratio);
  EncodeMeasured(worker.encoder, *chooser_, raw, chooser_->Choose(ratio),
                 &out.info, ledger_->hash(), ratio, &out.bytes);
  return out;
}

void FrameProducer::FillAhead(uint64_t after) {
  uint64_t end = std::min(plan_->count(), after + depth_);
  while (next_queue_ < end) queued_.push_back(next_queue_++);
  changed_.SignalAll();
}

void FrameProducer::DropLocked() {
  ++generation_;
  queued_.clear();
  changed_.SignalAll();
  while (busy_ > 0) changed_.Wait(&mu_);
  for (auto& [index, frame] : made_) {
    if (spare_.size() < depth_) spare_.push_back(std::move(frame.bytes));
  }
  made_.clear();
  // The next Take starts afresh wherever it asks.
  next_queue_ = next_take_;
}

void FrameProducer::Drop() {
  MutexLock lock(&mu_);
  DropLocked();
}

void FrameProducer::Recycle(std::string bytes) {
  MutexLock lock(&mu_);
  if (spare_.size() < depth_) spare_.push_back(std::move(bytes));
}

ProducedFrame FrameProducer::Take(uint64_t index) {
  MutexLock lock(&mu_);
  if (index != next_take_ || index >= next_queue_) {
    DropLocked();
    read_turn_ = next_take_ = next_queue_ = index;
  }
  FillAhead(index);
  while (made_.find(index) == made_.end()) changed_.Wait(&mu_);
  ProducedFrame frame = std::move(made_[index]);
  made_.erase(index);
  if (!frame.status.ok()) {
    // Whatever was made after a failed frame is not to be trusted.
    DropLocked();
    return frame;
  }
  next_take_ = index + 1;
  FillAhead(next_take_);
  return frame;
}

}  // namespace ferry::internal
