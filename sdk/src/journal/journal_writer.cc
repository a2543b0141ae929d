// SPDX-License-Identifier: Apache-2.0
#include "journal/journal_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <utility>

#include "journal/journal_log.h"

namespace ferry::internal {
namespace {

// Benchmarks only: FERRY_JOURNAL_WHOLE_RECORDS=1 writes every save whole,
// as ferry did before deltas, for a comparison in the same run.
bool WholeRecordsOnly() {
  static const bool whole = [] {
    const char* v = std::getenv("FERRY_JOURNAL_WHOLE_RECORDS");
    return v != nullptr && std::string_view(v) == "1";
  }();
  return whole;
}

}  // namespace

Status JournalWriter::Save(const JournalRecord& record, bool durable) {
  nlohmann::json now = record.ToJson();
  MutexLock lock(&mu_);
  std::string entry = Journal::EntryName(record.endpoint, record.path);
  std::optional<nlohmann::json> delta;
  if (on_disk_ && entry == entry_ && !WholeRecordsOnly()) {
    delta = RecordDelta(*on_disk_, now);
  }
  if (!delta) return SaveWhole(std::move(now), record, entry, durable);
  if (delta->empty()) {
    if (!durable || synced_) return OkStatus();  // nothing new to keep
    Result<bool> synced = Append("", durable);   // make what is there durable
    if (!synced.ok()) return synced.error();
    if (!synced.value())
      return SaveWhole(std::move(now), record, entry, durable);
    synced_ = true;
    return OkStatus();
  }
  std::string block = SealDelta(*delta);
  if (size_ - record_bytes_ + block.size() >
      std::max(record_bytes_, kMinAppendRoom)) {
    return SaveWhole(std::move(now), record, entry,
                     durable);  // fold the deltas in
  }
  Result<bool> appended = Append(block, durable);
  if (!appended.ok()) return appended.error();
  if (!appended.value())
    return SaveWhole(std::move(now), record, entry, durable);
  on_disk_ = std::move(now);
  synced_ = durable;
  return OkStatus();
}

Status JournalWriter::SaveWhole(nlohmann::json now, const JournalRecord& record,
                                const std::string& entry, bool durable) {
  on_disk_.reset();
  std::string sealed = SealRecord(now);
  ino_t inode = 0;
  Status saved = journal_->SaveSealed(record, sealed, durable, &inode);
  if (!saved.ok()) return saved;
  bytes_written_ += sealed.size();
  ++whole_writes_;
  entry_ = entry;
  inode_ = inode;
  size_ = record_bytes_ = sealed.size();
  synced_ = durable;
  on_disk_ = std::move(now);
  return OkStatus();
}

Result<bool> JournalWriter::Append(const std::string& block, bool durable) {
  Result<UniqueFd> dir = journal_->OpenDir();
  if (!dir.ok()) return dir.error();
  UniqueFd fd(::openat(dir.value().get(), entry_.c_str(),
                       O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW));
  struct stat st;
  if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0 || st.st_ino != inode_ ||
      static_cast<uint64_t>(st.st_size) != size_) {
    return false;  // not the file this writer left: write it whole
  }
  // Header and payload in two writes, the test pause between them, so that
  // kill tests can cut a delta (a cut one is dropped on load). An empty
  // block only syncs.
  size_t split = block.empty() ? 0 : block.find('\n') + 1;
  bool written = WriteFully(fd.get(), std::string_view(block).substr(0, split));
  if (written && !block.empty()) PauseJournalWriteForTests();
  written = written &&
            WriteFully(fd.get(), std::string_view(block).substr(split)) &&
            (!durable || ::fdatasync(fd.get()) == 0);
  if (!written) {
    Error failed = StateUnwritable(entry_);
    // A partial delta must not stay in front of later ones.
    if (::ftruncate(fd.get(), static_cast<off_t>(size_)) != 0) {
      on_disk_.reset();
    }
    return failed;
  }
  size_ += block.size();
  bytes_written_ += block.size();
  return true;
}

uint64_t JournalWriter::bytes_written() const {
  MutexLock lock(&mu_);
  return bytes_written_;
}

uint64_t JournalWriter::whole_writes() const {
  MutexLock lock(&mu_);
  return whole_writes_;
}

}  // namespace ferry::internal
