// SPDX-License-Identifier: Apache-2.0
// What the operands name: files, '-' (standard input), and with
// --recursive the regular files under directories.
#ifndef FERRY_SAMPLES_FERRY_UPLOAD_FILE_LIST_H_
#define FERRY_SAMPLES_FERRY_UPLOAD_FILE_LIST_H_

#include <optional>
#include <string>
#include <vector>

namespace ferry_cli {

struct UploadItem {
  std::string path;  // what is read ("-": standard input)
  std::string name;  // what the upload goes by; "" → the file's own name
};

// Expands the operands in order. With `recursive`, a directory gives every
// regular file under it (sorted, symbolic links not followed), each named
// by its path relative to the directory, after `prefix` ("photos/" +
// "2026/a.jpg"). Without it a directory is an error. An error message, or
// nullopt with `out` filled.
std::optional<std::string> ExpandOperands(
    const std::vector<std::string>& operands, bool recursive,
    const std::string& prefix, std::vector<UploadItem>* out);

}  // namespace ferry_cli

#endif  // FERRY_SAMPLES_FERRY_UPLOAD_FILE_LIST_H_
