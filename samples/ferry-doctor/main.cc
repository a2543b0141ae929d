// SPDX-License-Identifier: Apache-2.0
// ferry-doctor: what stands between this device and a working upload?
//
//   ferry-doctor [OPTION]... URL
//
// Checks DNS, TCP, TLS (version, chain, expiry, name), then what the
// protocol needs: for tus the clock against the server's Date, the server's
// capabilities, the credentials and a 1-byte upload; for S3 a signed
// request to the bucket (clock, credentials, bucket) and a multipart upload
// created and aborted. Prints what is wrong and what to do.
#include <getopt.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "cli_values.h"
#include "ferry/ferry.hpp"

namespace {

constexpr char kUsage[] =
    R"(Usage: ferry-doctor [OPTION]... URL

Checks what stands between this device and a working upload to URL: DNS,
TCP, TLS (version, chain, expiry, name), then what the protocol needs: for
tus the clock against the server's Date, the server's capabilities, the
credentials and a 1-byte upload; for S3 a signed request to the bucket and a
multipart upload created and aborted. Prints what is wrong and what to do.

Options:
      --protocol tus|s3|ietf|auto
                          the server's protocol (default tus)
      --bucket NAME       S3 bucket (with --protocol s3)
      --region REGION     S3 region (default $AWS_REGION, the profile's,
                          or us-east-1)
      --profile NAME      the AWS profile to take keys and region from
                          (default $AWS_PROFILE or default)
      --addressing auto|path|virtual
                          where the bucket goes (default auto: virtual on
                          AWS endpoints when the name allows)
  -H, --header 'K: V'     extra request header (repeatable); @FILE reads
                          'K: V' lines from FILE
      --ca-file FILE      trust the CA certificates in FILE (PEM)
      --max-clock-skew DURATION
                          clock difference that fails the check (default
                          2m; 500ms, 30s, 2m; a bare number is seconds)
      --insecure-skip-tls-verify
                          turn TLS verification OFF (tests only; warns)
  -o, --output text|json  text (default), or one JSON report on stdout
      --json              the same as -o json
  -h, --help              show this help and exit
  -V, --version           show the version and exit

Environment:
  FERRY_TOKEN             sent as 'Authorization: Bearer $FERRY_TOKEN'
  FERRY_HEADER_<NAME>     sent as header NAME ('_' becomes '-')
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION
                          S3 credentials and region; without keys there:
  AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE
                          the profile and files to read them from

Exit status:
  0    every check passed
  1    a check failed (the report says which, and what to do)
  2    usage error
)";

int UsageError(const std::string& why) {
  std::cerr << "ferry-doctor: " << why << "\n"
            << "Try 'ferry-doctor --help'.\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  enum {
    kCaFile = 1000,
    kJson,
    kSkew,
    kInsecure,
    kProtocol,
    kBucket,
    kRegion,
    kProfile,
    kAddressing
  };
  static const option kOptions[] = {
      {"protocol", required_argument, nullptr, kProtocol},
      {"bucket", required_argument, nullptr, kBucket},
      {"region", required_argument, nullptr, kRegion},
      {"profile", required_argument, nullptr, kProfile},
      {"addressing", required_argument, nullptr, kAddressing},
      {"ca-file", required_argument, nullptr, kCaFile},
      {"header", required_argument, nullptr, 'H'},
      {"json", no_argument, nullptr, kJson},
      {"output", required_argument, nullptr, 'o'},
      {"max-clock-skew", required_argument, nullptr, kSkew},
      {"insecure-skip-tls-verify", no_argument, nullptr, kInsecure},
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'V'},
      {nullptr, 0, nullptr, 0}};
  ferry::ClientOptions o;
  o.headers = ferry_cli::HeadersFromEnvironment();
  bool json = false;
  opterr = 0;
  int opt;
  while ((opt = getopt_long(argc, argv, "H:o:hV", kOptions, nullptr)) != -1) {
    std::string arg = optarg ? optarg : "";
    switch (opt) {
      case kCaFile:
        o.ca_file = arg;
        break;
      case 'H':
        if (auto error = ferry_cli::AddHeaderArg(arg, &o.headers)) {
          return UsageError(*error);
        }
        break;
      case kJson:
        json = true;
        break;
      case 'o':
        if (arg != "json" && arg != "text") {
          return UsageError("--output takes text or json");
        }
        json = arg == "json";
        break;
      case kProtocol:
        if (auto p = ferry_cli::ParseProtocol(arg)) {
          o.protocol = static_cast<ferry_protocol>(*p);
        } else {
          return UsageError(std::string("--protocol takes ") +
                            ferry_cli::kProtocolChoices);
        }
        break;
      case kBucket:
        o.s3_bucket = arg;
        break;
      case kRegion:
        o.s3_region = arg;
        break;
      case kProfile:
        o.s3_profile = arg;
        break;
      case kAddressing:
        if (arg == "auto" || arg == "path" || arg == "virtual") {
          o.s3_addressing = arg == "path"      ? FERRY_S3_ADDRESSING_PATH
                            : arg == "virtual" ? FERRY_S3_ADDRESSING_VIRTUAL
                                               : FERRY_S3_ADDRESSING_AUTO;
          break;
        }
        return UsageError("--addressing takes auto, path or virtual");
      case kSkew: {
        std::optional<uint64_t> ms = ferry_cli::ParseDuration(arg);
        if (!ms || *ms == 0 || *ms > 86400000) {
          return UsageError("--max-clock-skew takes a duration up to 24h");
        }
        o.max_clock_skew_ms = static_cast<uint32_t>(*ms);
        break;
      }
      case kInsecure:
        o.insecure_skip_tls_verify = true;
        std::cerr << "ferry-doctor: WARNING: TLS verification is OFF\n";
        break;
      case 'h':
        std::cout << kUsage;
        return 0;
      case 'V':
        std::cout << "ferry-doctor " << ferry_version() << "\n";
        return 0;
      default:
        return UsageError(
            std::string("unknown or incomplete option: ") +
            (optind > 0 && optind <= argc ? argv[optind - 1] : "?"));
    }
  }
  if (optind + 1 != argc) return UsageError("give exactly one URL");
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
