// SPDX-License-Identifier: Apache-2.0
// Progress for people: a bar redrawn in place on a terminal, or with -v and
// no terminal a line every few seconds. Notes and errors are printed through
// it, so they never land in the middle of the bar.
#ifndef FERRY_SAMPLES_FERRY_UPLOAD_PROGRESS_DISPLAY_H_
#define FERRY_SAMPLES_FERRY_UPLOAD_PROGRESS_DISPLAY_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>

namespace ferry_cli {

// What one progress report says, for one file or a whole batch.
struct ProgressSample {
  uint64_t acked = 0;  // bytes the server confirmed
  uint64_t sent = 0;   // bytes handed to the network (>= acked)
  uint64_t total = 0;  // the size, or what was read so far
  bool total_known = true;
  uint64_t wire = 0;  // bytes on the wire (compressed)
};

class ProgressDisplay {
 public:
  enum class Mode { kNone, kBar, kLines };
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // Writes to stderr. `clock` is injected for tests of the rate and ETA.
  explicit ProgressDisplay(Mode mode, Clock clock = nullptr);
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  // A new transfer named `label` starts: rate and ETA start over.
  void Begin(const std::string& label);
  void Update(const ProgressSample& sample);
  // A line of its own (a note or an error): the bar is cleared first and
  // redrawn after it.
  void Note(const std::string& line);
  // The transfer ended: the bar's last state stays on its own line.
  void End();

  // "12.3 MiB".
  static std::string HumanBytes(double bytes);
  // "1:02:03", "4:05", "0:07"; "--:--" when unknown.
  static std::string HumanDuration(double seconds);

 private:
  std::string Render() const;
  double Rate() const;  // bytes/s sent over the last few seconds
  void Redraw();

  const Mode mode_;
  Clock clock_;
  std::mutex mu_;
  std::string label_;
  ProgressSample last_;
  std::chrono::steady_clock::time_point start_, last_line_;
  // (time, sent) samples of the last few seconds, for the rate.
  std::deque<std::pair<std::chrono::steady_clock::time_point, uint64_t>>
      window_;
  bool drawn_ = false;
  bool active_ = false;
};

}  // namespace ferry_cli

#endif  // FERRY_SAMPLES_FERRY_UPLOAD_PROGRESS_DISPLAY_H_
