// SPDX-License-Identifier: Apache-2.0
#include "pipeline/chunk_reader.h"

namespace ferry::internal {

ChunkReader::ChunkReader(ChunkLedger* ledger, const ChunkPlan* plan,
                         size_t slots)
    : ledger_(ledger), plan_(plan) {
  {
    MutexLock lock(&mu_);
    slots_.resize(std::max<size_t>(slots, 2));
  }
  worker_ = std::thread([this] { Run(); });
}

ChunkReader::~ChunkReader() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  changed_.SignalAll();
  worker_.join();
}

void ChunkReader::Run() {
  mu_.Lock();
  for (;;) {
    while (!stop_ && (failed_ || next_ >= plan_->count() ||
                      next_ >= first_ + slots_.size())) {
      changed_.Wait(&mu_);
    }
    if (stop_) break;
    uint64_t index = next_;
    uint64_t generation = generation_;
    Slot* slot = &slots_[index % slots_.size()];
    slot->ready = false;
    slot->index = -1;
    // The slot is the worker's alone until it is marked ready: the sender
    // only reads slots of chunks in [first_, next_).
    std::vector<char> bytes;
    bytes.swap(slot->bytes);
    mu_.Unlock();
    bytes.resize(plan_->Chunk(index).length);
    Status status = ledger_->Read(index, bytes.data());
    mu_.Lock();
    slot->bytes.swap(bytes);
    if (generation != generation_) continue;  // restarted meanwhile
    slot->index = static_cast<int64_t>(index);
    slot->status = status;
    slot->ready = true;
    next_ = index + 1;
    failed_ = !status.ok();
    changed_.SignalAll();
  }
  mu_.Unlock();
}

Result<std::string_view> ChunkReader::Get(uint64_t index) {
  MutexLock lock(&mu_);
  if (index < first_ || index > next_ ||
      (index == next_ && index >= first_ + slots_.size())) {
    // Not in (or next to) the window: start over from `index`.
    ++generation_;
    first_ = next_ = index;
    failed_ = false;
    for (Slot& s : slots_) s.ready = false;
  } else {
    first_ = index;  // chunks before it are done with: room to read ahead
  }
  changed_.SignalAll();
  Slot* slot = &slots_[index % slots_.size()];
  while (!(slot->ready && slot->index == static_cast<int64_t>(index))) {
    changed_.Wait(&mu_);
  }
  if (!slot->status.ok()) {
    Status failed = slot->status;
    // Asked again, it is read again.
    ++generation_;
    first_ = next_ = index;
    failed_ = false;
    for (Slot& s : slots_) s.ready = false;
    changed_.SignalAll();
    return failed.error();
  }
  return std::string_view(slot->bytes.data(), slot->bytes.size());
}

}  // namespace ferry::internal
