// SPDX-License-Identifier: Apache-2.0
#include "session/source_checks.h"

#include <cctype>

#include "codec/level_chooser.h"
#include "http/url.h"

namespace ferry::internal {

Status CheckFilePolicy(const ClientConfig& config, const Source& source) {
  std::string name = source.name();
  for (char& c : name) c = static_cast<char>(std::tolower(c));
  for (const std::string& ext : config.blocked_extensions) {
    if (name.size() >= ext.size() &&
        name.compare(name.size() - ext.size(), ext.size(), ext) == 0) {
      Error e = MakeError(FERRY_ERR_FILE_TYPE_BLOCKED,
                          "files of type " + ext +
                              " are not accepted by this service (refused "
                              "before sending, per the app's policy list)");
      e.url = RedactUrl(config.endpoint);
      return e;
    }
  }
  return OkStatus();
}

Result<bool> SampleCompresses(const Source& source, FrameEncoder* encoder) {
  // Windows spread over the file, so a compressible body behind an
  // incompressible header (or the reverse) still shows. A stream of
  // unknown length is judged by what was read ahead.
  constexpr uint64_t kWindow = 64 << 10;
  constexpr uint64_t kWindows = 8;
  uint64_t size = source.size();
  std::string sample;
  if (size <= kWindow * kWindows) {
    sample.resize(size);
    Status s = source.ReadAt(0, size, sample.data());
    if (!s.ok()) return s.error();
  } else {
    // Windows that do not overlap: a repeat would look compressible.
    uint64_t step = (size - kWindow) / (kWindows - 1);
    sample.resize(kWindow * kWindows);
    for (uint64_t i = 0; i < kWindows; ++i) {
      Status s = source.ReadAt(i * step, kWindow, &sample[i * kWindow]);
      if (!s.ok()) return s.error();
    }
  }
  double seconds = 0;
  return encoder->SampleRatio(sample, 1, &seconds) <= kStoredRatio;
}

Result<std::optional<JournalRecord>> LoadResumeState(
    const Journal& journal, std::string_view key, std::string_view abs_path,
    const std::function<bool(const Event&)>& emit, const Error& cancelled) {
  // Load opens (and checks) the directory first: its error is Prepare's.
  Journal::Loaded loaded = journal.Load(key, abs_path);
  if (loaded.state == Journal::LoadState::kDirectoryRefused)
    return *loaded.error;
  if (loaded.state == Journal::LoadState::kCorrupt) {
    Event e;
    e.type = FERRY_EVENT_STATE_DISCARDED;
    e.message = "discarded unusable resume state: " + loaded.problem;
    if (!emit(e)) return cancelled;
    Status removed = journal.Remove(key, abs_path);
    if (!removed.ok()) return removed.error();
  }
  if (loaded.state != Journal::LoadState::kLoaded) {
    return std::optional<JournalRecord>();
  }
  return std::optional<JournalRecord>(std::move(loaded.record));
}

}  // namespace ferry::internal
