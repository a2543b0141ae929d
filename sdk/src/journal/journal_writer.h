/* SPDX-License-Identifier: Apache-2.0 */
// Saves one upload's record again and again as the upload goes on, with
// bytes written that grow with the chunks sent rather than with their
// square (journal_log.h has the format).
#ifndef FERRY_SDK_SRC_JOURNAL_JOURNAL_WRITER_H_
#define FERRY_SDK_SRC_JOURNAL_JOURNAL_WRITER_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "journal/journal.h"
#include "sync/mutex.h"

namespace ferry::internal {

class JournalWriter {
 public:
  // Appended deltas are folded into a whole record once they outgrow it
  // and this much: the entry stays within about twice its record, and the
  // bytes written stay linear (the record at least doubles between
  // rewrites).
  static constexpr uint64_t kMinAppendRoom = 64 * 1024;

  explicit JournalWriter(const Journal* journal) : journal_(journal) {}

  // Saves `record` with `listing` in place of its listing fields: whole
  // (atomically, as Journal::Save) the first time,
  // when the file is not the one this writer left (removed, replaced, or
  // grown by someone else), when the change is not growth, and when the
  // deltas outgrow the record; otherwise one delta appended, fdatasync'd
  // when `durable`. A failed append is cut off again (or the next save
  // writes whole). A save that appends costs what changed, not the
  // record's size: the lists are compared in place, and only new items
  // are turned into JSON. Errors: state_unwritable, state_untrusted.
  // Thread-safe.
  Status Save(const JournalRecord& record, const JournalListing& listing,
              bool durable);
  Status Save(const JournalRecord& record, bool durable) {
    return Save(record, record.Listing(), durable);
  }

  // Bytes written (records and deltas) and whole-record writes so far.
  uint64_t bytes_written() const;
  uint64_t whole_writes() const;

 private:
  // What the entry holds, in the record's own terms (the fields other
  // than the lists as JSON).
  struct Written {
    nlohmann::json head;
    std::vector<std::string> chunk_digests;
    std::vector<FrameInfo> frames;
    std::map<uint32_t, S3PartRecord> parts;  // by number
  };
  // The delta that turns `before` into `after` (with `head`, after's
  // HeadJson): an empty object when nothing changed; nullopt when it
  // cannot be said by appending (a list shrank or changed in place, an S3
  // part went away).
  static std::optional<nlohmann::json> DeltaSince(const Written& before,
                                                  const JournalRecord& after,
                                                  const nlohmann::json& head);
  // Brings `written` up to `after` once its delta is on disk.
  static void Advance(const JournalRecord& after, nlohmann::json head,
                      Written* written);

  // `entry`: the record's file name (Journal::EntryName).
  Status SaveWhole(const JournalRecord& record, const JournalListing& listing,
                   nlohmann::json head, const std::string& entry, bool durable)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Appends `block` ("": none, only the sync). False when the entry must
  // be written whole instead.
  Result<bool> Append(const std::string& block, bool durable)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Journal* journal_;
  mutable Mutex mu_;
  // What the entry holds, as this writer left it: its name, record, inode
  // and size.
  std::string entry_ ABSL_GUARDED_BY(mu_);
  std::optional<Written> on_disk_ ABSL_GUARDED_BY(mu_);
  ino_t inode_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t size_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t record_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool synced_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t bytes_written_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t whole_writes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_JOURNAL_JOURNAL_WRITER_H_
