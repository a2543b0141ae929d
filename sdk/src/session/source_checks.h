// SPDX-License-Identifier: Apache-2.0
// What every upload does before sending, whatever the protocol: the app's
// policy list, whether the file is worth compressing, and loading the
// resume state.
#ifndef FERRY_SDK_SRC_ENGINE_FILE_CHECKS_H_
#define FERRY_SDK_SRC_ENGINE_FILE_CHECKS_H_

#include <functional>
#include <optional>
#include <string>

#include "client/client_core.h"
#include "codec/zstd_frames.h"
#include "errors/error.h"
#include "journal/journal.h"
#include "source/file_source.h"  // Basename

namespace ferry::internal {

// file_type_blocked when the file's extension is on the app's list.
Status CheckFilePolicy(const ClientConfig& config, const Source& source);

// Whether a sample of the file shrinks under zstd level 1 (auto mode sends a
// file that does not as identity). Errors: file_unreadable, file_changed.
Result<bool> SampleCompresses(const Source& source, FrameEncoder* encoder);

// Prepares the journal and loads the record for (key, path). A corrupt
// record is reported through `emit` (state_discarded) and removed, and the
// upload starts fresh. Returns the usable record, if any. Errors:
// state_unwritable; `cancelled` when `emit` returns false.
Result<std::optional<JournalRecord>> LoadResumeState(
    const Journal& journal, std::string_view key, std::string_view abs_path,
    const std::function<bool(const Event&)>& emit, const Error& cancelled);

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_ENGINE_FILE_CHECKS_H_
