// SPDX-License-Identifier: Apache-2.0
// The unfinished uploads the state directory holds for this endpoint:
// --pending lists them, --forget drops them, --resume-all continues them.
#ifndef FERRY_SAMPLES_FERRY_UPLOAD_PENDING_COMMANDS_H_
#define FERRY_SAMPLES_FERRY_UPLOAD_PENDING_COMMANDS_H_

#include <string>
#include <vector>

#include "ferry/ferry.hpp"
#include "file_list.h"
#include "reporter.h"

namespace ferry_cli {

// --pending: one line (or JSON object) per entry; returns the exit status.
int ListPending(ferry::Client& client, OutputFormat format);

// --forget ID...: drops each entry (with `discard_remote`, the server's copy
// first); returns the exit status.
int ForgetPending(ferry::Client& client, const std::vector<std::string>& ids,
                  bool discard_remote, Reporter* reporter);

// --resume-all: the pending uploads that can be resumed, appended to
// `items`; each pending stream (it cannot be read again) is reported as a
// source_not_resumable error.
void AddResumablePending(ferry::Client& client, Reporter* reporter,
                         std::vector<UploadItem>* items);

}  // namespace ferry_cli

#endif  // FERRY_SAMPLES_FERRY_UPLOAD_PENDING_COMMANDS_H_
