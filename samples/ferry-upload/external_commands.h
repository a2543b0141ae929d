// SPDX-License-Identifier: Apache-2.0
// The app's own commands that keep secrets out of ferry-upload: one that
// gives a fresh credential header (--refresh-command) and one that presigns
// each S3 request (--presign-command).
#ifndef FERRY_SAMPLES_FERRY_UPLOAD_EXTERNAL_COMMANDS_H_
#define FERRY_SAMPLES_FERRY_UPLOAD_EXTERNAL_COMMANDS_H_

#include <optional>
#include <string>

#include "cli_values.h"
#include "ferry/ferry.hpp"

namespace ferry_cli {

// Runs `cmd`; its first output line "Name: value" is appended to `headers`.
// The value is a secret: it is never printed. False when the command fails.
bool RunRefreshCommand(const std::string& cmd, HeaderPairs* headers);

// Runs `cmd OP METHOD BUCKET KEY UPLOAD_ID PART ['Name: value'...]`, every
// word shell-quoted; its first output line is the presigned URL. Safe to
// call from several threads at once.
std::optional<std::string> RunPresignCommand(const std::string& cmd,
                                             const ferry::S3PresignRequest& r);

}  // namespace ferry_cli

#endif  // FERRY_SAMPLES_FERRY_UPLOAD_EXTERNAL_COMMANDS_H_
