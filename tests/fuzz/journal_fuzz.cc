// SPDX-License-Identifier: Apache-2.0
// Resume-state files: raw bytes (torn, flipped, foreign) and, to reach the
// JSON behind the checksums, payloads given valid headers: a record alone,
// or a record and deltas (journal_log.h), split at 0x1e bytes.
#include <cstdint>
#include <string>
#include <string_view>

#include "codec/hash.h"
#include "fuzz_check.h"
#include "journal/journal.h"
#include "journal/journal_log.h"

using namespace ferry::internal;  // NOLINT(build/namespaces)

namespace {

// The header's fixed start ("FERRYJ1 ..."), learnt from a real record.
std::string Magic() {
  std::string sample = JournalRecord().Encode();
  std::string header = sample.substr(0, sample.find('\n'));
  std::string len = header.substr(header.rfind(' ') + 1);
  return header.substr(0, header.size() - len.size() - 1 - 64);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string magic = Magic();
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string bytes;
  if (data[0] & 1) {
    bytes = std::string(rest);
  } else if (data[0] & 2) {
    size_t cut = rest.find('\x1e');
    bytes = SealRecordPayload(rest.substr(0, cut));
    while (cut != std::string_view::npos) {
      rest.remove_prefix(cut + 1);
      cut = rest.find('\x1e');
      bytes += SealDeltaPayload(rest.substr(0, cut));
    }
  } else {
    bytes = magic + HexEncode(Sha256(rest)) + " " +
            std::to_string(rest.size()) + "\n" + std::string(rest);
  }
  Result<JournalRecord> r = JournalRecord::Decode(bytes);
  if (r.ok()) {
    const JournalRecord& rec = r.value();
    FUZZ_CHECK(rec.chunk_size > 0);
    // Empty until known (hashed as the file streams, unless announced).
    FUZZ_CHECK(rec.file_sha256.size() == 32 || rec.file_sha256.empty());
    FUZZ_CHECK(rec.encoding == "identity" || rec.encoding == "zstd");
    // A record that decodes survives a write and a read unchanged.
    std::string encoded = rec.Encode();
    Result<JournalRecord> again = JournalRecord::Decode(encoded);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again.value().Encode() == encoded);
  }
  return 0;
}
