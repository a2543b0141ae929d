/* SPDX-License-Identifier: Apache-2.0 */
// Picks the zstd level for the next chunk so that the link, not the CPU, is
// the bottleneck (the idea of `zstd --adapt`). Frames are made while the
// previous one is sent, so with the compressor's speed c(L), its ratio r(L)
// and the link's speed w a raw byte costs max(1/c(L), r(L)/w) seconds; the
// level with the lowest cost wins. Stored frames (level 0) cost almost
// nothing to make. Thread-safe.
#ifndef FERRY_SDK_SRC_CODEC_LEVEL_CHOOSER_H_
#define FERRY_SDK_SRC_CODEC_LEVEL_CHOOSER_H_

#include <cstdint>
#include <map>
#include <optional>

#include "sync/mutex.h"

namespace ferry::internal {

// A sample that compresses to more than this fraction of its size is
// sent stored: compressing it would cost more than it saves.
inline constexpr double kStoredRatio = 0.95;

class LevelChooser {
 public:
  // fixed_level > 0: always that level (still stored when it cannot shrink).
  explicit LevelChooser(int fixed_level = 0) : fixed_(fixed_level) {}

  // The link moved `bytes` in `seconds` (whole requests only).
  void OnSent(double bytes, double seconds);
  // Compressing at `level` took `seconds` for `raw` bytes and gave `ratio`.
  void OnCompressed(int level, double raw, double seconds, double ratio);

  // A frame made at `level` finished: `raw` file bytes in `seconds` since
  // the previous one finished (making and sending overlap, so this is what
  // that level really achieves end to end).
  void OnFrameDone(int level, double raw, double seconds);

  // The level for a chunk whose level-1 sample compressed to sample_ratio.
  int Choose(double sample_ratio);

  std::optional<double> link_bytes_per_sec() const {
    MutexLock lock(&mu_);
    return link_;
  }

 private:
  const int fixed_;
  mutable Mutex mu_;
  std::optional<double> link_ ABSL_GUARDED_BY(mu_);  // EWMA bytes/s
  // level -> (bytes/s, ratio)
  std::map<int, std::pair<double, double>> c_ ABSL_GUARDED_BY(mu_);
  // level -> achieved file bytes/s, measured end to end
  std::map<int, double> achieved_ ABSL_GUARDED_BY(mu_);
  uint64_t choices_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_CODEC_LEVEL_CHOOSER_H_
