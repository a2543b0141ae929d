// SPDX-License-Identifier: Apache-2.0
// A stream read once, front to back (a read callback, a pipe, standard
// input), of a declared or an unknown length. A reader thread of its own
// reads ahead while the network sends, so a slow producer and the link
// overlap; it keeps in memory the bytes from the start of the oldest chunk
// the server has not acknowledged to what was read ahead, so retries in
// this process resend from memory. The uploader bounds that window (never
// the stream's length). Bytes already released cannot be read again: a
// restart from scratch, or a resume after the process ends, is
// source_not_resumable, never a wrong object.
#ifndef FERRY_SDK_SRC_SOURCE_STREAM_SOURCE_H_
#define FERRY_SDK_SRC_SOURCE_STREAM_SOURCE_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "source/source.h"
#include "sync/mutex.h"

namespace ferry::internal {

class StreamSource : public Source {
 public:
  // `declared`: the length the app promised (the stream must end exactly
  // there), or nullopt for a length learnt at the end.
  StreamSource(StreamReadFn read, std::optional<uint64_t> declared,
               std::string name);
  // Stops the reader thread (after the read in progress returns).
  ~StreamSource() override;
  StreamSource(const StreamSource&) = delete;
  StreamSource& operator=(const StreamSource&) = delete;

  const std::string& name() const override { return name_; }
  const std::string& absolute_path() const override { return none_; }
  FileIdentity identity() const override { return FileIdentity(); }
  bool seekable() const override { return false; }
  bool length_known() const override {
    return ended_.load(std::memory_order_acquire);
  }
  uint64_t size() const override {
    return filled_.load(std::memory_order_acquire);
  }
  std::optional<uint64_t> expected_size() const override {
    if (length_known()) return size();
    return declared_;
  }
  Status ReadAt(uint64_t offset, uint64_t length, char* out) const override;
  Status CheckUnchanged() const override { return OkStatus(); }
  // Waits until `end` bytes are held or the stream ended (or failed).
  Status Fill(uint64_t end) override;
  void Release(uint64_t offset) override;
  // How far past the oldest kept byte the reader thread may read on its
  // own (0, the default: only what Fill asks for).
  void SetReadAhead(uint64_t bytes) override;

  // Bytes held in memory now (tests, and the budget's accounting).
  uint64_t held() const;

 private:
  void ReadLoop();
  // One read of at most `want` bytes into `block`; the checks of a
  // declared length and of the callback's answer.
  Result<uint64_t> ReadOnce(uint64_t at, uint64_t want,
                            std::vector<char>* block);
  uint64_t HeldBytes() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return filled_.load(std::memory_order_relaxed) - base_;
  }

  StreamReadFn read_;
  const std::optional<uint64_t> declared_;
  const std::string name_;
  const std::string none_;
  std::atomic<uint64_t> filled_{0};
  std::atomic<bool> ended_{false};
  mutable Mutex mu_;
  CondVar changed_;
  // The bytes kept, as the blocks they were read in (no copy, no moving
  // on release): byte base_ is blocks_[0][skip_].
  std::deque<std::vector<char>> blocks_ ABSL_GUARDED_BY(mu_);
  uint64_t base_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t skip_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t wanted_ ABSL_GUARDED_BY(mu_) = 0;          // what Fill waits for
  uint64_t read_ahead_ ABSL_GUARDED_BY(mu_) = 0;      // past base_
  std::optional<Error> failed_ ABSL_GUARDED_BY(mu_);  // final
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread reader_;  // started by the first Fill
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_SOURCE_STREAM_SOURCE_H_
