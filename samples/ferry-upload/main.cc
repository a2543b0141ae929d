// SPDX-License-Identifier: Apache-2.0
// ferry-upload: upload files with ferry from the command line.
//
//   ferry-upload --endpoint URL [OPTION]... FILE...
//
// This file is the whole flow, and a guide to using ferry.hpp: read the
// command line into ClientOptions (cli_options.cc), make a Client, then
// upload one file at a time (Client::Upload with a Source) or many at once
// (Client::UploadBatch), reporting events and outcomes (reporter.cc) and
// progress (progress_display.cc). The exit status says how it went: 0 all
// uploaded, 1 refused, 2 usage, 3 retryable (try later), 130 interrupted.
#include <unistd.h>

#include <atomic>
#include <csignal>

#include "cli_options.h"
#include "ferry/ferry.hpp"
#include "file_list.h"
#include "pending_commands.h"
#include "progress_display.h"
#include "reporter.h"

namespace {

using ferry_cli::CliOptions;
using ferry_cli::Reporter;
using ferry_cli::UploadItem;

// The signal that interrupted the run (SIGINT, SIGTERM), or 0. Callbacks
// see it and return false, which cancels the upload and keeps its state.
std::atomic<int> g_signal{0};

void OnSignal(int sig) { g_signal = sig; }
bool Running() { return g_signal.load() == 0; }

std::string Basename(const std::string& path) {
  return path.substr(path.rfind('/') + 1);
}

// What the upload of `item` reads: a path, or standard input as a stream.
ferry::Outcome<ferry::Source> SourceFor(const UploadItem& item) {
  if (item.path == "-") {
    ferry::Outcome<ferry::Source> in = ferry::Source::Fd(STDIN_FILENO);
    if (in.ok() && !item.name.empty()) in.value().Name(item.name);
    return in;
  }
  ferry::Source file = ferry::Source::Path(item.path);
  if (!item.name.empty()) file.Name(item.name);
  return file;
}

// One file after another, each with its own progress bar.
void UploadEach(ferry::Client& client, const CliOptions& cli,
                const std::vector<UploadItem>& items, Reporter* reporter,
                ferry_cli::ProgressDisplay* display) {
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string& file = items[i].path;
    if (!Running()) {
      reporter->OnNotStarted(file);
      continue;
    }
    ferry::UploadOptions o = cli.upload;
    o.on_progress = [&](const ferry::Progress& p) {
      reporter->OnProgress(file, p);
      return Running();
    };
    o.on_event = [&](const ferry::Event& e) {
      reporter->OnEvent(file, e);
      return Running();
    };
    display->Begin(items[i].name.empty() ? Basename(file) : items[i].name);
    ferry::Outcome<ferry::Source> source = SourceFor(items[i]);
    auto outcome = source.ok()
                       ? client.Upload(source.value(), o)
                       : ferry::Outcome<ferry::UploadResult>(source.error());
    display->End();
    reporter->OnOutcome(file, outcome);
  }
}

// Many files at once over shared connections, one progress line for all.
void UploadAsBatch(ferry::Client& client, const CliOptions& cli,
                   const std::vector<UploadItem>& items, Reporter* reporter,
                   ferry_cli::ProgressDisplay* display) {
  std::vector<std::string> paths;
  ferry::BatchOptions b;
  for (const UploadItem& item : items) {
    paths.push_back(item.path);
    b.names.push_back(item.name);
  }
  b.concurrency = cli.parallel;
  b.metadata = cli.upload.metadata;
  b.object_headers = cli.upload.object_headers;
  b.guess_content_type = cli.upload.guess_content_type;
  b.discard_on_cancel = cli.upload.discard_on_cancel;
  b.restart_on_change = cli.upload.restart_on_change;
  b.on_progress = [&](const ferry::BatchProgress& p) {
    reporter->OnBatchProgress(p);
    return Running();
  };
  b.on_event = [&](const ferry::Event& e) {
    reporter->OnEvent(paths[e.file_index], e);
    return Running();
  };
  std::vector<bool> reported(paths.size(), false);
  b.on_file_done = [&](uint32_t i,
                       const ferry::Outcome<ferry::UploadResult>& r) {
    reported[i] = true;
    reporter->OnOutcome(paths[i], r);
  };
  display->Begin(std::to_string(paths.size()) + " files");
  auto outcomes = client.UploadBatch(paths, b);
  display->End();
  // Files that never started (interrupted) had no on_file_done call.
  for (size_t i = 0; i < outcomes.size(); ++i) {
    if (!reported[i]) reporter->OnOutcome(paths[i], outcomes[i]);
  }
}

ferry_cli::ProgressDisplay::Mode DisplayMode(const CliOptions& cli) {
  using Mode = ferry_cli::ProgressDisplay::Mode;
  if (cli.output == ferry_cli::OutputFormat::kJson || cli.verbosity < 0) {
    return Mode::kNone;
  }
  if (::isatty(STDERR_FILENO)) return Mode::kBar;
  return cli.verbosity > 0 ? Mode::kLines : Mode::kNone;
}

}  // namespace

int main(int argc, char** argv) {
  ferry_cli::ParsedCommandLine parsed = ferry_cli::ParseCommandLine(argc, argv);
  if (!parsed.options) return parsed.exit_status;
  CliOptions& cli = *parsed.options;

  ferry_cli::ProgressDisplay display(DisplayMode(cli));
  Reporter reporter(cli.output, cli.verbosity, &display);
  auto client = ferry::Client::Create(cli.client);
  if (!client.ok()) {
    reporter.OnError("(client)", client.error());
    return client.error().code == ferry::Code::k_invalid_argument
               ? ferry_cli::kExitUsage
               : reporter.ExitStatus(0);
  }
  ferry::Client& c = *client.value();
  if (cli.pending) return ferry_cli::ListPending(c, cli.output);
  if (!cli.forget.empty()) {
    return ferry_cli::ForgetPending(c, cli.forget, cli.discard_remote,
                                    &reporter);
  }

  // With --recursive, --key is the prefix of every key.
  std::string prefix;
  if (cli.recursive && !cli.upload.object_key.empty()) {
    prefix = cli.upload.object_key;
    if (prefix.back() != '/') prefix += '/';
    cli.upload.object_key.clear();
  }
  std::vector<UploadItem> items;
  if (auto error = ferry_cli::ExpandOperands(cli.operands, cli.recursive,
                                             prefix, &items)) {
    return ferry_cli::UsageError(*error);
  }
  if (items.size() == 1 && !cli.name.empty()) items[0].name = cli.name;
  if (cli.resume_all) ferry_cli::AddResumablePending(c, &reporter, &items);
  if (items.empty()) return reporter.ExitStatus(0);
  if (auto refused = c.CheckBatch(static_cast<uint32_t>(items.size()))) {
    reporter.OnError("(batch)", *refused);
    return reporter.ExitStatus(0);
  }

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  if (cli.parallel != 1 && items.size() > 1) {
    UploadAsBatch(c, cli, items, &reporter, &display);
  } else {
    UploadEach(c, cli, items, &reporter, &display);
  }
  return reporter.ExitStatus(g_signal.load());
}
