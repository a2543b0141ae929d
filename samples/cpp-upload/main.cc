// SPDX-License-Identifier: Apache-2.0
// ferry-upload-cpp: the smallest complete use of ferry from C++ (ferry.hpp).
// Uploads one file, resuming an earlier interrupted upload of it, and
// prints either "ok <sha256> <bytes>" or the typed error.
//
//   ferry-upload-cpp ENDPOINT FILE [STATE_DIR]
#include <cstdio>
#include <iostream>

#include "ferry/ferry.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: " << argv[0] << " ENDPOINT FILE [STATE_DIR]\n";
    return 2;
  }
  ferry::ClientOptions options;
  options.endpoint = argv[1];
  if (argc > 3) options.state_dir = argv[3];
  // Every object frees itself: Client, Outcome and Error are plain values or
  // owning handles.
  auto client = ferry::Client::Create(options);
  if (!client.ok()) {
    std::cerr << client.error().code_name << ": " << client.error().message
              << "\n";
    return 1;
  }

  ferry::UploadOptions upload;
  upload.metadata = {{"origin", "cpp-sample"}};
  upload.on_progress = [](const ferry::Progress& p) {
    std::fprintf(stderr, "\r%llu / %llu bytes acknowledged",
                 static_cast<unsigned long long>(p.bytes_acked),
                 static_cast<unsigned long long>(p.bytes_total));
    return true;  // false cancels, keeping the resume state
  };
  ferry::Outcome<ferry::UploadResult> result =
      client.value()->Upload(argv[2], upload);
  std::fprintf(stderr, "\n");
  if (!result.ok()) {
    const ferry::Error& e = result.error();
    // What went wrong, who refused, and whether trying again can help.
    std::cerr << e.code_name << " (" << e.category << ", refused by "
              << e.origin << (e.retryable ? ", retryable" : "")
              << "): " << e.message << "\nwhat to do: " << e.action << "\n";
    return e.retryable ? 3 : 1;
  }
  std::cout << "ok " << result.value().sha256 << " " << result.value().bytes
            << "\n";
  return 0;
}
