// SPDX-License-Identifier: Apache-2.0
#include "source/stream_source.h"

#include <algorithm>
#include <cstring>

namespace ferry::internal {

namespace {
constexpr uint64_t kBlock = 1 << 20;  // one read asks for at most this
}  // namespace

StreamSource::StreamSource(StreamReadFn read, std::optional<uint64_t> declared,
                           std::string name)
    : read_(std::move(read)), declared_(declared), name_(std::move(name)) {}

StreamSource::~StreamSource() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  changed_.SignalAll();
  if (reader_.joinable()) reader_.join();
}

uint64_t StreamSource::held() const {
  MutexLock lock(&mu_);
  return HeldBytes();
}

void StreamSource::SetReadAhead(uint64_t bytes) {
  MutexLock lock(&mu_);
  read_ahead_ = bytes;
  changed_.SignalAll();
}

Status StreamSource::ReadAt(uint64_t offset, uint64_t length, char* out) const {
  MutexLock lock(&mu_);
  if (offset < base_) {
    return MakeError(FERRY_ERR_SOURCE_NOT_RESUMABLE,
                     "the stream's bytes at " + std::to_string(offset) +
                         " were already sent and released; a stream cannot "
                         "be read again from there (upload it again as a "
                         "new upload)");
  }
  if (offset + length > base_ + HeldBytes()) {
    return MakeError(FERRY_ERR_INTERNAL_ERROR,
                     "read of stream bytes not yet filled");
  }
  uint64_t skip = skip_ + (offset - base_);  // into the blocks
  for (const std::vector<char>& b : blocks_) {
    if (length == 0) break;
    if (skip >= b.size()) {
      skip -= b.size();
      continue;
    }
    uint64_t n = std::min<uint64_t>(length, b.size() - skip);
    std::memcpy(out, b.data() + skip, n);
    out += n;
    length -= n;
    skip = 0;
  }
  return OkStatus();
}

Result<uint64_t> StreamSource::ReadOnce(uint64_t at, uint64_t want,
                                        std::vector<char>* block) {
  // A declared length is read exactly, then one more read must find the
  // end: a stream that goes on is refused, not cut.
  if (declared_) want = *declared_ > at ? std::min(want, *declared_ - at) : 1;
  if (block->size() < want) block->resize(want);  // scratch, reused
  Result<uint64_t> got = read_(block->data(), want);
  if (!got.ok()) return got.error();
  uint64_t n = got.value();
  if (n > want) {
    return MakeError(FERRY_ERR_INVALID_ARGUMENT,
                     "the read callback returned " + std::to_string(n) +
                         " bytes when asked for at most " +
                         std::to_string(want));
  }
  if (declared_ && at >= *declared_ && n > 0) {
    return MakeError(FERRY_ERR_FILE_CHANGED,
                     "the stream went on past its declared length of " +
                         std::to_string(*declared_) + " bytes");
  }
  if (declared_ && n == 0 && at < *declared_) {
    return MakeError(FERRY_ERR_FILE_CHANGED,
                     "the stream ended after " + std::to_string(at) +
                         " bytes, before its declared length of " +
                         std::to_string(*declared_));
  }
  return n;
}

void StreamSource::ReadLoop() {
  std::vector<char> block;
  mu_.Lock();
  for (;;) {
    uint64_t at = filled_.load(std::memory_order_relaxed);
    // Reads while someone waits for bytes, or while within the read-ahead;
    // at a declared length, at once (to check the end).
    auto more = [&] {
      return at < wanted_ || at < base_ + read_ahead_ ||
             (declared_ && at == *declared_);
    };
    while (!stop_ && !more()) changed_.Wait(&mu_);
    if (stop_) break;
    uint64_t target = std::max(wanted_, base_ + read_ahead_);
    uint64_t want = at < target ? std::min(kBlock, target - at) : 1;
    mu_.Unlock();
    Result<uint64_t> got = ReadOnce(at, want, &block);
    mu_.Lock();
    if (!got.ok()) {
      failed_ = got.error();
      break;
    }
    if (got.value() == 0) {
      ended_.store(true, std::memory_order_release);
      break;
    }
    // Into blocks of kBlock bytes, filled in turn: short reads (64 KiB
    // from a pipe) never each pin a whole block.
    for (uint64_t done = 0; done < got.value();) {
      if (blocks_.empty() || blocks_.back().size() == kBlock) {
        blocks_.emplace_back();
        blocks_.back().reserve(kBlock);
      }
      std::vector<char>& tail = blocks_.back();
      uint64_t n = std::min<uint64_t>(got.value() - done, kBlock - tail.size());
      tail.insert(tail.end(), block.data() + done, block.data() + done + n);
      done += n;
    }
    filled_.store(at + got.value(), std::memory_order_release);
    changed_.SignalAll();
  }
  changed_.SignalAll();  // the end, a failure, or a stop
  mu_.Unlock();
}

Status StreamSource::Fill(uint64_t end) {
  MutexLock lock(&mu_);
  if (!reader_.joinable() && !failed_ &&
      !ended_.load(std::memory_order_relaxed)) {
    reader_ = std::thread([this] { ReadLoop(); });
  }
  wanted_ = std::max(wanted_, end);
  changed_.SignalAll();
  // At a declared length the end is checked before answering.
  auto reached = [&] {
    uint64_t at = filled_.load(std::memory_order_relaxed);
    return at >= end && !(declared_ && at == *declared_);
  };
  while (!failed_ && !ended_.load(std::memory_order_relaxed) && !reached()) {
    changed_.Wait(&mu_);
  }
  if (failed_) return *failed_;
  return OkStatus();
}

void StreamSource::Release(uint64_t offset) {
  MutexLock lock(&mu_);
  if (offset <= base_) return;
  uint64_t drop = std::min<uint64_t>(offset - base_, HeldBytes());
  base_ += drop;
  skip_ += drop;
  while (!blocks_.empty() && skip_ >= blocks_.front().size()) {
    skip_ -= blocks_.front().size();
    blocks_.pop_front();  // its memory goes back now
  }
  changed_.SignalAll();  // room to read ahead
}

}  // namespace ferry::internal
