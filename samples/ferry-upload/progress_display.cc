// SPDX-License-Identifier: Apache-2.0
#include "progress_display.h"

#include <cstdio>

namespace ferry_cli {
namespace {

using std::chrono::steady_clock;
constexpr auto kRateWindow = std::chrono::seconds(5);
constexpr auto kLineEvery = std::chrono::seconds(5);

double Seconds(steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

ProgressDisplay::ProgressDisplay(Mode mode, Clock clock)
    : mode_(mode),
      clock_(clock ? std::move(clock) : [] { return steady_clock::now(); }) {}

void ProgressDisplay::Begin(const std::string& label) {
  std::lock_guard<std::mutex> lock(mu_);
  label_ = label;
  last_ = ProgressSample{};
  start_ = last_line_ = clock_();
  window_.clear();
  window_.emplace_back(start_, 0);
  active_ = true;
}

void ProgressDisplay::Update(const ProgressSample& sample) {
  std::lock_guard<std::mutex> lock(mu_);
  if (mode_ == Mode::kNone || !active_) return;
  steady_clock::time_point now = clock_();
  last_ = sample;
  window_.emplace_back(now, sample.sent);
  while (window_.size() > 2 && now - window_[1].first > kRateWindow) {
    window_.pop_front();
  }
  if (mode_ == Mode::kBar) {
    Redraw();
  } else if (now - last_line_ >= kLineEvery) {
    last_line_ = now;
    std::fprintf(stderr, "%s\n", Render().c_str());
  }
}

void ProgressDisplay::Note(const std::string& line) {
  std::lock_guard<std::mutex> lock(mu_);
  if (drawn_) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "%s\n", line.c_str());
  if (drawn_) Redraw();
}

void ProgressDisplay::End() {
  std::lock_guard<std::mutex> lock(mu_);
  if (drawn_) std::fprintf(stderr, "\n");
  drawn_ = false;
  active_ = false;
}

double ProgressDisplay::Rate() const {
  if (window_.size() < 2) return 0;
  const auto& [t0, b0] = window_.front();
  const auto& [t1, b1] = window_.back();
  double secs = Seconds(t1 - t0);
  // Under a quarter second the rate says more noise than speed.
  return secs >= 0.25 && b1 >= b0 ? double(b1 - b0) / secs : 0;
}

std::string ProgressDisplay::Render() const {
  double rate = Rate();
  char line[256];
  if (!last_.total_known) {
    std::snprintf(line, sizeof line, "%-20.20s %10s acked %10s sent %10s/s",
                  label_.c_str(), HumanBytes(double(last_.acked)).c_str(),
                  HumanBytes(double(last_.sent)).c_str(),
                  HumanBytes(rate).c_str());
    return line;
  }
  double frac = last_.total ? double(last_.acked) / double(last_.total) : 1.0;
  if (frac > 1) frac = 1;
  constexpr int kWidth = 24;
  int acked = static_cast<int>(frac * kWidth);
  double sent_frac =
      last_.total ? double(last_.sent) / double(last_.total) : 1.0;
  int sent = static_cast<int>((sent_frac > 1 ? 1 : sent_frac) * kWidth);
  if (sent < acked) sent = acked;
  // '#' acknowledged, '>' sent and not yet acknowledged, '.' to come.
  std::string bar(acked, '#');
  bar += std::string(sent - acked, '>');
  bar += std::string(kWidth - sent, '.');
  uint64_t left = last_.total > last_.acked ? last_.total - last_.acked : 0;
  std::string eta =
      rate > 0 ? HumanDuration(double(left) / rate) : HumanDuration(-1);
  std::snprintf(line, sizeof line, "%-20.20s [%s] %3d%% %9s/%-9s %9s/s ETA %s",
                label_.c_str(), bar.c_str(), static_cast<int>(frac * 100),
                HumanBytes(double(last_.acked)).c_str(),
                HumanBytes(double(last_.total)).c_str(),
                HumanBytes(rate).c_str(), eta.c_str());
  return line;
}

void ProgressDisplay::Redraw() {
  if (mode_ != Mode::kBar || !active_) return;
  std::fprintf(stderr, "\r\033[K%s", Render().c_str());
  std::fflush(stderr);
  drawn_ = true;
}

std::string ProgressDisplay::HumanBytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return buf;
}

std::string ProgressDisplay::HumanDuration(double seconds) {
  if (seconds < 0 || seconds > 360000) return "--:--";
  auto s = static_cast<long>(seconds + 0.5);  // NOLINT
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60,
                  s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  }
  return buf;
}

}  // namespace ferry_cli
