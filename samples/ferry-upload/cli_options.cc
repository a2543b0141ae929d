// SPDX-License-Identifier: Apache-2.0
#include "cli_options.h"

#include <getopt.h>

#include <cstdlib>
#include <iostream>

#include "cli_values.h"
#include "external_commands.h"

namespace ferry_cli {
namespace {

constexpr char kUsage[] =
    R"(Usage: ferry-upload --endpoint URL [OPTION]... FILE...
       ferry-upload --endpoint URL [OPTION]... --recursive DIR...
       ferry-upload --endpoint URL [OPTION]... [--name NAME] -
       ferry-upload --endpoint URL --pending | --resume-all |
                    --forget ID [--discard-remote]

Uploads each FILE, resuming an interrupted upload of the same file where the
server's copy ends. Every failure is a typed error with a suggested action.
'-' uploads standard input (a pipe or a file): a stream of unknown length,
read once; a retry in this run loses nothing, but a stream cannot be resumed
by a later run.

Where and how:
      --endpoint URL      tus creation endpoint, or the S3 service endpoint
                          with --protocol s3 (required)
      --protocol tus|s3|ietf|auto
                          wire protocol (default tus). s3: multipart upload
                          to ENDPOINT/BUCKET/KEY, signed with SigV4, keys
                          found as the AWS CLI finds them (docs/s3.md);
                          ietf: the IETF resumable-upload draft
                          (docs/ietf.md); auto: tus or ietf, as the
                          endpoint's OPTIONS answer says
  -H, --header 'K: V'     extra request header (repeatable); @FILE reads
                          'K: V' lines from FILE, so a token need not be on
                          the command line (see also FERRY_TOKEN below)
      --metadata k=v      extra Upload-Metadata pair (repeatable)
      --name NAME         the name the upload goes by (tus filename, the S3
                          key without --key); one FILE or '-'
  -r, --recursive         upload every regular file under each DIR; each
                          goes by its path relative to DIR (the tus filename;
                          the S3 key, after --key PREFIX/ when given)
      --state-dir DIR     resume state directory
                          (default $XDG_STATE_HOME/ferry or ~/.local/state/ferry)

S3:
      --bucket NAME       S3 bucket (required with --protocol s3)
      --key KEY           S3 object key (one FILE; with -r a key prefix)
      --region REGION     S3 region (default $AWS_REGION, the profile's
                          region, or us-east-1)
      --addressing auto|path|virtual
                          where the bucket goes: path (ENDPOINT/BUCKET/KEY),
                          virtual (BUCKET.HOST/KEY), auto (default: virtual
                          on AWS endpoints when the name allows, else path)
      --profile NAME      the profile of ~/.aws/credentials and
                          ~/.aws/config to take keys, region or
                          credential_process from (default $AWS_PROFILE
                          or default; docs/s3.md)
      --content-type TYPE the object's Content-Type (tus: filetype metadata)
      --guess-content-type
                          without --content-type, the one the file name's
                          extension has in /etc/mime.types
      --cache-control V, --content-disposition V, --storage-class CLASS,
      --sse AES256|aws:kms, --sse-kms-key-id ID
                          what the object is created with (S3)
      --object-header 'Name: value'
                          another header the object is created with
                          (x-amz-tagging, x-amz-acl, Expires...; docs/s3.md)
      --multipart-threshold SIZE
                          smaller files go in one PutObject (default 8M;
                          0: always multipart)
      --part-size SIZE    S3 part size (default 8M, min 5M; grown for big files)
      --parallel-parts N  S3 parts sent at once (default 4)
      --unsigned-payload  S3: sign parts as UNSIGNED-PAYLOAD (Content-MD5
                          checks each part then) instead of their SHA-256
      --clock-offset DURATION
                          this device's known clock error (server - local;
                          '-' before it for a clock ahead), e.g. 90s
      --presign-command CMD
                          S3 presigned mode, no secret here: for every
                          request run CMD OP METHOD BUCKET KEY UPLOAD_ID PART
                          ['Name: value'...] (OP: create, upload_part,
                          list_parts, complete, abort, head_object; the
                          headers ferry will send); its first output line
                          is the URL to use

Transfer:
      --chunk-size SIZE   bytes per chunk, e.g. 8M (default 4M): the unit
                          read, checked, compressed and resumed by
      --request-size SIZE most bytes per streaming PATCH (default: no limit)
      --memory-budget SIZE
                          buffers of all uploads together (default 64M)
      --parallel N        upload N files at once over shared connections
                          (default: as many as --memory-budget holds, at
                          most 8; 1: one after another)
      --compress auto|off|N
                          zstd compression: auto adapts the level to the
                          link (default), off, or a fixed level 1-22
      --announce-sha256   send each file's SHA-256 in Upload-Metadata
      --max-send-rate RATE
                          bandwidth cap in bytes/s, e.g. 10M (default none)

Failures and retries (DURATION: 500ms, 30s, 2m, 1h; a bare number is
seconds):
      --max-retries N     retries in a row without progress (default 8)
      --retry-base DURATION
                          first backoff delay (default 250ms)
      --stall-timeout DURATION
                          fail a request that moves < 1 KiB/s that long (30s)
      --max-clock-skew DURATION
                          401/403 with the server's clock off by more than
                          this is clock_skew (default 2m)
      --on-change fail|restart
                          when a file changed since its interrupted upload:
                          fail with file_changed (default) or start anew
      --discard-on-cancel on Ctrl-C delete the upload instead of keeping it
      --refresh-command CMD
                          on an expired or refused token, run CMD; its first
                          output line 'Name: value' becomes a header and the
                          upload continues where it was. Commands run
                          without a shell (CMD is split into words as a
                          shell would, no $(...)), with standard input from
                          /dev/null, no other descriptor, and only PATH,
                          HOME, USER, LANG, LC_ALL, TMPDIR, TZ, FERRY_* and
                          AWS_* from the environment
      --rules FILE        map a server's own error codes to ferry codes
                          (JSON; see docs/rules.md)
      --blocked-extensions LIST
                          refuse these types before sending (".exe,.bat")
      --max-files N       refuse batches of more than N files up front

Security:
      --ca-file FILE      trust the CA certificates in FILE (PEM)
      --allow-origin ORIGIN
                          let upload URLs and redirects lead to ORIGIN
                          (https://host:port) with your headers (repeatable)
      --tls-min-version 1.2|1.3
                          the lowest TLS version accepted (default 1.2)
      --insecure-skip-tls-verify
                          turn TLS verification OFF (tests only; warns at
                          every upload)

Unfinished uploads:
      --pending           list the unfinished uploads of this endpoint (id,
                          path, bytes on the server, expiry, last error)
      --resume-all        continue every pending upload (and any FILE given);
                          a pending stream is reported source_not_resumable
      --forget ID         drop a pending upload's resume state (repeatable);
                          with --discard-remote also delete the server's copy

Output:
  -o, --output text|json  text (default), or one JSON object per line on
                          stdout (progress, retry, resumed, created, done,
                          error events)
      --json              the same as -o json
  -v, --verbose           say more: every retry and decision; without a
                          terminal, a progress line every 5 seconds
  -q, --quiet             errors only: no progress bar, no notes
  -h, --help              show this help and exit
  -V, --version           show the version and exit

Environment:
  FERRY_TOKEN             sent as 'Authorization: Bearer $FERRY_TOKEN'
  FERRY_HEADER_<NAME>     sent as header NAME ('_' becomes '-'), e.g.
                          FERRY_HEADER_X_API_KEY=... sends X-API-KEY
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION
                          S3 credentials and region; without keys there:
  AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE
                          the profile and files to read them from

Exit status:
  0    every file was uploaded
  1    a file was refused, or failed in a way retrying cannot fix
  2    usage error (nothing was sent)
  3    every failure was retryable (network, server busy): try again later;
       the next run resumes where this one stopped
  130  interrupted by Ctrl-C (SIGINT); 143 by SIGTERM; the resume state is
       kept
)";

// Why an option's value is wrong, or nothing.
using OptionError = std::optional<std::string>;
constexpr uint64_t kDayMs = 86400000;

// A size or count in [low, high] into *field.
template <typename T>
OptionError SetNumber(const std::string& arg, const char* option, uint64_t low,
                      uint64_t high, T* field) {
  std::optional<uint64_t> n = ParseSize(arg);
  if (!n || *n < low || *n > high) {
    return std::string("bad ") + option + ": " + arg;
  }
  *field = static_cast<T>(*n);
  return std::nullopt;
}

// A duration of at least 1 ms and at most max_ms into *field (ms); a bare
// number counts `bare_ms` each.
OptionError SetDuration(const std::string& arg, const char* option,
                        uint64_t bare_ms, uint64_t max_ms, uint32_t* field) {
  std::optional<uint64_t> ms = ParseDuration(arg, bare_ms);
  if (!ms || *ms == 0 || *ms > max_ms) {
    return std::string(option) + " takes a duration (500ms, 30s, 2m): " + arg;
  }
  *field = static_cast<uint32_t>(*ms);
  return std::nullopt;
}

// A signed duration ("-90s") in milliseconds into *field.
OptionError SetSignedDuration(const std::string& arg, uint64_t bare_ms,
                              int64_t* field) {
  bool negative = !arg.empty() && arg[0] == '-';
  std::optional<uint64_t> ms =
      ParseDuration(negative ? arg.substr(1) : arg, bare_ms);
  if (!ms || *ms > (1ull << 62)) return "bad --clock-offset: " + arg;
  *field = negative ? -static_cast<int64_t>(*ms) : static_cast<int64_t>(*ms);
  return std::nullopt;
}

// One of `choices` into *field.
OptionError SetChoice(const std::string& arg, const char* option,
                      const std::vector<std::string>& choices,
                      std::string* field) {
  for (const std::string& choice : choices) {
    if (arg == choice) {
      *field = arg;
      return std::nullopt;
    }
  }
  return std::string("bad ") + option + ": " + arg;
}

OptionError SetCompress(const std::string& arg, int* level) {
  if (arg == "auto" || arg == "off") {
    *level = arg == "auto" ? FERRY_COMPRESS_AUTO : FERRY_COMPRESS_OFF;
    return std::nullopt;
  }
  if (SetNumber(arg, "--compress", 1, 22, level)) {
    return std::string("--compress takes auto, off or a level 1-22");
  }
  return std::nullopt;
}

OptionError AddMetadata(const std::string& arg, ferry::UploadOptions* upload) {
  size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0) return "--metadata takes key=value";
  upload->metadata.emplace_back(arg.substr(0, eq), arg.substr(eq + 1));
  return std::nullopt;
}

// One header the object is created with (libferry checks the name).
OptionError SetObjectHeader(const std::string& name, const std::string& value,
                            ferry::UploadOptions* upload) {
  for (auto& [n, v] : upload->object_headers) {
    if (n == name) return (v = value, std::nullopt);
  }
  upload->object_headers.emplace_back(name, value);
  return std::nullopt;
}

OptionError AddObjectHeader(const std::string& arg,
                            ferry::UploadOptions* upload) {
  size_t colon = arg.find(':');
  if (colon == std::string::npos || colon == 0) {
    return "--object-header takes 'Name: value'";
  }
  std::string value = arg.substr(colon + 1);
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  return SetObjectHeader(arg.substr(0, colon), value, upload);
}

std::vector<std::string> SplitCommas(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    if (comma > start) out.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// One option: its names, whether it takes a value, and what it sets.
struct OptionSpec {
  const char* name;
  char short_name;  // 0: none
  bool takes_value;
  OptionError (*set)(const std::string& arg, CliOptions* o);
};

using A = const std::string&;  // an option's value
using O = CliOptions*;         // what it sets
const OptionError kDone;       // an option that took its value
constexpr char kBadCommand[] =
    "a command is a program and its arguments, quoted as in a shell, "
    "without $(...) or backquotes (it runs without a shell)";

// Every option, as --help lists them (help and version are handled apart).
const OptionSpec kOptions[] = {
    // Where and how.
    {"endpoint", 0, true,
     [](A a, O o) { return (o->client.endpoint = a, kDone); }},
    {"protocol", 0, true,
     [](A a, O o) {
       std::optional<int> p = ferry_cli::ParseProtocol(a);
       if (!p) {
         return OptionError(std::string("--protocol takes ") +
                            ferry_cli::kProtocolChoices);
       }
       o->client.protocol = static_cast<ferry_protocol>(*p);
       return kDone;
     }},
    {"header", 'H', true,
     [](A a, O o) { return AddHeaderArg(a, &o->client.headers); }},
    {"metadata", 0, true, [](A a, O o) { return AddMetadata(a, &o->upload); }},
    {"name", 0, true, [](A a, O o) { return (o->name = a, kDone); }},
    {"recursive", 'r', false,
     [](A, O o) { return (o->recursive = true, kDone); }},
    {"state-dir", 0, true,
     [](A a, O o) { return (o->client.state_dir = a, kDone); }},
    // S3.
    {"bucket", 0, true,
     [](A a, O o) { return (o->client.s3_bucket = a, kDone); }},
    {"key", 0, true,
     [](A a, O o) { return (o->upload.object_key = a, kDone); }},
    {"region", 0, true,
     [](A a, O o) { return (o->client.s3_region = a, kDone); }},
    {"addressing", 0, true,
     [](A a, O o) -> OptionError {
       static const char* const kStyles[] = {"auto", "path", "virtual"};
       for (int i = 0; i < 3; ++i) {
         if (a == kStyles[i]) {
           o->client.s3_addressing = static_cast<ferry_s3_addressing>(i);
           return kDone;
         }
       }
       return "--addressing takes auto, path or virtual";
     }},
    {"profile", 0, true,
     [](A a, O o) { return (o->client.s3_profile = a, kDone); }},
    {"content-type", 0, true,
     [](A a, O o) { return SetObjectHeader("Content-Type", a, &o->upload); }},
    {"guess-content-type", 0, false,
     [](A, O o) { return (o->upload.guess_content_type = true, kDone); }},
    {"cache-control", 0, true,
     [](A a, O o) { return SetObjectHeader("Cache-Control", a, &o->upload); }},
    {"content-disposition", 0, true,
     [](A a, O o) {
       return SetObjectHeader("Content-Disposition", a, &o->upload);
     }},
    {"storage-class", 0, true,
     [](A a, O o) {
       return SetObjectHeader("x-amz-storage-class", a, &o->upload);
     }},
    {"sse", 0, true,
     [](A a, O o) {
       return SetObjectHeader("x-amz-server-side-encryption", a, &o->upload);
     }},
    {"sse-kms-key-id", 0, true,
     [](A a, O o) {
       return SetObjectHeader("x-amz-server-side-encryption-aws-kms-key-id", a,
                              &o->upload);
     }},
    {"object-header", 0, true,
     [](A a, O o) { return AddObjectHeader(a, &o->upload); }},
    {"multipart-threshold", 0, true,
     [](A a, O o) {
       uint64_t v = 0;
       OptionError e = SetNumber(a, "--multipart-threshold", 0, INT64_MAX, &v);
       // 0 here: always multipart (the library's 0 is its default).
       o->client.s3_multipart_threshold = v == 0 ? -1 : static_cast<int64_t>(v);
       return e;
     }},
    {"part-size", 0, true,
     [](A a, O o) {
       return SetNumber(a, "--part-size", 1, UINT64_MAX,
                        &o->client.s3_part_size);
     }},
    {"parallel-parts", 0, true,
     [](A a, O o) {
       return SetNumber(a, "--parallel-parts (1-64)", 1, 64,
                        &o->client.s3_parallel_parts);
     }},
    {"unsigned-payload", 0, false,
     [](A, O o) { return (o->client.s3_unsigned_payload = true, kDone); }},
    {"clock-offset", 0, true,
     [](A a, O o) {
       return SetSignedDuration(a, 1000, &o->client.clock_offset_ms);
     }},
    {"clock-offset-ms", 0, true,  // the older spelling, in milliseconds
     [](A a, O o) {
       return SetSignedDuration(a, 1, &o->client.clock_offset_ms);
     }},
    {"presign-command", 0, true,
     [](A a, O o) {
       std::optional<std::vector<std::string>> argv = SplitCommand(a);
       if (!argv) return OptionError(kBadCommand);
       o->client.s3_presign = [argv = *argv](const ferry::S3PresignRequest& r) {
         return RunPresignCommand(argv, r);
       };
       return kDone;
     }},
    // Transfer.
    {"chunk-size", 0, true,
     [](A a, O o) {
       return SetNumber(a, "--chunk-size", 1, UINT64_MAX,
                        &o->client.chunk_size);
     }},
    {"request-size", 0, true,
     [](A a, O o) {
       return SetNumber(a, "--request-size", 1, UINT64_MAX,
                        &o->client.request_size);
     }},
    {"memory-budget", 0, true,
     [](A a, O o) {
       return SetNumber(a, "--memory-budget", 1, UINT64_MAX,
                        &o->client.memory_budget);
     }},
    {"parallel", 0, true,
     [](A a, O o) {
       return SetNumber(a, "--parallel (1-256)", 1, 256, &o->parallel);
     }},
    {"compress", 0, true,
     [](A a, O o) { return SetCompress(a, &o->client.compress_level); }},
    {"announce-sha256", 0, false,
     [](A, O o) { return (o->client.announce_sha256 = true, kDone); }},
    {"max-send-rate", 0, true,
     [](A a, O o) {
       return SetNumber(a, "--max-send-rate", 0, UINT64_MAX,
                        &o->client.max_send_bytes_per_sec);
     }},
    // Failures and retries.
    {"max-retries", 0, true,
     [](A a, O o) {
       uint32_t n = 0;
       OptionError e = SetNumber(a, "--max-retries (0-1000)", 0, 1000, &n);
       if (!e) o->client.max_retries = n;
       return e;
     }},
    {"retry-base", 0, true,
     [](A a, O o) {
       return SetDuration(a, "--retry-base", 1000, 60000,
                          &o->client.retry_base_delay_ms);
     }},
    {"retry-base-ms", 0, true,  // the older spelling, in milliseconds
     [](A a, O o) {
       return SetDuration(a, "--retry-base-ms", 1, 60000,
                          &o->client.retry_base_delay_ms);
     }},
    {"stall-timeout", 0, true,
     [](A a, O o) {
       return SetDuration(a, "--stall-timeout", 1000, kDayMs,
                          &o->client.stall_window_ms);
     }},
    {"max-clock-skew", 0, true,
     [](A a, O o) {
       return SetDuration(a, "--max-clock-skew", 1000, kDayMs,
                          &o->client.max_clock_skew_ms);
     }},
    {"on-change", 0, true,
     [](A a, O o) {
       std::string v;
       if (SetChoice(a, "--on-change", {"fail", "restart"}, &v)) {
         return OptionError("--on-change takes fail or restart");
       }
       o->upload.restart_on_change = v == "restart";
       return kDone;
     }},
    {"discard-on-cancel", 0, false,
     [](A, O o) { return (o->upload.discard_on_cancel = true, kDone); }},
    {"refresh-command", 0, true,
     [](A a, O o) {
       std::optional<std::vector<std::string>> argv = SplitCommand(a);
       if (!argv) return OptionError(kBadCommand);
       o->client.refresh_credentials = [argv = *argv](const ferry::Error&,
                                                      HeaderPairs* headers) {
         return RunRefreshCommand(argv, headers);
       };
       return kDone;
     }},
    {"rules", 0, true,
     [](A a, O o) { return (o->client.rules_file = a, kDone); }},
    {"blocked-extensions", 0, true,
     [](A a, O o) {
       for (std::string& ext : SplitCommas(a)) {
         o->client.blocked_extensions.push_back(std::move(ext));
       }
       return kDone;
     }},
    {"max-files", 0, true,
     [](A a, O o) {
       return SetNumber(a, "--max-files", 1, UINT32_MAX,
                        &o->client.max_files_per_batch);
     }},
    // Security.
    {"ca-file", 0, true,
     [](A a, O o) { return (o->client.ca_file = a, kDone); }},
    {"allow-origin", 0, true,
     [](A a, O o) { return (o->client.allowed_origins.push_back(a), kDone); }},
    {"tls-min-version", 0, true,
     [](A a, O o) {
       std::string v;
       if (SetChoice(a, "--tls-min-version", {"1.2", "1.3"}, &v)) {
         return OptionError("--tls-min-version takes 1.2 or 1.3");
       }
       o->client.tls_min_version = v == "1.3" ? 13 : 12;
       return kDone;
     }},
    {"insecure-skip-tls-verify", 0, false,
     [](A, O o) {
       o->client.insecure_skip_tls_verify = true;
       std::cerr << "ferry-upload: WARNING: TLS verification is OFF; anyone "
                    "on the path can read and alter this upload\n";
       return kDone;
     }},
    // Unfinished uploads.
    {"pending", 0, false, [](A, O o) { return (o->pending = true, kDone); }},
    {"resume-all", 0, false,
     [](A, O o) { return (o->resume_all = true, kDone); }},
    {"forget", 0, true,
     [](A a, O o) { return (o->forget.push_back(a), kDone); }},
    {"discard-remote", 0, false,
     [](A, O o) { return (o->discard_remote = true, kDone); }},
    // Output.
    {"output", 'o', true,
     [](A a, O o) {
       std::string v;
       if (SetChoice(a, "--output", {"text", "json"}, &v)) {
         return OptionError("--output takes text or json");
       }
       o->output = v == "json" ? OutputFormat::kJson : OutputFormat::kText;
       return kDone;
     }},
    {"json", 0, false,
     [](A, O o) { return (o->output = OutputFormat::kJson, kDone); }},
    {"verbose", 'v', false,
     [](A, O o) {
       o->verbosity = o->verbosity < 0 ? 1 : o->verbosity + 1;
       return kDone;
     }},
    {"quiet", 'q', false, [](A, O o) { return (o->verbosity = -1, kDone); }},
};

constexpr int kFirstLong = 1000;  // getopt's value for kOptions[i]: 1000 + i
constexpr int kHelp = 'h', kVersion = 'V';

// getopt_long's tables, made from kOptions.
struct GetoptTables {
  std::vector<option> longs;
  std::string shorts;
};

GetoptTables MakeGetoptTables() {
  GetoptTables t;
  int i = 0;
  for (const OptionSpec& spec : kOptions) {
    int has_arg = spec.takes_value ? required_argument : no_argument;
    t.longs.push_back({spec.name, has_arg, nullptr, kFirstLong + i++});
    if (spec.short_name != 0) {
      t.shorts += spec.short_name;
      if (spec.takes_value) t.shorts += ':';
    }
  }
  t.longs.push_back({"help", no_argument, nullptr, kHelp});
  t.longs.push_back({"version", no_argument, nullptr, kVersion});
  t.longs.push_back({nullptr, 0, nullptr, 0});
  t.shorts += "hV";
  return t;
}

// The spec getopt's return value stands for, or nullptr (unknown option).
const OptionSpec* SpecFor(int opt) {
  for (const OptionSpec& spec : kOptions) {
    if (spec.short_name != 0 && opt == spec.short_name) return &spec;
  }
  int i = opt - kFirstLong;
  constexpr int kCount = sizeof kOptions / sizeof kOptions[0];
  return i >= 0 && i < kCount ? &kOptions[i] : nullptr;
}

// Checks the options against each other and against the operands.
std::optional<std::string> Validate(const CliOptions& o) {
  size_t count = o.operands.size();
  bool managing = o.pending || !o.forget.empty();
  if (o.client.endpoint.empty()) return "--endpoint is required";
  if (count == 0 && !managing && !o.resume_all) return "no FILE given";
  if (managing && (count > 0 || o.resume_all)) {
    return "--pending and --forget take no FILE and no --resume-all";
  }
  if (o.discard_remote && o.forget.empty()) {
    return "--discard-remote goes with --forget";
  }
  for (const std::string& operand : o.operands) {
    if (operand == "-" && count > 1) {
      return "'-' (standard input) must be the only FILE";
    }
  }
  if (!o.name.empty() && (count > 1 || o.recursive)) {
    return "--name names one upload: give one FILE";
  }
  if (o.client.protocol == FERRY_PROTOCOL_S3 && o.client.s3_bucket.empty()) {
    return "--protocol s3 needs --bucket";
  }
  if (!o.upload.object_key.empty() && count > 1 && !o.recursive) {
    return "--key names one object: give one FILE";
  }
  return std::nullopt;
}

}  // namespace

int UsageError(const std::string& message) {
  std::cerr << "ferry-upload: " << message << "\n"
            << "Try 'ferry-upload --help'.\n";
  return kExitUsage;
}

ParsedCommandLine ParseCommandLine(int argc, char** argv) {
  CliOptions o;
  // Environment first: the command line adds to it.
  o.client.headers = HeadersFromEnvironment();
  GetoptTables tables = MakeGetoptTables();
  opterr = 0;
  int opt;
  while ((opt = getopt_long(argc, argv, tables.shorts.c_str(),
                            tables.longs.data(), nullptr)) != -1) {
    if (opt == kHelp) {
      std::cout << kUsage;
      return {std::nullopt, kExitOk};
    }
    if (opt == kVersion) {
      std::cout << "ferry-upload " << ferry_version() << "\n";
      return {std::nullopt, kExitOk};
    }
    const OptionSpec* spec = SpecFor(opt);
    OptionError error = spec != nullptr
                            ? spec->set(optarg ? optarg : "", &o)
                            : OptionError("unknown or incomplete option: " +
                                          std::string(argv[optind - 1]));
    if (error) return {std::nullopt, UsageError(*error)};
  }
  o.operands.assign(argv + optind, argv + argc);
  if (auto error = Validate(o)) return {std::nullopt, UsageError(*error)};
  return {std::move(o), kExitOk};
}

}  // namespace ferry_cli
