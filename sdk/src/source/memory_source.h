// SPDX-License-Identifier: Apache-2.0
// Bytes in memory: seekable, so an upload resumes across retries; with no
// identity on disk, not across process restarts.
#ifndef FERRY_SDK_SRC_SOURCE_MEMORY_SOURCE_H_
#define FERRY_SDK_SRC_SOURCE_MEMORY_SOURCE_H_

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "source/source.h"

namespace ferry::internal {

class MemorySource : public Source {
 public:
  // `data` stays valid while `keep` is held (the source holds it).
  MemorySource(const char* data, uint64_t size,
               std::shared_ptr<const void> keep, std::string name)
      : data_(data),
        size_(size),
        keep_(std::move(keep)),
        name_(std::move(name)) {}

  const std::string& name() const override { return name_; }
  const std::string& absolute_path() const override { return none_; }
  FileIdentity identity() const override { return FileIdentity(); }
  bool seekable() const override { return true; }
  bool length_known() const override { return true; }
  uint64_t size() const override { return size_; }
  Status ReadAt(uint64_t offset, uint64_t length, char* out) const override {
    if (offset > size_ || length > size_ - offset) {
      return MakeError(FERRY_ERR_INTERNAL_ERROR,
                       "read past the end of a memory source");
    }
    if (length > 0) std::memcpy(out, data_ + offset, length);
    return OkStatus();
  }
  Status CheckUnchanged() const override { return OkStatus(); }

 private:
  const char* data_;
  uint64_t size_;
  std::shared_ptr<const void> keep_;
  std::string name_;
  std::string none_;
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_SOURCE_MEMORY_SOURCE_H_
