// SPDX-License-Identifier: Apache-2.0
// ferry-doctor: what stands between this device and a working upload?
//
//   ferry-doctor URL [--protocol tus|s3] [--bucket B] [--region R]
//                [--ca-file FILE] [--header 'K: V']... [--json]
//                [--max-clock-skew SECS] [--insecure-skip-tls-verify]
//
// Checks DNS, TCP, TLS (version, chain, expiry, name), then what the
// protocol needs: for tus the clock against the server's Date, the server's
// capabilities, the credentials and a 1-byte upload; for S3 (credentials
// from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN) a
// signed request to the bucket (clock, credentials, bucket) and a multipart
// upload created and aborted. Prints what is wrong and what to do. Exit 0 when
// nothing failed, 1 when something did, 2 on a usage error.
#include <getopt.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "ferry/ferry.hpp"

int main(int argc, char** argv) {
  enum {
    kCaFile = 1000,
    kHeader,
    kJson,
    kSkew,
    kInsecure,
    kHelp,
    kProtocol,
    kBucket,
    kRegion
  };
  static const option kOptions[] = {
      {"protocol", required_argument, nullptr, kProtocol},
      {"bucket", required_argument, nullptr, kBucket},
      {"region", required_argument, nullptr, kRegion},
      {"ca-file", required_argument, nullptr, kCaFile},
      {"header", required_argument, nullptr, kHeader},
      {"json", no_argument, nullptr, kJson},
      {"max-clock-skew", required_argument, nullptr, kSkew},
      {"insecure-skip-tls-verify", no_argument, nullptr, kInsecure},
      {"help", no_argument, nullptr, kHelp},
      {nullptr, 0, nullptr, 0}};
  auto usage = [](const std::string& why) {
    if (!why.empty()) std::cerr << "ferry-doctor: " << why << "\n";
    std::cerr << "usage: ferry-doctor URL [--protocol tus|s3] [--bucket B] "
                 "[--region R] [--ca-file FILE] [--header 'K: V'] "
                 "[--json] [--max-clock-skew SECS] "
                 "[--insecure-skip-tls-verify]\n";
    return 2;
  };
  ferry::ClientOptions o;
  bool json = false;
  opterr = 0;
  int opt;
  while ((opt = getopt_long(argc, argv, "", kOptions, nullptr)) != -1) {
    std::string arg = optarg ? optarg : "";
    switch (opt) {
      case kCaFile:
        o.ca_file = arg;
        break;
      case kHeader: {
        size_t colon = arg.find(':');
        if (colon == std::string::npos || colon == 0) {
          return usage("--header takes 'Name: value'");
        }
        std::string value = arg.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        o.headers.emplace_back(arg.substr(0, colon), value);
        break;
      }
      case kJson:
        json = true;
        break;
      case kProtocol:
        if (arg == "tus") {
          o.protocol = FERRY_PROTOCOL_TUS;
        } else if (arg == "s3") {
          o.protocol = FERRY_PROTOCOL_S3;
        } else {
          return usage("--protocol takes tus or s3");
        }
        break;
      case kBucket:
        o.s3_bucket = arg;
        break;
      case kRegion:
        o.s3_region = arg;
        break;
      case kSkew: {
        char* end = nullptr;
        long secs = std::strtol(arg.c_str(), &end, 10);  // NOLINT
        if (end == arg.c_str() || *end != '\0' || secs <= 0 || secs > 86400) {
          return usage("bad --max-clock-skew");
        }
        o.max_clock_skew_ms = static_cast<uint32_t>(secs * 1000);
        break;
      }
      case kInsecure:
        o.insecure_skip_tls_verify = true;
        break;
      case kHelp:
        usage("");
        return 0;
      default:
        return usage("unknown or incomplete option");
    }
  }
  if (optind + 1 != argc) return usage("give exactly one URL");
  o.endpoint = argv[optind];
  auto client = ferry::Client::Create(o);
  if (!client.ok()) {
    if (json) {
      std::cout << "{\"ok\":false,\"checks\":[{\"check\":\"url\",\"status\":"
                   "\"fail\",\"detail\":\"invalid configuration\",\"error\":"
                << client.error().json << "}]}\n";
    } else {
      std::cerr << "ferry-doctor: " << client.error().code_name << ": "
                << client.error().message << "\n";
    }
    return client.error().code == ferry::Code::k_invalid_argument ? 2 : 1;
  }
  auto report = client.value()->Doctor();
  std::cout << (json ? report.json + "\n" : report.text);
  return report.ok ? 0 : 1;
}
