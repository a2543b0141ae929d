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
