// SPDX-License-Identifier: Apache-2.0
#include "journal/journal_log.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <vector>

#include "codec/hash.h"
#include "codec/json_number.h"

namespace ferry::internal {
namespace {

// Lists that only grow at their end while an upload goes on.
bool IsAppendOnlyList(const std::string& key) {
  return key == "chunk_digests" || key == "frames";
}

// Lists of S3 parts, in any order, keyed by their number "n".
constexpr const char* kParts = "s3_parts";

// Every list of a record: deltas grow them, never set or remove them.
bool IsList(const std::string& key) {
  return IsAppendOnlyList(key) || key == kParts;
}

// The header's own check: 8 hex digits of the SHA-256 of "<sha> <len>".
std::string HeaderCheck(std::string_view sha_and_length) {
  return HexEncode(Sha256(sha_and_length)).substr(0, 8);
}

// One parsed block. kTorn: a cut-short delta at the end of the entry.
struct Block {
  enum class State { kOk, kTorn, kBad } state = State::kBad;
  std::string why;
  std::string_view payload;
  size_t end = 0;
};

Block Bad(std::string why) {
  Block b;
  b.why = std::move(why);
  return b;
}

// Parses the block at `at`: `magic`, the payload's SHA-256 in hex, its
// length, for a delta its header check, a newline, the payload.
Block ReadBlock(std::string_view bytes, size_t at, bool delta) {
  std::string_view magic = delta ? kDeltaMagic : kRecordMagic;
  std::string_view rest = bytes.substr(at);
  size_t nl = rest.find('\n');
  // 8 + 64 + 1 + 12 + 1 + 8: the longest delta header.
  constexpr size_t kLongestHeader = 94;
  if (nl == std::string_view::npos) {
    bool cut_header = rest.size() < kLongestHeader &&
                      (rest.substr(0, magic.size()) == magic ||
                       magic.substr(0, rest.size()) == rest);
    if (delta && cut_header) return Block{Block::State::kTorn, "", {}, 0};
    return Bad("truncated header");
  }
  std::string_view header = rest.substr(0, nl);
  if (header.substr(0, magic.size()) != magic) return Bad("bad magic");
  if (nl < magic.size() + 64 + 2) return Bad("truncated header");
  std::string_view fields = header.substr(magic.size());
  std::string_view hash_hex = fields.substr(0, 64);
  if (fields[64] != ' ') return Bad("bad header");
  std::string_view len_text = fields.substr(65);
  if (delta) {
    size_t space = len_text.find(' ');
    if (space == std::string_view::npos) return Bad("bad header");
    std::string_view check = len_text.substr(space + 1);
    len_text = len_text.substr(0, space);
    if (check != HeaderCheck(fields.substr(0, 65 + space))) {
      return Bad("damaged delta header");
    }
  }
  if (len_text.empty() || len_text.size() > 12) return Bad("bad length");
  uint64_t len = 0;
  for (char c : len_text) {
    if (c < '0' || c > '9') return Bad("bad length");
    len = len * 10 + static_cast<uint64_t>(c - '0');
  }
  std::string_view payload = rest.substr(nl + 1);
  if (payload.size() < len) {
    if (delta) return Block{Block::State::kTorn, "", {}, 0};
    return Bad("length mismatch (torn write)");
  }
  payload = payload.substr(0, len);
  if (HexEncode(Sha256(payload)) != hash_hex) return Bad("checksum mismatch");
  return Block{Block::State::kOk, "", payload, at + nl + 1 + len};
}

}  // namespace

Error CorruptState(const std::string& why) {
  return MakeError(FERRY_ERR_INVALID_ARGUMENT, "corrupt resume state: " + why);
}

std::string SealRecordPayload(std::string_view payload) {
  return std::string(kRecordMagic) + HexEncode(Sha256(payload)) + " " +
         std::to_string(payload.size()) + "\n" + std::string(payload);
}

std::string SealDeltaPayload(std::string_view payload) {
  std::string fields =
      HexEncode(Sha256(payload)) + " " + std::to_string(payload.size());
  return std::string(kDeltaMagic) + fields + " " + HeaderCheck(fields) + "\n" +
         std::string(payload);
}

std::string SealRecord(const nlohmann::json& record) {
  return SealRecordPayload(record.dump());
}

std::string SealDelta(const nlohmann::json& delta) {
  return SealDeltaPayload(delta.dump());
}

Status ApplyDelta(const nlohmann::json& delta, nlohmann::json* record) {
  if (!delta.is_object()) return CorruptState("a delta is not an object");
  try {
    if (delta.contains("set")) {
      for (const auto& [key, value] : delta.at("set").items()) {
        if (IsList(key)) return CorruptState("a delta sets a list");
        (*record)[key] = value;
      }
    }
    if (delta.contains("unset")) {
      for (const nlohmann::json& key : delta.at("unset")) {
        record->erase(key.get<std::string>());
      }
    }
    if (delta.contains("append")) {
      for (const auto& [key, items] : delta.at("append").items()) {
        nlohmann::json& list = (*record)[key];
        if (!IsAppendOnlyList(key) || !list.is_array() || !items.is_array()) {
          return CorruptState("a delta appends to what is not a list");
        }
        list.insert(list.end(), items.begin(), items.end());
      }
    }
    if (delta.contains("parts")) {
      nlohmann::json& parts = (*record)[kParts];
      if (parts.is_null()) parts = nlohmann::json::array();
      if (!parts.is_array()) return CorruptState("parts are not a list");
      for (const nlohmann::json& p : delta.at("parts")) {
        auto number = JsonUint(p.at("n"));
        if (!number) return CorruptState("a part without a number");
        auto same = std::find_if(parts.begin(), parts.end(), [&](auto& q) {
          return q.is_object() && q.contains("n") && q.at("n") == p.at("n");
        });
        if (same != parts.end()) {
          *same = p;
        } else {
          parts.push_back(p);
        }
      }
      // In part order, as the transfer keeps them.
      std::stable_sort(parts.begin(), parts.end(), [](auto& a, auto& b) {
        return a.value("n", nlohmann::json()) < b.value("n", nlohmann::json());
      });
    }
  } catch (const nlohmann::json::exception& e) {
    return CorruptState(std::string("a malformed delta: ") + e.what());
  }
  return OkStatus();
}

Result<nlohmann::json> ReadJournalBlocks(std::string_view bytes) {
  Block first = ReadBlock(bytes, 0, /*delta=*/false);
  if (first.state != Block::State::kOk) return CorruptState(first.why);
  nlohmann::json record = nlohmann::json::parse(first.payload, nullptr, false);
  if (record.is_discarded() || !record.is_object())
    return CorruptState("not JSON");
  for (size_t at = first.end; at < bytes.size();) {
    Block next = ReadBlock(bytes, at, /*delta=*/true);
    if (next.state == Block::State::kTorn) break;  // the last, cut short
    if (next.state == Block::State::kBad) return CorruptState(next.why);
    nlohmann::json delta = nlohmann::json::parse(next.payload, nullptr, false);
    if (delta.is_discarded()) return CorruptState("a delta is not JSON");
    Status applied = ApplyDelta(delta, &record);
    if (!applied.ok()) return applied.error();
    at = next.end;
  }
  return record;
}

}  // namespace ferry::internal
