// SPDX-License-Identifier: Apache-2.0
#include "pipeline/chunk_ledger.h"

#include <string_view>
#include <utility>

namespace ferry::internal {

ChunkLedger::ChunkLedger(const Source* source, const ChunkPlan* plan,
                         ChunkHash hash, std::vector<std::string> known)
    : source_(source),
      plan_(plan),
      hash_(hash),
      fingerprints_(std::move(known)),
      file_hash_(Hasher::Sha256()) {}

std::vector<std::string> ChunkLedger::Fingerprints() const {
  MutexLock lock(&mu_);
  return fingerprints_;
}

size_t ChunkLedger::known() const {
  MutexLock lock(&mu_);
  return fingerprints_.size();
}

Status ChunkLedger::Read(uint64_t index, char* out) {
  ChunkRange c = plan_->Chunk(index);
  Status s = source_->ReadAt(c.offset, c.length, out);
  if (!s.ok()) return s;
  // After the read: a change during it shows in the file's times.
  s = source_->CheckUnchanged();
  if (!s.ok()) return s;
  std::string_view data(out, c.length);
  std::string digest = ChunkDigest(hash_, data);
  mu_.Lock();
  if (index < fingerprints_.size()) {
    if (digest != fingerprints_[index]) {
      mu_.Unlock();
      return MakeError(FERRY_ERR_FILE_CHANGED,
                       "the file's content changed during the upload (chunk " +
                           std::to_string(index) +
                           " differs): " + source_->name());
    }
  } else if (index == fingerprints_.size()) {
    fingerprints_.push_back(std::move(digest));
  } else {
    mu_.Unlock();
    return MakeError(FERRY_ERR_INTERNAL_ERROR,
                     "chunk " + std::to_string(index) + " read before chunk " +
                         std::to_string(fingerprints_.size()));
  }
  if (index != hashed_chunks_) {
    mu_.Unlock();
    return OkStatus();
  }
  // The file's hash is fed outside mu_ (that would stall the sender asking
  // for fingerprints), in chunk order: hash_mu_ is taken before mu_ is let
  // go, so the next chunk's feed waits for this one.
  ++hashed_chunks_;
  hash_mu_.Lock();
  mu_.Unlock();
  file_hash_->Update(data.data(), data.size());
  hash_mu_.Unlock();
  return OkStatus();
}

Result<std::string> ChunkLedger::FileSha256() {
  std::vector<char> buffer;
  for (;;) {
    uint64_t next;
    {
      MutexLock lock(&mu_);
      if (hashed_chunks_ >= plan_->count()) {
        MutexLock feeding(&hash_mu_);  // the last feed is done
        if (file_sha256_.empty()) file_sha256_ = file_hash_->Finish();
        return file_sha256_;
      }
      next = hashed_chunks_;
    }
    buffer.resize(plan_->Chunk(next).length);
    Status s = Read(next, buffer.data());
    if (!s.ok()) return s.error();
  }
}

}  // namespace ferry::internal
