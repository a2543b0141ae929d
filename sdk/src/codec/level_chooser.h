/* SPDX-License-Identifier: Apache-2.0 */
// Picks the zstd level for the next chunk so that the link, not the CPU, is
// the bottleneck (the idea of `zstd --adapt`). Frames are made by `workers`
// threads while earlier ones are sent, so with one worker's speed c(L), the
// ratio r(L) and the link's speed w a raw byte costs
// max(1/(workers * c(L)), r(L)/w) seconds; the level with the lowest cost
// wins, the CPU side with some headroom (the same cores hash and send).
// Stored frames (level 0) cost almost nothing to make. Thread-safe.
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

  // How many frames are made at once, and the highest level an automatic
  // choice may take (what the memory budget holds for that many encoders).
  // Set before the first Choose.
  void SetWorkers(int workers, int max_level);
  int fixed_level() const { return fixed_; }

  // The link moved `bytes` in `seconds` (whole requests only).
  void OnSent(double bytes, double seconds);
  // Compressing at `level` took `seconds` for `raw` bytes and gave `ratio`;
  // `sample_ratio`, when known (> 0), is what the chunk's level-1 sample
  // gave, from which the next chunks' ratios at this level are predicted.
  void OnCompressed(int level, double raw, double seconds, double ratio,
                    double sample_ratio = 0);

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
  // The model's level for a chunk (0: stored), the link being measured.
  int ModelLevel(double sample_ratio) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // `best` or stored, as the measured throughputs say (choice number n).
  int MeasuredVerdict(int best, double sample_ratio, uint64_t n)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int fixed_;
  mutable Mutex mu_;
  int workers_ ABSL_GUARDED_BY(mu_) = 1;
  int max_level_ ABSL_GUARDED_BY(mu_) = 6;
  std::optional<double> link_ ABSL_GUARDED_BY(mu_);  // EWMA bytes/s
  // level -> bytes/s of one worker, measured
  std::map<int, double> speed_ ABSL_GUARDED_BY(mu_);
  // level -> frame ratio / the chunk's level-1 sample ratio, measured
  std::map<int, double> vs_sample_ ABSL_GUARDED_BY(mu_);
  // level -> achieved file bytes/s, measured end to end
  std::map<int, double> achieved_ ABSL_GUARDED_BY(mu_);
  uint64_t choices_ ABSL_GUARDED_BY(mu_) = 0;
  bool stored_probe_sent_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_CODEC_LEVEL_CHOOSER_H_
