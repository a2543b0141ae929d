// SPDX-License-Identifier: Apache-2.0
// How ferry-upload reports: events and outcomes as JSON lines on stdout
// (-o json) or as text (results on stdout, notes and errors on stderr), and
// the exit status the outcomes add up to.
#ifndef FERRY_SAMPLES_FERRY_UPLOAD_REPORTER_H_
#define FERRY_SAMPLES_FERRY_UPLOAD_REPORTER_H_

#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_options.h"
#include "ferry/ferry.hpp"
#include "progress_display.h"

namespace ferry_cli {

// One JSON object on one line of stdout, flushed.
void PrintJsonLine(const nlohmann::json& j);

// The typed error, for people: code, message, who refused, what to do
// (lines without a final newline).
std::string TextError(const std::string& subject, const ferry::Error& e);

class Reporter {
 public:
  // `display` shows progress and takes notes in text mode; it must outlive
  // the reporter.
  Reporter(OutputFormat format, int verbosity, ProgressDisplay* display);

  void OnEvent(const std::string& file, const ferry::Event& e);
  void OnProgress(const std::string& file, const ferry::Progress& p);
  void OnBatchProgress(const ferry::BatchProgress& p);
  // A file's outcome; counted for the exit status.
  void OnOutcome(const std::string& file,
                 const ferry::Outcome<ferry::UploadResult>& r);
  // An error that is not one file's (the client, the batch, a pending
  // entry); counted.
  void OnError(const std::string& subject, const ferry::Error& e,
               const nlohmann::json& extra = nlohmann::json::object());
  // A file not attempted because the run was interrupted.
  void OnNotStarted(const std::string& file);

  // 0 all well, 1 any refusal, 3 only retryable failures; `signal` (0 or
  // the signal that interrupted the run) makes it 128 + signal.
  int ExitStatus(int signal) const;
  bool json() const { return format_ == OutputFormat::kJson; }

 private:
  void Count(const ferry::Error& e);
  void Note(const std::string& line);

  const OutputFormat format_;
  const int verbosity_;
  ProgressDisplay* display_;
  mutable std::mutex mu_;
  int refused_ = 0;    // failures that retrying cannot fix
  int retryable_ = 0;  // failures worth trying again later
};

}  // namespace ferry_cli

#endif  // FERRY_SAMPLES_FERRY_UPLOAD_REPORTER_H_
