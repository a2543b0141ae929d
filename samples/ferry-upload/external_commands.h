// SPDX-License-Identifier: Apache-2.0
// The app's own commands that keep secrets out of ferry-upload: one that
// gives a fresh credential header (--refresh-command) and one that presigns
// each S3 request (--presign-command).
#ifndef FERRY_SAMPLES_FERRY_UPLOAD_EXTERNAL_COMMANDS_H_
#define FERRY_SAMPLES_FERRY_UPLOAD_EXTERNAL_COMMANDS_H_

#include <optional>
#include <string>
#include <vector>

#include "cli_values.h"
#include "ferry/ferry.hpp"

namespace ferry_cli {

// A command line split into words as a shell would (quotes, $VARIABLES)
// without running anything: nullopt for command substitution ($(...),
// backquotes), a syntax error or no word. Not thread-safe (wordexp): split
// once, when the options are read.
std::optional<std::vector<std::string>> SplitCommand(const std::string& cmd);

// The commands run without a shell: posix_spawn of argv[0] (looked up on
// PATH), standard input from /dev/null, no inherited descriptor beyond
// 0-2, and a minimal environment (PATH, HOME, USER, LANG, LC_ALL, TMPDIR,
// TZ and the FERRY_* and AWS_* variables).

// Runs `argv`; its first output line "Name: value" is appended to
// `headers`. The value is a secret: it is never printed. False when the
// command fails.
bool RunRefreshCommand(const std::vector<std::string>& argv,
                       HeaderPairs* headers);

// Runs `argv OP METHOD BUCKET KEY UPLOAD_ID PART ['Name: value'...]`, each
// value one argument of its own; its first output line is the presigned
// URL. Safe to call from several threads at once.
std::optional<std::string> RunPresignCommand(
    const std::vector<std::string>& argv, const ferry::S3PresignRequest& r);

}  // namespace ferry_cli

#endif  // FERRY_SAMPLES_FERRY_UPLOAD_EXTERNAL_COMMANDS_H_
