/* SPDX-License-Identifier: Apache-2.0 */
// Every read of the file during an upload goes through the ledger. The first
// read of a chunk fingerprints it (and, read in order, feeds the whole
// file's SHA-256); every later read is checked against that fingerprint.
// So hashing happens as the file streams out, not in a pass before it, and
// a resume can prove the file still holds what was sent.
#ifndef FERRY_SDK_SRC_ENGINE_CHUNK_LEDGER_H_
#define FERRY_SDK_SRC_ENGINE_CHUNK_LEDGER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codec/hash.h"
#include "errors/error.h"
#include "pipeline/chunk_plan.h"
#include "source/source.h"
#include "sync/mutex.h"

namespace ferry::internal {

class ChunkLedger {
 public:
  // `known`: fingerprints recorded earlier (of chunks 0..known.size()-1).
  // The pointers must outlive the ledger.
  ChunkLedger(const Source* source, const ChunkPlan* plan, ChunkHash hash,
              std::vector<std::string> known);

  // Reads chunk `index` into `out` (plan length bytes). A chunk with a
  // fingerprint must still match it; the first chunk without one gets it
  // now. Errors: file_changed (content, size, times or inode moved),
  // file_unreadable; internal_error for a chunk past the first unknown
  // one. Thread-safe.
  Status Read(uint64_t index, char* out);

  ChunkHash hash() const { return hash_; }
  std::vector<std::string> Fingerprints() const;
  size_t known() const;
  // Whether chunk `index` has a fingerprint.
  bool Knows(uint64_t index) const { return index < known(); }

  // The whole file's SHA-256: what the reads in order fed it, completed by
  // reading (and checking) whatever chunks were never read in order.
  Result<std::string> FileSha256();

 private:
  const Source* source_;
  const ChunkPlan* plan_;
  const ChunkHash hash_;
  mutable Mutex mu_;
  std::vector<std::string> fingerprints_ ABSL_GUARDED_BY(mu_);
  uint64_t hashed_chunks_ ABSL_GUARDED_BY(mu_) = 0;  // claimed, in order
  // Taken after mu_ (never the other way round).
  Mutex hash_mu_ ABSL_ACQUIRED_AFTER(mu_);
  std::unique_ptr<Hasher> file_hash_ ABSL_GUARDED_BY(hash_mu_);
  std::string file_sha256_ ABSL_GUARDED_BY(hash_mu_);  // once all were fed
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_ENGINE_CHUNK_LEDGER_H_
