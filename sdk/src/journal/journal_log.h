/* SPDX-License-Identifier: Apache-2.0 */
// The bytes of one journal entry: a sealed record, then sealed deltas.
//
//   FERRYJ1 <sha256 of json> <length>\n<the whole record as JSON>
//   FERRYJ+ <sha256 of json> <length> <check>\n<a delta as JSON>
//   ...
//
// A delta says what changed since the state before it: items appended to
// the chunk fingerprints and frames, S3 parts added or replaced (by
// number), fields set or removed. Appending one per saved chunk keeps the
// bytes written linear in the chunks sent (a whole record per save grows
// with them: quadratic). <check> (8 hex digits of the SHA-256 of the
// header before it) makes a damaged header detectable, so that the one
// thing not called corruption is a torn last delta: a header cut short,
// or a checked header whose payload is cut short (killed or powered off
// mid-append). That delta is dropped; the state before it is whole and
// was saved first. Anything else that does not check is corruption.
#ifndef FERRY_SDK_SRC_JOURNAL_JOURNAL_LOG_H_
#define FERRY_SDK_SRC_JOURNAL_JOURNAL_LOG_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "errors/error.h"

namespace ferry::internal {

inline constexpr std::string_view kRecordMagic = "FERRYJ1 ";
inline constexpr std::string_view kDeltaMagic = "FERRYJ+ ";

// invalid_argument, "corrupt resume state: <why>": every refusal of an
// entry's bytes or of the record they hold.
Error CorruptState(const std::string& why);

// The sealed first block of an entry.
std::string SealRecord(const nlohmann::json& record);
// A sealed delta block.
std::string SealDelta(const nlohmann::json& delta);
// The same for payloads given as text (the fuzz target's).
std::string SealRecordPayload(std::string_view payload);
std::string SealDeltaPayload(std::string_view payload);

// Applies a delta. Errors (invalid_argument): a delta of the wrong shape.
Status ApplyDelta(const nlohmann::json& delta, nlohmann::json* record);

// The record an entry's bytes hold: the first block with every delta after
// it applied, a torn last delta dropped. Errors (invalid_argument,
// "corrupt resume state: ..."): anything else that does not check.
Result<nlohmann::json> ReadJournalBlocks(std::string_view bytes);

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_JOURNAL_JOURNAL_LOG_H_
