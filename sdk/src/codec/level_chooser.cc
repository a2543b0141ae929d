#include "codec/level_chooser.h"

namespace ferry::internal {
namespace {

constexpr double kWeight = 0.3;  // EWMA: recent chunks count most
constexpr int kLevels[] = {1, 3, 6};
// Speeds assumed before a level was measured (bytes/s on one core, mixed
// data); replaced by measurements as soon as there are some.
constexpr double kAssumedSpeed[] = {400e6, 200e6, 60e6};

double Ewma(double old, double now) { return old + kWeight * (now - old); }

}  // namespace

void LevelChooser::OnSent(double bytes, double seconds) {
  if (bytes < 64 * 1024 || seconds <= 0) return;  // latency, not bandwidth
  double rate = bytes / seconds;
  link_ = link_ ? Ewma(*link_, rate) : rate;
}

void LevelChooser::OnCompressed(int level, double raw, double seconds,
                                double ratio) {
  if (level <= 0 || raw <= 0 || seconds <= 0) return;
  double speed = raw / seconds;
  auto it = c_.find(level);
  if (it == c_.end()) {
    c_[level] = {speed, ratio};
  } else {
    it->second = {Ewma(it->second.first, speed),
                  Ewma(it->second.second, ratio)};
  }
}

int LevelChooser::Choose(double sample_ratio) const {
  // Data that does not shrink is sent stored, whatever the link.
  if (sample_ratio > 0.95) return 0;
  if (fixed_ > 0) return fixed_;
  // Until the link is measured, send stored frames: on a fast link that is
  // the right choice, on a slow one it costs one chunk.
  if (!link_) return 0;
  double best_cost = 1.0 / *link_;  // stored: the link sends every byte
  int best = 0;
  for (size_t i = 0; i < sizeof kLevels / sizeof kLevels[0]; ++i) {
    int level = kLevels[i];
    double speed = kAssumedSpeed[i];
    // Higher levels shrink a little more than level 1's sample says.
    double ratio = sample_ratio * (level == 1 ? 1.0 : level == 3 ? 0.93 : 0.88);
    if (auto it = c_.find(level); it != c_.end()) {
      speed = it->second.first;
      ratio = it->second.second * 0.5 + ratio * 0.5;
    }
    double cost = 1.0 / speed + ratio / *link_;
    if (cost < best_cost * 0.95) {  // compress only for a clear gain
      best_cost = cost;
      best = level;
    }
  }
  return best;
}

}  // namespace ferry::internal
