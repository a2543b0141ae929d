// SPDX-License-Identifier: Apache-2.0
// Prints docs/errors.md from the error table, through the C API only, so the
// documentation cannot drift from the library; with --python, the Python
// exception classes (bindings/python/ferry/_error_classes.py). Tests fail
// when a committed file differs; regenerate with:
//   build/tools/errors-doc/ferry-errors-doc > docs/errors.md
//   build/tools/errors-doc/ferry-errors-doc --python
//       > bindings/python/ferry/_error_classes.py
#include <cstdio>
#include <cstring>
#include <string>

#include "ferry/ferry.h"

namespace {

// "file_not_found" -> "FileNotFound".
std::string ClassName(const char* code) {
  std::string cls;
  bool up = true;
  for (const char* p = code; *p; ++p) {
    if (*p == '_') {
      up = true;
      continue;
    }
    cls.push_back(up && *p >= 'a' && *p <= 'z' ? static_cast<char>(*p - 32)
                                               : *p);
    up = false;
  }
  return cls;
}

// The Python class of a code: its name from the code, but where the name
// would take a category base's name.
std::string CodeClass(const char* code) {
  if (std::strcmp(code, "server_error") == 0) return "InternalServerError";
  return ClassName(code);
}

// The class of a category's base ("policy" -> "PolicyError"); none for
// cancelled (ferry.Cancelled stands alone under ferry.Error).
std::string CategoryClass(const char* category) {
  if (std::strcmp(category, "cancelled") == 0) return "";
  if (std::strcmp(category, "tls") == 0) return "TlsError";
  return ClassName(category) + "Error";
}

// The builtin exception a code's class also is, for code that catches
// those already.
const char* BuiltinBase(const char* code) {
  struct Pair {
    const char* code;
    const char* base;
  };
  static const Pair kPairs[] = {
      {"file_not_found", "FileNotFoundError"},
      {"file_unreadable", "OSError"},
      {"connection_refused", "ConnectionRefusedError"},
      {"connection_reset", "ConnectionResetError"},
      {"timeout", "TimeoutError"},
      {"invalid_argument", "ValueError"},
  };
  for (const Pair& p : kPairs) {
    if (std::strcmp(p.code, code) == 0) return p.base;
  }
  return nullptr;
}

// Python string literal text (the table's sentences have no quotes or
// backslashes but may; escape both).
std::string Py(const char* text) {
  std::string out;
  for (const char* p = text; *p; ++p) {
    if (*p == '"' || *p == '\\') out.push_back('\\');
    out.push_back(*p);
  }
  return out;
}

int PrintPython() {
  std::printf(
      "# SPDX-License-Identifier: Apache-2.0\n"
      "# Generated from sdk/include/ferry/ferry_error_table.h by "
      "tools/errors-doc --python.\n# Do not edit by hand: a test fails when "
      "it differs from the table.\n"
      "\"\"\"ferry's exception classes: one base per category under "
      "ferry.Error, one\nclass per code under its category, and where code "
      "already catches a builtin\nexception for it, that builtin too.\"\"\"\n\n"
      "from typing import Dict, Type\n\n"
      "from ferry._error_base import Error\n");
  std::string categories = "\n\nCATEGORY_CLASSES: Dict[str, Type[Error]] = {\n";
  std::string all =
      "\n\n__all__ = [\n    \"CATEGORY_CLASSES\",\n    \"ERROR_CLASSES\",\n";
#define FERRY_X_PY_CATEGORY_(value, upper, lower, desc)                     \
  if (!CategoryClass(#lower).empty() && std::strcmp(#lower, "none") != 0) { \
    std::printf(                                                            \
        "\n\nclass %s(Error%s):\n    \"\"\"%s\"\"\"\n\n    category = "     \
        "\"%s\"\n",                                                         \
        CategoryClass(#lower).c_str(),                                      \
        std::strcmp(#lower, "network") == 0 ? ", ConnectionError" : "",     \
        Py(desc).c_str(), #lower);                                          \
    categories += "    \"" #lower "\": " + CategoryClass(#lower) + ",\n";   \
    all += "    \"" + CategoryClass(#lower) + "\",\n";                      \
  }
  FERRY_CATEGORY_TABLE(FERRY_X_PY_CATEGORY_)
#undef FERRY_X_PY_CATEGORY_
  std::string codes = "\n\nERROR_CLASSES: Dict[str, Type[Error]] = {\n";
  for (int32_t v = 1; v <= ferry_code_max(); ++v) {
    ferry_code_info i = FERRY_CODE_INFO_INIT;
    if (!ferry_code_info_get(v, &i)) continue;
    std::string base = CategoryClass(ferry_category_name(i.category));
    if (base.empty()) base = "Error";
    const char* builtin = BuiltinBase(i.name);
    std::printf(
        "\n\nclass %s(%s%s%s):\n    \"\"\"%s\n\n    What ferry already "
        "does: %s\n    \"\"\"\n\n    code = \"%s\"\n",
        CodeClass(i.name).c_str(), base.c_str(), builtin ? ", " : "",
        builtin ? builtin : "", Py(i.meaning).c_str(), Py(i.ferry_does).c_str(),
        i.name);
    codes +=
        "    \"" + std::string(i.name) + "\": " + CodeClass(i.name) + ",\n";
    all += "    \"" + CodeClass(i.name) + "\",\n";
  }
  std::printf("%s}\n%s}\n%s]\n", categories.c_str(), codes.c_str(),
              all.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--python") == 0) return PrintPython();
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
        i.name, CodeClass(i.name).c_str());
  }
  std::printf(
      "\n## Actions\n\n| action | what the user should do |\n|---|---|\n");
  for (int32_t a = 0; ferry_action_name(a) != nullptr; ++a) {
    std::printf("| `%s` | %s |\n", ferry_action_name(a),
                ferry_action_description(a));
  }
  return 0;
}
