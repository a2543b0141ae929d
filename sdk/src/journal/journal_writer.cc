// SPDX-License-Identifier: Apache-2.0
#include "journal/journal_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <string_view>
#include <utility>

#include "codec/hash.h"
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

std::optional<nlohmann::json> JournalWriter::DeltaSince(
    const Written& before, const JournalRecord& after,
    const nlohmann::json& head) {
  nlohmann::json delta = nlohmann::json::object();
  // The lists that only grow at their end: compared in place (no copy, no
  // JSON), only the new items written.
  auto grew = [](const auto& old, const auto& now) {
    return now.size() >= old.size() &&
           std::equal(old.begin(), old.end(), now.begin());
  };
  if (!grew(before.chunk_digests, after.chunk_digests) ||
      !grew(before.frames, after.frames)) {
    return std::nullopt;
  }
  for (size_t i = before.chunk_digests.size(); i < after.chunk_digests.size();
       ++i) {
    delta["append"]["chunk_digests"].push_back(
        HexEncode(after.chunk_digests[i]));
  }
  for (size_t i = before.frames.size(); i < after.frames.size(); ++i) {
    delta["append"]["frames"].push_back(FrameJson(after.frames[i]));
  }
  // S3 parts, acknowledged in any order: new or changed ones by number.
  size_t kept = 0;
  for (const S3PartRecord& part : after.s3_parts) {
    auto old = before.parts.find(part.number);
    if (old != before.parts.end()) ++kept;
    if (old == before.parts.end() || old->second != part) {
      delta["parts"].push_back(S3PartJson(part));
    }
  }
  if (kept != before.parts.size()) return std::nullopt;
  for (const auto& [key, value] : head.items()) {
    auto old = before.head.find(key);
    if (old == before.head.end() || *old != value) delta["set"][key] = value;
  }
  for (const auto& [key, value] : before.head.items()) {
    if (!head.contains(key)) delta["unset"].push_back(key);
  }
  return delta;
}

void JournalWriter::Advance(const JournalRecord& after, nlohmann::json head,
                            Written* written) {
  written->head = std::move(head);
  written->chunk_digests.insert(
      written->chunk_digests.end(),
      after.chunk_digests.begin() +
          static_cast<ptrdiff_t>(written->chunk_digests.size()),
      after.chunk_digests.end());
  written->frames.insert(
      written->frames.end(),
      after.frames.begin() + static_cast<ptrdiff_t>(written->frames.size()),
      after.frames.end());
  for (const S3PartRecord& part : after.s3_parts) {
    S3PartRecord& kept = written->parts[part.number];
    if (kept != part) kept = part;
  }
}

Status JournalWriter::Save(const JournalRecord& record,
                           const JournalListing& listing, bool durable) {
  nlohmann::json head = record.HeadJson(listing);
  MutexLock lock(&mu_);
  std::string entry = Journal::EntryName(record.endpoint, record.path);
  std::optional<nlohmann::json> delta;
  if (on_disk_ && entry == entry_ && !WholeRecordsOnly()) {
    delta = DeltaSince(*on_disk_, record, head);
  }
  if (!delta) {
    return SaveWhole(record, listing, std::move(head), entry, durable);
  }
  if (delta->empty()) {
    if (!durable || synced_) return OkStatus();  // nothing new to keep
    Result<bool> synced = Append("", durable);   // make what is there durable
    if (!synced.ok()) return synced.error();
    if (!synced.value()) {
      return SaveWhole(record, listing, std::move(head), entry, durable);
    }
    synced_ = true;
    return OkStatus();
  }
  std::string block = SealDelta(*delta);
  if (size_ - record_bytes_ + block.size() >
      std::max(record_bytes_, kMinAppendRoom)) {
    // Fold the deltas in.
    return SaveWhole(record, listing, std::move(head), entry, durable);
  }
  Result<bool> appended = Append(block, durable);
  if (!appended.ok()) return appended.error();
  if (!appended.value()) {
    return SaveWhole(record, listing, std::move(head), entry, durable);
  }
  Advance(record, std::move(head), &*on_disk_);
  synced_ = durable;
  return OkStatus();
}

Status JournalWriter::SaveWhole(const JournalRecord& record,
                                const JournalListing& listing,
                                nlohmann::json head, const std::string& entry,
                                bool durable) {
  on_disk_.reset();
  std::string sealed = SealRecord(record.ToJson(listing));
  ino_t inode = 0;
  Status saved = journal_->SaveSealed(record, sealed, durable, &inode);
  if (!saved.ok()) return saved;
  bytes_written_ += sealed.size();
  ++whole_writes_;
  entry_ = entry;
  inode_ = inode;
  size_ = record_bytes_ = sealed.size();
  synced_ = durable;
  on_disk_.emplace();
  Advance(record, std::move(head), &*on_disk_);
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
