/* SPDX-License-Identifier: Apache-2.0 */
/* ferry-upload-c: the smallest complete use of ferry from C (C99, ferry.h
 * only). Uploads one file and prints either "ok <sha256> <bytes>" or the
 * typed error as JSON.
 *
 *   ferry-upload-c ENDPOINT FILE [STATE_DIR]
 */
#include <stdio.h>

#include "ferry/ferry.h"

static int on_progress(const ferry_progress* p, void* user_data) {
  uint64_t* calls = (uint64_t*)user_data;
  ++*calls;
  if (p->bytes_done > p->bytes_total) return 1; /* never happens; abort */
  return 0;
}

int main(int argc, char** argv) {
  ferry_client_options options = FERRY_CLIENT_OPTIONS_INIT;
  ferry_upload_options upload = FERRY_UPLOAD_OPTIONS_INIT;
  ferry_kv metadata[1] = {{"origin", "c-sample"}};
  ferry_client* client;
  ferry_result* result = NULL;
  ferry_error* error = NULL;
  ferry_code code;
  uint64_t calls = 0;

  if (argc < 3) {
    fprintf(stderr, "usage: %s ENDPOINT FILE [STATE_DIR]\n", argv[0]);
    return 2;
  }
  options.endpoint = argv[1];
  options.state_dir = argc > 3 ? argv[3] : NULL;
  options.chunk_size = 1024 * 1024;
  client = ferry_client_new(&options, &error);
  if (client == NULL) {
    printf("%s\n", ferry_error_json(error));
    ferry_error_free(error);
    return 1;
  }
  upload.metadata = metadata;
  upload.metadata_count = 1;
  upload.on_progress = on_progress;
  upload.progress_user_data = &calls;
  code = ferry_upload_file(client, argv[2], &upload, &result, &error);
  if (code == FERRY_OK) {
    printf("ok %s %llu progress_calls=%llu\n", ferry_result_sha256(result),
           (unsigned long long)ferry_result_bytes(result),
           (unsigned long long)calls);
  } else {
    printf("%s\n", ferry_error_json(error));
    fprintf(stderr, "%s: %s (action: %s)\n", ferry_code_name(code),
            ferry_error_message(error),
            ferry_action_name(ferry_error_action(error)));
  }
  ferry_result_free(result);
  ferry_error_free(error);
  ferry_client_free(client);
  ferry_client_free(NULL); /* free accepts NULL */
  return code == FERRY_OK ? 0 : 1;
}
