/* SPDX-License-Identifier: Apache-2.0 */
// Strict integer reads from JSON values. nlohmann's get<T>() converts a
// float with a plain cast (undefined behaviour when it is out of range) and
// wraps negatives into unsigned types; outside input must not reach either.
#ifndef FERRY_SDK_SRC_CODEC_JSON_NUMBER_H_
#define FERRY_SDK_SRC_CODEC_JSON_NUMBER_H_

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

namespace ferry::internal {

// The value when it is an integer (not a float) within [lo, hi].
inline std::optional<int64_t> JsonInt(
    const nlohmann::json& v, int64_t lo = std::numeric_limits<int64_t>::min(),
    int64_t hi = std::numeric_limits<int64_t>::max()) {
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(hi) || hi < 0) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (!v.is_number_integer()) return std::nullopt;
  int64_t i = v.get<int64_t>();
  if (i < lo || i > hi) return std::nullopt;
  return i;
}

// The value when it is a non-negative integer not above `hi`.
inline std::optional<uint64_t> JsonUint(
    const nlohmann::json& v,
    uint64_t hi = std::numeric_limits<uint64_t>::max()) {
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    return u <= hi ? std::optional<uint64_t>(u) : std::nullopt;
  }
  if (!v.is_number_integer()) return std::nullopt;
  int64_t i = v.get<int64_t>();
  if (i < 0 || static_cast<uint64_t>(i) > hi) return std::nullopt;
  return static_cast<uint64_t>(i);
}

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_CODEC_JSON_NUMBER_H_
