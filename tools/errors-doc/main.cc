// Prints docs/errors.md from the error table, through the C API only, so the
// documentation cannot drift from the library. A test fails when the
// committed file differs; regenerate with: build/tools/ferry-errors-doc >
// docs/errors.md
#include <cstdio>
#include <string>

#include "ferry/ferry.h"

int main() {
  std::printf(
      "# ferry error codes\n\n"
      "<!-- Generated from sdk/include/ferry/ferry_error_table.h by "
      "tools/errors-doc. Do not edit by hand. -->\n\n"
      "Every failure reaches the app as one typed error with: `code`, "
      "`category`, `origin` (who said no), `retryable`, `retry_after`, "
      "`action` (what to do next), a `message`, and details (`http_status`, "
      "`server_code`, `server_message`, `request_id`, `limit`, the redacted "
      "`url`). Values are stable: codes are only ever appended.\n\n"
      "| value | code | category | origin | retryable | action |\n"
      "|---:|---|---|---|---|---|\n");
  for (int32_t v = 1; v <= ferry_code_max(); ++v) {
    ferry_code_info i = FERRY_CODE_INFO_INIT;
    if (!ferry_code_info_get(v, &i)) continue;
    std::printf("| %d | [`%s`](#%s) | %s | %s | %s | `%s` |\n", v, i.name,
                i.name, ferry_category_name(i.category),
                ferry_origin_name(i.origin), i.retryable ? "yes" : "no",
                ferry_action_name(i.action));
  }
  std::printf(
      "\n## Why did my upload fail?\n\n"
      "Start from what you saw; the code ferry reports tells the causes "
      "apart.\n\n"
      "| what you saw | ferry says | who said no | what to do |\n"
      "|---|---|---|---|\n"
      "| \"The server rejected your file\" right away | `file_too_large`, "
      "`file_type_blocked`, `content_rejected`, `recipient_rejected` | "
      "server or recipient | split or compress; package it; contact the "
      "admin; ask the recipient |\n"
      "| Big uploads fail, small ones work | `file_too_large` (with `limit`) | "
      "server | stay under `limit`: split or compress |\n"
      "| Uploads stopped working after a while | `quota_exceeded` | server | "
      "free space or upgrade the plan |\n"
      "| Many files at once fail | `too_many_files`, `rate_limited` | server "
      "| send fewer files; ferry waits out `retry_after` by itself |\n"
      "| Works again later by itself | `server_unavailable`, "
      "`server_maintenance`, `rate_limited` | server | nothing: ferry "
      "retries within its budget; otherwise wait for `retry_after` |\n"
      "| Failed after ~30 minutes of uploading | `credentials_expired` | "
      "server | give ferry a credential refresh hook; it then continues "
      "where it was |\n"
      "| \"Unauthorized\" though the password is right | `clock_skew` "
      "(with the measured offset) | client | turn on automatic time |\n"
      "| Fails on one network, works on another | `dns_failure`, "
      "`connection_refused`, `network_unreachable`, `proxy_error`, "
      "`certificate_untrusted` | network | check DNS, firewall, proxy; a "
      "network that intercepts TLS shows as an untrusted certificate |\n"
      "| Certificate warnings | `certificate_untrusted`, "
      "`certificate_expired`, `certificate_name_mismatch` | server | fix "
      "the server's certificate, or pass the right CA file |\n"
      "| Hangs | `timeout` (the stall timeout) | network | ferry gives up on "
      "a stalled transfer and resumes from the server's offset |\n"
      "| The file was edited while uploading | `file_changed` | client | "
      "upload again; ferry never mixes old and new bytes |\n"
      "| The server speaks its own codes (`50001`) | `unexpected_response` "
      "with `server_code` | server | register a rule (docs/rules.md) to map "
      "it |\n\n"
      "`ferry-doctor URL` checks DNS, TCP, TLS, the clock, the server's "
      "capabilities, your credentials and a 1-byte upload, and says which "
      "of these is the problem.\n");
  std::printf("\n## Codes\n");
  for (int32_t v = 1; v <= ferry_code_max(); ++v) {
    ferry_code_info i = FERRY_CODE_INFO_INIT;
    if (!ferry_code_info_get(v, &i)) continue;
    std::printf(
        "\n### %s\n\n%s\n\n- **Who refused:** %s (category %s)\n"
        "- **What ferry already does:** %s\n"
        "- **What to do (`%s`):** %s\n"
        "- C: `FERRY_ERR_` + upper case (value %d) · C++: `ferry::Code::k_%s`"
        " · Python: `ferry.%s`\n",
        i.name, i.meaning, ferry_origin_name(i.origin),
        ferry_category_name(i.category), i.ferry_does,
        ferry_action_name(i.action), ferry_action_description(i.action), v,
        i.name, [&] {
          static std::string cls;
          cls.clear();
          bool up = true;
          for (const char* p = i.name; *p; ++p) {
            if (*p == '_') {
              up = true;
              continue;
            }
            cls.push_back(up ? static_cast<char>(*p - 'a' + 'A') : *p);
            up = false;
          }
          return cls.c_str();
        }());
  }
  std::printf(
      "\n## Actions\n\n| action | what the user should do |\n|---|---|\n");
  for (int32_t a = 0; ferry_action_name(a) != nullptr; ++a) {
    std::printf("| `%s` | %s |\n", ferry_action_name(a),
                ferry_action_description(a));
  }
  return 0;
}
