/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "ferry/ferry.h"

int main(void) {
  ferry_code_info info = FERRY_CODE_INFO_INIT;
  if (!ferry_code_info_get(FERRY_ERR_FILE_TOO_LARGE, &info)) return 1;
  printf("%s %s\n", ferry_version(), info.name);
  /* The header's version is the library's (one version, generated). */
  if (strcmp(ferry_version(), FERRY_VERSION_STRING) != 0) return 1;
  return strcmp(info.name, "file_too_large") == 0 ? 0 : 1;
}
