// SPDX-License-Identifier: Apache-2.0
#include "file_list.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace ferry_cli {
namespace fs = std::filesystem;

namespace {

// Every regular file under `dir`, relative names in sorted order.
std::optional<std::string> AddTree(const std::string& dir,
                                   const std::string& prefix,
                                   std::vector<UploadItem>* out) {
  std::error_code ec;
  std::vector<UploadItem> found;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    std::string rel = fs::relative(it->path(), dir, ec).generic_string();
    if (ec) break;
    found.push_back({it->path().string(), prefix + rel});
  }
  if (ec) return "cannot read directory " + dir + ": " + ec.message();
  std::sort(
      found.begin(), found.end(),
      [](const UploadItem& a, const UploadItem& b) { return a.name < b.name; });
  out->insert(out->end(), found.begin(), found.end());
  return std::nullopt;
}

}  // namespace

std::optional<std::string> ExpandOperands(
    const std::vector<std::string>& operands, bool recursive,
    const std::string& prefix, std::vector<UploadItem>* out) {
  for (const std::string& operand : operands) {
    std::error_code ec;
    if (operand != "-" && fs::is_directory(operand, ec)) {
      if (!recursive) {
        return operand + " is a directory (use --recursive)";
      }
      if (auto error = AddTree(operand, prefix, out)) return error;
      continue;
    }
    // A file (or a missing one: the upload says file_not_found).
    out->push_back({operand, ""});
  }
  return std::nullopt;
}

}  // namespace ferry_cli
