// SPDX-License-Identifier: Apache-2.0
// ferry-upload's command line: what it accepts, and the ClientOptions and
// UploadOptions it makes of it.
#ifndef FERRY_SAMPLES_FERRY_UPLOAD_CLI_OPTIONS_H_
#define FERRY_SAMPLES_FERRY_UPLOAD_CLI_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ferry/ferry.hpp"

namespace ferry_cli {

// Exit statuses, as scripts rely on them (README, ferry-upload --help).
enum ExitStatus : int {
  kExitOk = 0,            // every file was uploaded
  kExitRefused = 1,       // at least one failure that retrying cannot fix
  kExitUsage = 2,         // the command line was wrong; nothing was sent
  kExitRetryable = 3,     // every failure was retryable: try again later
  kExitInterrupted = 130  // SIGINT (128 + 2); SIGTERM gives 143
};

enum class OutputFormat { kText, kJson };

struct CliOptions {
  ferry::ClientOptions client;
  ferry::UploadOptions upload;
  std::vector<std::string> operands;  // FILEs, directories or "-"
  std::string name;                   // --name
  bool recursive = false;
  bool pending = false;
  bool resume_all = false;
  std::vector<std::string> forget;
  bool discard_remote = false;
  OutputFormat output = OutputFormat::kText;
  int verbosity = 0;      // -1 with -q; +1 per -v
  uint32_t parallel = 0;  // 0: the library's choice
};

// The command line read: the options to run with, or the status to exit
// with at once (after --help, --version or a usage error, all printed).
struct ParsedCommandLine {
  std::optional<CliOptions> options;
  int exit_status = kExitOk;
};

// Reads argv (and FERRY_TOKEN / FERRY_HEADER_* from the environment).
ParsedCommandLine ParseCommandLine(int argc, char** argv);

// Prints "ferry-upload: MESSAGE" and the --help hint on stderr; returns
// kExitUsage.
int UsageError(const std::string& message);

}  // namespace ferry_cli

#endif  // FERRY_SAMPLES_FERRY_UPLOAD_CLI_OPTIONS_H_
