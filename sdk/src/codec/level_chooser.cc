// SPDX-License-Identifier: Apache-2.0
#include "codec/level_chooser.h"

#include <algorithm>

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
  MutexLock lock(&mu_);
  link_ = link_ ? Ewma(*link_, rate) : rate;
}

void LevelChooser::OnCompressed(int level, double raw, double seconds,
                                double ratio) {
  if (level <= 0 || raw <= 0 || seconds <= 0) return;
  double speed = raw / seconds;
  MutexLock lock(&mu_);
  auto it = c_.find(level);
  if (it == c_.end()) {
    c_[level] = {speed, ratio};
  } else {
    it->second = {Ewma(it->second.first, speed),
                  Ewma(it->second.second, ratio)};
  }
}

void LevelChooser::OnFrameDone(int level, double raw, double seconds) {
  if (raw <= 0 || seconds <= 0) return;
  double rate = raw / seconds;
  MutexLock lock(&mu_);
  auto it = achieved_.find(level);
  if (it == achieved_.end()) {
    achieved_[level] = rate;
  } else {
    it->second = Ewma(it->second, rate);
  }
}

int LevelChooser::Choose(double sample_ratio) {
  // Data that does not shrink is sent stored, whatever the link.
  if (sample_ratio > kStoredRatio) return 0;
  if (fixed_ > 0) return fixed_;
  MutexLock lock(&mu_);
  uint64_t n = choices_++;
  // Until the link is measured: clearly compressible data gets level 1
  // (cheap on any link), the rest goes stored.
  if (!link_) return sample_ratio < 0.8 ? 1 : 0;
  // The model: the level with the lowest cost per file byte.
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
    // Made while the previous frame is sent: the slower of the two sets
    // the pace.
    double cost = std::max(1.0 / speed, ratio / *link_);
    if (cost < best_cost * 0.95) {  // compress only for a clear gain
      best_cost = cost;
      best = level;
    }
  }
  if (best == 0) return 0;
  // The model cannot see every bottleneck (a server on this machine shares
  // its CPU with the compressor), so what stored and compressed frames
  // really achieve decides: measure stored once, re-check every 32 frames.
  auto stored = achieved_.find(0);
  if (stored == achieved_.end() || n % 32 == 31) return 0;
  auto compressed = achieved_.find(best);
  if (compressed == achieved_.end() && best != 1) {
    compressed = achieved_.find(1);
  }
  if (compressed != achieved_.end() &&
      compressed->second < stored->second * 1.02) {
    return n % 32 == 15 ? best : 0;  // keep probing now and then
  }
  return best;
}

}  // namespace ferry::internal
