// SPDX-License-Identifier: Apache-2.0
// What ferry's command-line tools accept as option values, one way for all:
// sizes ("8M"), durations ("500ms", "30s", "2m"), and request headers from
// the command line, a file, or the environment (so a token need never be
// on the command line, where `ps` shows it).
#ifndef FERRY_SAMPLES_CLI_COMMON_CLI_VALUES_H_
#define FERRY_SAMPLES_CLI_COMMON_CLI_VALUES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ferry_cli {

using HeaderPairs = std::vector<std::pair<std::string, std::string>>;

// "8M", "512k", "1G", "1000" (bytes; K/M/G are powers of 1024). Nullopt on
// junk or overflow.
std::optional<uint64_t> ParseSize(const std::string& text);

// "500ms", "30s", "2m", "1h", or a bare number in `bare_unit_ms` units;
// milliseconds. Nullopt on junk or overflow.
std::optional<uint64_t> ParseDuration(const std::string& text,
                                      uint64_t bare_unit_ms = 1000);

// One -H/--header value: "Name: value", or "@FILE" whose lines are
// "Name: value" (blank lines and lines starting with # skipped). Appends to
// `out`; on error returns why (the value itself is never echoed: it may be
// a secret).
std::optional<std::string> AddHeaderArg(const std::string& arg,
                                        HeaderPairs* out);

// Headers from the environment: FERRY_TOKEN=T is "Authorization: Bearer
// T"; FERRY_HEADER_X_API_KEY=v is "X-API-KEY: v" (underscores become
// hyphens).
HeaderPairs HeadersFromEnvironment();

// --protocol's values: "tus", "s3", "ietf", "auto" (ferry_protocol values),
// nullopt for anything else.
std::optional<int> ParseProtocol(const std::string& name);
inline constexpr const char* kProtocolChoices = "tus, s3, ietf or auto";

}  // namespace ferry_cli

#endif  // FERRY_SAMPLES_CLI_COMMON_CLI_VALUES_H_
