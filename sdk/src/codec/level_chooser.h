// Picks the zstd level for the next chunk so that the link, not the CPU, is
// the bottleneck (the idea of `zstd --adapt`): with the compressor's speed
// c(L) and ratio r(L) and the link's speed w, a raw byte costs
// 1/c(L) + r(L)/w seconds; the level with the lowest cost wins. Stored
// frames (level 0) cost almost nothing to make.
#ifndef FERRY_SDK_SRC_CODEC_LEVEL_CHOOSER_H_
#define FERRY_SDK_SRC_CODEC_LEVEL_CHOOSER_H_

#include <map>
#include <optional>

namespace ferry::internal {

class LevelChooser {
 public:
  // fixed_level > 0: always that level (still stored when it cannot shrink).
  explicit LevelChooser(int fixed_level = 0) : fixed_(fixed_level) {}

  // The link moved `bytes` in `seconds` (whole requests only).
  void OnSent(double bytes, double seconds);
  // Compressing at `level` took `seconds` for `raw` bytes and gave `ratio`.
  void OnCompressed(int level, double raw, double seconds, double ratio);

  // The level for a chunk whose level-1 sample compressed to sample_ratio.
  int Choose(double sample_ratio) const;

  std::optional<double> link_bytes_per_sec() const { return link_; }

 private:
  int fixed_;
  std::optional<double> link_;                  // EWMA bytes/s
  std::map<int, std::pair<double, double>> c_;  // level -> (bytes/s, ratio)
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_CODEC_LEVEL_CHOOSER_H_
