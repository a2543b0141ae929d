// SPDX-License-Identifier: Apache-2.0
#include "codec/level_chooser.h"

#include <algorithm>

namespace ferry::internal {
namespace {

constexpr double kWeight = 0.3;  // EWMA: recent chunks count most
// The levels an automatic choice considers, what one core is assumed to
// compress at each (bytes/s) and how much smaller than level 1 its frames
// are assumed to come out, until measured (from `zstd -b` on a tar of
// /usr/lib and /usr/share in 4 MiB blocks, levels 10+ with ferry's capped
// tables; measurements replace them as soon as there are some).
struct Candidate {
  int level;
  double speed;
  double ratio_vs_level1;
};
constexpr Candidate kCandidates[] = {
    {1, 600e6, 1.0},  {3, 280e6, 0.94},  {6, 90e6, 0.90},  {9, 60e6, 0.89},
    {12, 50e6, 0.88}, {15, 15e6, 0.875}, {19, 4e6, 0.865},
};
// The compressors must keep up with the link with this much to spare:
// the same cores hash, fingerprint and send, and data varies chunk to chunk.
constexpr double kCpuHeadroom = 1.3;

double Ewma(double old, double now) { return old + kWeight * (now - old); }

}  // namespace

void LevelChooser::SetWorkers(int workers, int max_level) {
  MutexLock lock(&mu_);
  workers_ = std::max(workers, 1);
  max_level_ = max_level;
}

void LevelChooser::OnSent(double bytes, double seconds) {
  if (bytes < 64 * 1024 || seconds <= 0) return;  // latency, not bandwidth
  double rate = bytes / seconds;
  MutexLock lock(&mu_);
  link_ = link_ ? Ewma(*link_, rate) : rate;
}

void LevelChooser::OnCompressed(int level, double raw, double seconds,
                                double ratio, double sample_ratio) {
  if (level <= 0 || raw <= 0 || seconds <= 0) return;
  double speed = raw / seconds;
  MutexLock lock(&mu_);
  auto it = speed_.find(level);
  speed_[level] = it == speed_.end() ? speed : Ewma(it->second, speed);
  if (sample_ratio <= 0) return;
  double vs = ratio / sample_ratio;
  auto v = vs_sample_.find(level);
  vs_sample_[level] = v == vs_sample_.end() ? vs : Ewma(v->second, vs);
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
  int best = ModelLevel(sample_ratio);
  if (best == 0) return 0;
  return MeasuredVerdict(best, sample_ratio, n);
}

int LevelChooser::ModelLevel(double sample_ratio) const {
  // The level with the lowest cost per file byte.
  double stored_cost = 1.0 / *link_;  // stored: the link sends every byte
  double best_cost = stored_cost;
  int best = 0;
  // A level not measured yet is predicted from the highest one below it
  // that was (its measured relation to the sample, scaled by the table).
  double known_vs_sample = 1.0, known_vs_level1 = 1.0;
  for (const Candidate& candidate : kCandidates) {
    if (candidate.level > max_level_) break;
    double speed = candidate.speed;
    if (auto it = speed_.find(candidate.level); it != speed_.end()) {
      speed = it->second;
    }
    double vs_sample =
        known_vs_sample * candidate.ratio_vs_level1 / known_vs_level1;
    if (auto it = vs_sample_.find(candidate.level); it != vs_sample_.end()) {
      vs_sample = it->second;
      known_vs_sample = vs_sample;
      known_vs_level1 = candidate.ratio_vs_level1;
    }
    double ratio = sample_ratio * vs_sample;
    // Made while earlier frames are sent: the slower of the two sets the
    // pace.
    double cost = std::max(kCpuHeadroom / (workers_ * speed), ratio / *link_);
    // Compress only for a clear gain over stored; among levels, the
    // higher one only when it is cheaper.
    if (cost < std::min(best_cost, stored_cost * 0.95)) {
      best_cost = cost;
      best = candidate.level;
    }
  }
  return best;
}

int LevelChooser::MeasuredVerdict(int best, double sample_ratio, uint64_t n) {
  // The model cannot see every bottleneck (a server on this machine shares
  // its CPU with the compressor), so what stored and compressed frames
  // really achieve decides: measure one stored frame (frames chosen while
  // it is on its way are compressed), then re-check now and then.
  auto stored = achieved_.find(0);
  if (stored == achieved_.end()) {
    // The probe costs what compression would have saved on its chunk:
    // take a chunk that shrinks little, unless there is none for long.
    if (stored_probe_sent_ || (sample_ratio < 0.5 && n < 16)) return best;
    stored_probe_sent_ = true;
    return 0;
  }
  auto compressed = achieved_.find(best);
  if (compressed == achieved_.end() && best != 1) {
    compressed = achieved_.find(1);
  }
  if (compressed != achieved_.end() &&
      compressed->second < stored->second * 1.02) {
    return n % 32 == 15 ? best : 0;  // keep probing now and then
  }
  // A wide margin (a slow link) is not worth a stored frame every 32.
  bool wide = compressed != achieved_.end() &&
              compressed->second > stored->second * 1.5;
  if (n % (wide ? 256 : 32) == 31) return 0;
  return best;
}

}  // namespace ferry::internal
