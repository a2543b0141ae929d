// ferry-upload: upload files with ferry from the command line.
//
//   ferry-upload --endpoint URL [options] FILE...
//
// Exit status: 0 when every file succeeded, 1 when any failed, 2 on a usage
// error. With --json, one JSON object per line on stdout (progress, retry,
// resumed, restarted, created, done, error events).
#include <getopt.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ferry/ferry.hpp"

namespace {

std::atomic<bool> g_interrupted{false};
int g_resume_all_refused = 0;  // pending streams --resume-all could not take

void OnSignal(int) { g_interrupted = true; }

constexpr char kUsage[] =
    R"(usage: ferry-upload --endpoint URL [options] FILE...
       ferry-upload --endpoint URL [options] [--name NAME] -
       ferry-upload --endpoint URL [options] --pending | --resume-all |
                    --forget ID [--discard-remote]

Uploads each FILE, resuming an interrupted upload of the same file where the
server's copy ends. Every failure is a typed error with a suggested action.
'-' uploads standard input (a pipe or a file): a stream of unknown length,
read once; a retry in this run loses nothing, but a stream cannot be resumed
by a later run.

options:
  --endpoint URL          tus creation endpoint, or the S3 service endpoint
                          with --protocol s3 (required)
  --protocol tus|s3       wire protocol (default tus). s3: multipart upload
                          to ENDPOINT/BUCKET/KEY, signed with SigV4 from
                          AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
                          AWS_SESSION_TOKEN and AWS_REGION (docs/s3.md)
  --bucket NAME           S3 bucket (required with --protocol s3)
  --key KEY               S3 object key (one FILE only; default its name)
  --region REGION         S3 region (default $AWS_REGION or us-east-1)
  --part-size SIZE        S3 part size (default 8M, min 5M; grown for big files)
  --parallel-parts N      S3 parts sent at once (default 4)
  --unsigned-payload      S3: sign parts as UNSIGNED-PAYLOAD (Content-MD5
                          still checks each part) instead of their SHA-256
  --clock-offset-ms N     this device's known clock error (server - local)
  --presign-command CMD   S3 presigned mode, no secret here: for every
                          request run CMD OP METHOD BUCKET KEY UPLOAD_ID PART
                          ['Name: value'...] (OP: create, upload_part,
                          list_parts, complete, abort; the headers ferry will
                          send); its first output line is the URL to use
  --chunk-size SIZE       bytes per chunk, e.g. 8M (default 4M): the unit
                          read, checked, compressed and resumed by (and
                          per PATCH when the server takes checksums)
  --request-size SIZE     most bytes per streaming PATCH (default: no limit)
  --memory-budget SIZE    buffers of all uploads together (default 64M)
  --announce-sha256       send each file's SHA-256 in Upload-Metadata (hashes
                          the file before its first byte is sent)
  --parallel N            upload N files at once over shared connections
                          (default 4; 1: one after another)
  --compress auto|off|N   zstd compression: auto adapts the level to the
                          link (default), off, or a fixed level 1-22
  --state-dir DIR         resume state directory
                          (default $XDG_STATE_HOME/ferry or ~/.local/state/ferry)
  --header 'K: V'         extra request header (repeatable)
  --metadata k=v          extra Upload-Metadata pair (repeatable)
  --ca-file FILE          trust the CA certificates in FILE (PEM)
  --insecure-skip-tls-verify
                          turn TLS verification OFF (tests only; warns)
  --max-retries N         retries in a row without progress (default 8)
  --retry-base-ms N       first backoff delay in ms (default 250)
  --stall-timeout SECS    fail a request that moves < 1 KiB/s for SECS (30)
  --max-send-rate RATE    bandwidth cap in bytes/s, e.g. 10M (default none)
  --on-change fail|restart
                          when a file changed since its interrupted upload:
                          fail with file_changed (default) or start anew
  --discard-on-cancel     on Ctrl-C delete the upload instead of keeping it
  --allow-origin ORIGIN   let upload URLs and redirects lead to ORIGIN
                          (https://host:port) with your headers (repeatable)
  --rules FILE            map a server's own error codes to ferry codes
                          (JSON; see docs/rules.md)
  --blocked-extensions L  refuse these types before sending (".exe,.bat")
  --max-files N           refuse batches of more than N files up front
  --max-clock-skew SECS   401/403 with the server's clock off by more than
                          SECS is clock_skew (default 120)
  --refresh-command CMD   on an expired or refused token, run CMD; its first
                          output line 'Name: value' becomes a header and the
                          upload continues where it was
  --name NAME             the name the upload goes by (tus filename, the S3
                          key without --key); one FILE or '-'
  --pending               list the unfinished uploads of this endpoint (id,
                          path, bytes on the server, expiry, last error)
  --resume-all            continue every pending upload (and any FILE given);
                          a pending stream is reported source_not_resumable
  --forget ID             drop a pending upload's resume state (repeatable);
                          with --discard-remote also delete the server's copy
  --json                  one JSON object per line on stdout
  --help, --version
)";

int UsageError(const std::string& message) {
  std::cerr << "ferry-upload: " << message << "\n"
            << "Try 'ferry-upload --help'.\n";
  return 2;
}

// "8M", "512k", "1G", "1000": bytes. False on junk or overflow.
bool ParseSize(const std::string& text, uint64_t* out) {
  if (text.empty()) return false;
  size_t pos = 0;
  uint64_t v = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    if (v > (UINT64_MAX - 9) / 10) return false;
    v = v * 10 + static_cast<uint64_t>(text[pos] - '0');
    ++pos;
  }
  if (pos == 0) return false;
  std::string suffix = text.substr(pos);
  uint64_t mult = 1;
  if (suffix == "" || suffix == "B") {
    mult = 1;
  } else if (suffix == "K" || suffix == "k" || suffix == "KiB") {
    mult = 1ull << 10;
  } else if (suffix == "M" || suffix == "m" || suffix == "MiB") {
    mult = 1ull << 20;
  } else if (suffix == "G" || suffix == "g" || suffix == "GiB") {
    mult = 1ull << 30;
  } else {
    return false;
  }
  if (v > UINT64_MAX / mult) return false;
  *out = v * mult;
  return true;
}

std::string HumanBytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return buf;
}

using HeaderPairs = std::vector<std::pair<std::string, std::string>>;

// Runs the app's refresh command; its first line "Name: value" is the fresh
// header. The value is a secret: it is never printed.
bool RunRefreshCommand(const std::string& cmd, HeaderPairs* headers) {
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return false;
  char line[8192];
  bool got = std::fgets(line, sizeof line, p) != nullptr;
  int status = ::pclose(p);
  if (!got || status != 0) return false;
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string value = text.substr(colon + 1);
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  headers->emplace_back(text.substr(0, colon), value);
  return true;
}

// One shell word, whatever the text: inside single quotes, ' becomes '\''.
std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Runs the app's presign command for one S3 request; its first output line
// is the URL. Called from several threads at once (popen is thread-safe).
std::optional<std::string> RunPresignCommand(const std::string& cmd,
                                             const ferry::S3PresignRequest& r) {
  static const char* const kOps[] = {"",           "create",   "upload_part",
                                     "list_parts", "complete", "abort"};
  int op = static_cast<int>(r.op);
  if (op < 1 || op > 5) return std::nullopt;
  std::string line = cmd;
  for (const std::string& word :
       {std::string(kOps[op]), r.method, r.bucket, r.key, r.upload_id,
        std::to_string(r.part_number)}) {
    line += " " + ShellQuote(word);
  }
  for (const auto& [name, value] : r.headers) {
    line += " " + ShellQuote(name + ": " + value);
  }
  FILE* p = ::popen(line.c_str(), "r");
  if (p == nullptr) return std::nullopt;
  std::string url;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p) != nullptr && url.size() < 16384) {
    url += buf;
    if (url.back() == '\n') break;
  }
  // Drain the rest so the command never blocks on a full pipe.
  while (std::fgets(buf, sizeof buf, p) != nullptr) {
  }
  if (::pclose(p) != 0) return std::nullopt;
  while (!url.empty() && (url.back() == '\n' || url.back() == '\r')) {
    url.pop_back();
  }
  if (url.empty()) return std::nullopt;
  return url;
}

void PrintLine(const nlohmann::json& j) {
  std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
            << "\n"
            << std::flush;
}

// A one-line progress bar on stderr, redrawn in place.
class ProgressBar {
 public:
  explicit ProgressBar(std::string name)
      : name_(std::move(name)), start_(std::chrono::steady_clock::now()) {}
  void Draw(const ferry::Progress& p) {
    double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_)
            .count();
    double rate = secs > 0 ? p.wire_bytes / secs : 0;
    if (!p.total_known) {
      // A stream of unknown length: bytes so far, no fraction.
      std::fprintf(stderr, "\r%-20.20s %10s sent, %10s read %10s/s ",
                   name_.c_str(), HumanBytes(p.bytes_done).c_str(),
                   HumanBytes(p.bytes_total).c_str(), HumanBytes(rate).c_str());
      drawn_ = true;
      return;
    }
    double frac = p.bytes_total ? double(p.bytes_done) / p.bytes_total : 1.0;
    int width = 30, fill = static_cast<int>(frac * width);
    std::string bar(fill, '#');
    bar += std::string(width - fill, '.');
    std::fprintf(stderr, "\r%-20.20s [%s] %3d%% %10s / %-10s %10s/s ",
                 name_.c_str(), bar.c_str(), static_cast<int>(frac * 100),
                 HumanBytes(p.bytes_done).c_str(),
                 HumanBytes(p.bytes_total).c_str(), HumanBytes(rate).c_str());
    drawn_ = true;
  }
  void End() {
    if (drawn_) std::fprintf(stderr, "\n");
    drawn_ = false;
  }

 private:
  std::string name_;
  std::chrono::steady_clock::time_point start_;
  bool drawn_ = false;
};

void PrintHumanError(const std::string& file, const ferry::Error& e) {
  std::cerr << "ferry-upload: " << file << ": " << e.code_name << "\n"
            << "  " << e.message << "\n"
            << "  category: " << e.category << ", refused by: " << e.origin
            << ", retryable: " << (e.retryable ? "yes" : "no") << "\n";
  if (e.limit >= 0) std::cerr << "  limit: " << e.limit << " bytes\n";
  if (e.retry_after_ms >= 0) {
    std::cerr << "  retry after: " << e.retry_after_ms / 1000.0 << " s\n";
  }
  if (!e.request_id.empty())
    std::cerr << "  request id: " << e.request_id << "\n";
  std::cerr << "  what to do (" << e.action << "): ";
  for (int32_t a = 0; ferry_action_name(a) != nullptr; ++a) {
    if (e.action == ferry_action_name(a))
      std::cerr << ferry_action_description(a);
  }
  std::cerr << "\n";
}

// --pending: what the state directory holds for this client.
int ListPending(ferry::Client& client, bool json) {
  std::vector<ferry::PendingUpload> list = client.Pending();
  for (const ferry::PendingUpload& p : list) {
    if (json) {
      nlohmann::json j = {
          {"event", "pending"},       {"id", p.id},
          {"path", p.path},           {"name", p.name},
          {"endpoint", p.endpoint},   {"protocol", p.protocol},
          {"size", p.size},           {"bytes_on_server", p.bytes_on_server},
          {"expires", p.expires},     {"created_unix", p.created_unix},
          {"resumable", p.resumable}, {"last_error", nullptr}};
      if (p.last_error) {
        j["last_error"] = {{"code", p.last_error->code_name},
                           {"message", p.last_error->message}};
      }
      PrintLine(j);
      continue;
    }
    std::cout << p.id << "  "
              << (p.path.empty() ? "(stream " + p.name + ")" : p.path) << "\n  "
              << p.protocol << " " << p.endpoint << ", "
              << HumanBytes(double(p.bytes_on_server)) << " of "
              << HumanBytes(double(p.size)) << " on the server"
              << (p.expires.empty() ? "" : ", expires " + p.expires)
              << (p.resumable ? "" : ", cannot be resumed (a stream)") << "\n";
    if (p.last_error) {
      std::cout << "  last error: " << p.last_error->code_name << ": "
                << p.last_error->message << "\n";
    }
  }
  if (!json && list.empty()) std::cout << "no unfinished uploads\n";
  return 0;
}

// --forget ID...: drops the entries (and with --discard-remote the server's
// copies).
int ForgetPending(ferry::Client& client, const std::vector<std::string>& ids,
                  bool discard_remote, bool json) {
  int failures = 0;
  for (const std::string& id : ids) {
    std::optional<ferry::Error> e = client.Forget(id, discard_remote);
    if (!e) {
      if (json) {
        PrintLine({{"event", "forgotten"}, {"id", id}});
      } else {
        std::cout << id << ": forgotten"
                  << (discard_remote ? " (server copy removed)" : "") << "\n";
      }
      continue;
    }
    ++failures;
    if (json) {
      PrintLine({{"event", "error"},
                 {"id", id},
                 {"error", nlohmann::json::parse(e->json, nullptr, false)}});
    } else {
      PrintHumanError(id, *e);
    }
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  enum {
    kEndpoint = 1000,
    kProtocol,
    kChunkSize,
    kCompress,
    kStateDir,
    kHeader,
    kMetadata,
    kCaFile,
    kInsecure,
    kMaxRetries,
    kRetryBase,
    kStall,
    kRate,
    kOnChange,
    kDiscard,
    kJson,
    kHelp,
    kVersion,
    kRules,
    kAllowOrigin,
    kBlocked,
    kMaxFiles,
    kMaxSkew,
    kRefresh,
    kRequestSize,
    kMemoryBudget,
    kParallel,
    kAnnounce,
    kBucket,
    kKey,
    kRegion,
    kPartSize,
    kParallelParts,
    kUnsignedPayload,
    kClockOffset,
    kPresign,
    kName,
    kPending,
    kResumeAll,
    kForget,
    kDiscardRemote
  };
  static const option kLongOptions[] = {
      {"endpoint", required_argument, nullptr, kEndpoint},
      {"protocol", required_argument, nullptr, kProtocol},
      {"chunk-size", required_argument, nullptr, kChunkSize},
      {"compress", required_argument, nullptr, kCompress},
      {"state-dir", required_argument, nullptr, kStateDir},
      {"header", required_argument, nullptr, kHeader},
      {"metadata", required_argument, nullptr, kMetadata},
      {"ca-file", required_argument, nullptr, kCaFile},
      {"insecure-skip-tls-verify", no_argument, nullptr, kInsecure},
      {"max-retries", required_argument, nullptr, kMaxRetries},
      {"retry-base-ms", required_argument, nullptr, kRetryBase},
      {"stall-timeout", required_argument, nullptr, kStall},
      {"max-send-rate", required_argument, nullptr, kRate},
      {"on-change", required_argument, nullptr, kOnChange},
      {"discard-on-cancel", no_argument, nullptr, kDiscard},
      {"json", no_argument, nullptr, kJson},
      {"rules", required_argument, nullptr, kRules},
      {"allow-origin", required_argument, nullptr, kAllowOrigin},
      {"blocked-extensions", required_argument, nullptr, kBlocked},
      {"max-files", required_argument, nullptr, kMaxFiles},
      {"max-clock-skew", required_argument, nullptr, kMaxSkew},
      {"refresh-command", required_argument, nullptr, kRefresh},
      {"request-size", required_argument, nullptr, kRequestSize},
      {"memory-budget", required_argument, nullptr, kMemoryBudget},
      {"parallel", required_argument, nullptr, kParallel},
      {"announce-sha256", no_argument, nullptr, kAnnounce},
      {"bucket", required_argument, nullptr, kBucket},
      {"key", required_argument, nullptr, kKey},
      {"region", required_argument, nullptr, kRegion},
      {"part-size", required_argument, nullptr, kPartSize},
      {"parallel-parts", required_argument, nullptr, kParallelParts},
      {"unsigned-payload", no_argument, nullptr, kUnsignedPayload},
      {"clock-offset-ms", required_argument, nullptr, kClockOffset},
      {"presign-command", required_argument, nullptr, kPresign},
      {"name", required_argument, nullptr, kName},
      {"pending", no_argument, nullptr, kPending},
      {"resume-all", no_argument, nullptr, kResumeAll},
      {"forget", required_argument, nullptr, kForget},
      {"discard-remote", no_argument, nullptr, kDiscardRemote},
      {"help", no_argument, nullptr, kHelp},
      {"version", no_argument, nullptr, kVersion},
      {nullptr, 0, nullptr, 0}};

  ferry::ClientOptions copts;
  ferry::UploadOptions uopts;
  std::string name;
  bool pending = false, resume_all = false, discard_remote = false;
  std::vector<std::string> forget;
  bool json = false;
  uint32_t parallel = 4;
  opterr = 0;
  int opt;
  while ((opt = getopt_long(argc, argv, "", kLongOptions, nullptr)) != -1) {
    std::string arg = optarg ? optarg : "";
    uint64_t n = 0;
    switch (opt) {
      case kEndpoint:
        copts.endpoint = arg;
        break;
      case kProtocol:
        if (arg == "s3") {
          copts.protocol = FERRY_PROTOCOL_S3;
        } else if (arg != "tus") {
          return UsageError("--protocol must be tus or s3");
        }
        break;
      case kBucket:
        copts.s3_bucket = arg;
        break;
      case kKey:
        uopts.object_key = arg;
        break;
      case kRegion:
        copts.s3_region = arg;
        break;
      case kPartSize:
        if (!ParseSize(arg, &n) || n == 0)
          return UsageError("bad --part-size: " + arg);
        copts.s3_part_size = n;
        break;
      case kParallelParts:
        if (!ParseSize(arg, &n) || n == 0 || n > 64)
          return UsageError("bad --parallel-parts (1-64): " + arg);
        copts.s3_parallel_parts = static_cast<uint32_t>(n);
        break;
      case kUnsignedPayload:
        copts.s3_unsigned_payload = true;
        break;
      case kPresign:
        copts.s3_presign = [cmd = arg](const ferry::S3PresignRequest& r) {
          return RunPresignCommand(cmd, r);
        };
        break;
      case kClockOffset: {
        char* end = nullptr;
        long long v = std::strtoll(arg.c_str(), &end, 10);  // NOLINT
        if (arg.empty() || *end != '\0')
          return UsageError("bad --clock-offset-ms: " + arg);
        copts.clock_offset_ms = v;
        break;
      }
      case kChunkSize:
        if (!ParseSize(arg, &n) || n == 0)
          return UsageError("bad --chunk-size: " + arg);
        copts.chunk_size = n;
        break;
      case kRequestSize:
        if (!ParseSize(arg, &n) || n == 0)
          return UsageError("bad --request-size: " + arg);
        copts.request_size = n;
        break;
      case kMemoryBudget:
        if (!ParseSize(arg, &n) || n == 0)
          return UsageError("bad --memory-budget: " + arg);
        copts.memory_budget = n;
        break;
      case kParallel:
        if (!ParseSize(arg, &n) || n == 0 || n > 256)
          return UsageError("--parallel takes 1..256");
        parallel = static_cast<uint32_t>(n);
        break;
      case kAnnounce:
        copts.announce_sha256 = true;
        break;
      case kCompress:
        if (arg == "auto") {
          copts.compress_level = FERRY_COMPRESS_AUTO;
        } else if (arg == "off") {
          copts.compress_level = FERRY_COMPRESS_OFF;
        } else if (ParseSize(arg, &n) && n >= 1 && n <= 22) {
          copts.compress_level = static_cast<int>(n);
        } else {
          return UsageError("--compress takes auto, off or a level 1-22");
        }
        break;
      case kStateDir:
        copts.state_dir = arg;
        break;
      case kHeader: {
        size_t colon = arg.find(':');
        if (colon == std::string::npos || colon == 0) {
          return UsageError("--header takes 'Name: value'");
        }
        std::string value = arg.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        copts.headers.emplace_back(arg.substr(0, colon), value);
        break;
      }
      case kMetadata: {
        size_t eq = arg.find('=');
        if (eq == std::string::npos || eq == 0) {
          return UsageError("--metadata takes key=value");
        }
        uopts.metadata.emplace_back(arg.substr(0, eq), arg.substr(eq + 1));
        break;
      }
      case kCaFile:
        copts.ca_file = arg;
        break;
      case kInsecure:
        copts.insecure_skip_tls_verify = true;
        std::cerr << "ferry-upload: WARNING: TLS verification is OFF; anyone "
                     "on the path can read and alter this upload\n";
        break;
      case kMaxRetries:
        if (!ParseSize(arg, &n) || n > 1000)
          return UsageError("bad --max-retries");
        copts.max_retries = static_cast<uint32_t>(n);
        break;
      case kRetryBase:
        if (!ParseSize(arg, &n) || n == 0 || n > 60000) {
          return UsageError("bad --retry-base-ms");
        }
        copts.retry_base_delay_ms = static_cast<uint32_t>(n);
        break;
      case kStall:
        if (!ParseSize(arg, &n) || n == 0 || n > 86400) {
          return UsageError("bad --stall-timeout");
        }
        copts.stall_window_ms = static_cast<uint32_t>(n * 1000);
        break;
      case kRate:
        if (!ParseSize(arg, &n)) return UsageError("bad --max-send-rate");
        copts.max_send_bytes_per_sec = n;
        break;
      case kOnChange:
        if (arg != "fail" && arg != "restart") {
          return UsageError("--on-change takes fail or restart");
        }
        uopts.restart_on_change = arg == "restart";
        break;
      case kDiscard:
        uopts.discard_on_cancel = true;
        break;
      case kJson:
        json = true;
        break;
      case kRules:
        copts.rules_file = arg;
        break;
      case kAllowOrigin:
        copts.allowed_origins.push_back(arg);
        break;
      case kBlocked: {
        size_t start = 0;
        while (start <= arg.size()) {
          size_t comma = arg.find(',', start);
          if (comma == std::string::npos) comma = arg.size();
          if (comma > start) {
            copts.blocked_extensions.push_back(
                arg.substr(start, comma - start));
          }
          start = comma + 1;
        }
        break;
      }
      case kMaxFiles:
        if (!ParseSize(arg, &n) || n == 0 || n > UINT32_MAX) {
          return UsageError("bad --max-files");
        }
        copts.max_files_per_batch = static_cast<uint32_t>(n);
        break;
      case kMaxSkew:
        if (!ParseSize(arg, &n) || n == 0 || n > 86400) {
          return UsageError("bad --max-clock-skew");
        }
        copts.max_clock_skew_ms = static_cast<uint32_t>(n * 1000);
        break;
      case kRefresh:
        copts.refresh_credentials = [cmd = arg](const ferry::Error&,
                                                HeaderPairs* headers) {
          return RunRefreshCommand(cmd, headers);
        };
        break;
      case kName:
        name = arg;
        break;
      case kPending:
        pending = true;
        break;
      case kResumeAll:
        resume_all = true;
        break;
      case kForget:
        forget.push_back(arg);
        break;
      case kDiscardRemote:
        discard_remote = true;
        break;
      case kHelp:
        std::cout << kUsage;
        return 0;
      case kVersion:
        std::cout << "ferry-upload " << ferry_version() << "\n";
        return 0;
      default:
        return UsageError(
            std::string("unknown or incomplete option: ") +
            (optind > 0 && optind <= argc ? argv[optind - 1] : "?"));
    }
  }
  if (copts.endpoint.empty()) return UsageError("--endpoint is required");
  bool managing = pending || !forget.empty();
  if (optind >= argc && !managing && !resume_all) {
    return UsageError("no FILE given");
  }
  if (managing && (optind < argc || resume_all)) {
    return UsageError(
        "--pending and --forget take no FILE and no --resume-all");
  }
  if (discard_remote && forget.empty()) {
    return UsageError("--discard-remote goes with --forget");
  }
  for (int i = optind; i < argc; ++i) {
    if (std::string(argv[i]) == "-" && argc - optind > 1) {
      return UsageError("'-' (standard input) must be the only FILE");
    }
  }
  if (!name.empty() && argc - optind > 1) {
    return UsageError("--name names one upload: give one FILE");
  }
  if (copts.protocol == FERRY_PROTOCOL_S3 && copts.s3_bucket.empty())
    return UsageError("--protocol s3 needs --bucket");
  if (!uopts.object_key.empty() && argc - optind > 1)
    return UsageError("--key names one object: give one FILE");

  auto client = ferry::Client::Create(copts);
  if (!client.ok()) {
    if (json) {
      PrintLine({{"event", "error"},
                 {"file", nullptr},
                 {"error",
                  nlohmann::json::parse(client.error().json, nullptr, false)}});
    } else {
      PrintHumanError("(client)", client.error());
    }
    return client.error().code == ferry::Code::k_invalid_argument ? 2 : 1;
  }

  if (pending) return ListPending(*client.value(), json);
  if (!forget.empty()) {
    return ForgetPending(*client.value(), forget, discard_remote, json);
  }
  std::vector<std::string> files(argv + optind, argv + argc);
  if (resume_all) {
    // What the state directory holds for this client, plus any FILE given.
    int refused = 0;
    for (const ferry::PendingUpload& p : client.value()->Pending()) {
      if (p.resumable) {
        files.push_back(p.path);
        continue;
      }
      ++refused;
      ferry::Error e =
          ferry::Error::FromC(nullptr, FERRY_ERR_SOURCE_NOT_RESUMABLE);
      e.message = "pending upload " + p.id + " (" +
                  (p.name.empty() ? "a stream" : p.name) +
                  ") was read from a stream, which cannot be read again: "
                  "upload the data again, and --forget " +
                  p.id +
                  " --discard-remote to remove the server's partial copy";
      if (json) {
        PrintLine({{"event", "error"},
                   {"file", nullptr},
                   {"pending_id", p.id},
                   {"error", {{"code", e.code_name}, {"message", e.message}}}});
      } else {
        PrintHumanError(p.name.empty() ? "(stream)" : p.name, e);
      }
    }
    if (files.empty()) return refused == 0 ? 0 : 1;
    if (refused > 0) g_resume_all_refused = refused;
  }

  if (auto refused =
          client.value()->CheckBatch(static_cast<uint32_t>(files.size()))) {
    if (json) {
      PrintLine(
          {{"event", "error"},
           {"file", nullptr},
           {"error", nlohmann::json::parse(refused->json, nullptr, false)}});
    } else {
      PrintHumanError("(batch)", *refused);
    }
    return 1;
  }

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  bool tty = !json && ::isatty(STDERR_FILENO);
  int failures = 0;
  // Events and outcomes print the same way one file at a time or in a batch.
  auto print_event = [&](const std::string& file, const ferry::Event& e,
                         ProgressBar* bar) {
    const char* code = ferry_code_name(static_cast<int32_t>(e.code));
    if (json) {
      nlohmann::json j = {{"file", file}, {"message", e.message}};
      switch (e.type) {
        case FERRY_EVENT_RETRY:
          j["event"] = "retry";
          j["code"] = code ? code : "unknown";
          j["attempt"] = e.attempt;
          j["delay_ms"] = e.delay_ms;
          break;
        case FERRY_EVENT_RESUMED:
          j["event"] = "resumed";
          j["offset"] = e.offset;
          break;
        case FERRY_EVENT_RESTARTED:
          j["event"] = "restarted";
          j["code"] = code ? code : "unknown";
          break;
        case FERRY_EVENT_CREATED:
          j["event"] = "created";
          j["offset"] = e.offset;
          break;
        case FERRY_EVENT_STATE_DISCARDED:
          j["event"] = "state_discarded";
          break;
        case FERRY_EVENT_COMPRESSION_OFF:
          j["event"] = "compression_off";
          break;
        case FERRY_EVENT_PAUSED:
          j["event"] = "paused";
          j["offset"] = e.offset;
          break;
        case FERRY_EVENT_UNPAUSED:
          j["event"] = "unpaused";
          j["offset"] = e.offset;
          break;
      }
      PrintLine(j);
      return;
    }
    bar->End();
    if (e.type == FERRY_EVENT_RETRY) {
      std::cerr << "ferry-upload: " << file << ": " << (code ? code : "error")
                << ", retry " << e.attempt << " in " << e.delay_ms
                << " ms: " << e.message << "\n";
    } else if (e.type == FERRY_EVENT_RESUMED) {
      std::cerr << "ferry-upload: " << file << ": resuming at byte " << e.offset
                << " (" << HumanBytes(e.offset) << " already on the server)\n";
    } else if (e.type != FERRY_EVENT_CREATED) {
      std::cerr << "ferry-upload: " << file << ": " << e.message << "\n";
    }
  };
  auto print_outcome = [&](const std::string& file,
                           const ferry::Outcome<ferry::UploadResult>& r) {
    if (r.ok()) {
      const ferry::UploadResult& res = r.value();
      if (json) {
        PrintLine({{"event", "done"},
                   {"file", file},
                   {"url", res.url_redacted},
                   {"bytes", res.bytes},
                   {"wire_bytes", res.wire_bytes},
                   {"sha256", res.sha256},
                   {"resumed_from", res.resumed_from},
                   {"encoding", res.encoding}});
      } else {
        std::cout << file << ": uploaded " << res.bytes << " bytes"
                  << (res.resumed_from
                          ? " (resumed at " + std::to_string(res.resumed_from) +
                                ")"
                          : std::string())
                  << (res.encoding == "zstd"
                          ? ", zstd: " + std::to_string(res.wire_bytes) +
                                " bytes on the wire"
                          : std::string())
                  << ", sha256 " << res.sha256 << "\n  " << res.url_redacted
                  << "\n";
      }
      return;
    }
    ++failures;
    if (json) {
      PrintLine(
          {{"event", "error"},
           {"file", file},
           {"error", nlohmann::json::parse(r.error().json, nullptr, false)}});
    } else {
      PrintHumanError(file, r.error());
    }
  };

  failures += g_resume_all_refused;
  if (parallel > 1 && files.size() > 1) {
    // A batch: files run `parallel` at a time; one aggregate progress line.
    ProgressBar bar(std::to_string(files.size()) + " files");
    ferry::BatchOptions b;
    b.concurrency = parallel;
    b.metadata = uopts.metadata;
    b.discard_on_cancel = uopts.discard_on_cancel;
    b.restart_on_change = uopts.restart_on_change;
    b.on_progress = [&](const ferry::BatchProgress& p) {
      if (json) {
        PrintLine({{"event", "progress"},
                   {"file", nullptr},
                   {"bytes", p.bytes_done},
                   {"total", p.bytes_total},
                   {"wire_bytes", p.wire_bytes},
                   {"files_done", p.files_done},
                   {"files_failed", p.files_failed},
                   {"files_total", p.files_total}});
      } else if (tty) {
        ferry::Progress one{sizeof(ferry::Progress),
                            p.bytes_done,
                            p.bytes_total,
                            p.bytes_done,
                            p.wire_bytes,
                            1};
        bar.Draw(one);
      }
      return !g_interrupted.load();
    };
    b.on_event = [&](const ferry::Event& e) {
      print_event(files[e.file_index], e, &bar);
      return !g_interrupted.load();
    };
    b.on_file_done = [&](uint32_t i,
                         const ferry::Outcome<ferry::UploadResult>& r) {
      bar.End();
      print_outcome(files[i], r);
    };
    auto outcomes = client.value()->UploadBatch(files, b);
    bar.End();
    // Files that never started (interrupted) have no file_done call.
    for (size_t i = 0; i < outcomes.size(); ++i) {
      const auto& r = outcomes[i];
      if (!r.ok() && r.error().code == ferry::Code::k_cancelled &&
          r.error().message.find("before this file started") !=
              std::string::npos) {
        print_outcome(files[i], r);
      }
    }
    return failures == 0 ? 0 : 1;
  }
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string& file = files[i];
    ProgressBar bar(file.substr(file.rfind('/') + 1));
    ferry::UploadOptions o = uopts;
    o.on_progress = [&](const ferry::Progress& p) {
      if (json) {
        PrintLine({{"event", "progress"},
                   {"file", file},
                   {"bytes", p.bytes_done},
                   {"total", p.bytes_total},
                   {"acked", p.bytes_acked},
                   {"wire_bytes", p.wire_bytes}});
      } else if (tty) {
        bar.Draw(p);
      }
      return !g_interrupted.load();
    };
    o.on_event = [&](const ferry::Event& e) {
      print_event(file, e, &bar);
      return !g_interrupted.load();
    };
    ferry::Outcome<ferry::UploadResult> r = [&] {
      if (file != "-" && name.empty()) return client.value()->Upload(file, o);
      if (file != "-") {
        ferry::Source path = ferry::Source::Path(file);
        path.Name(name);
        return client.value()->Upload(path, o);
      }
      // Standard input: a stream of unknown length, read once.
      ferry::Outcome<ferry::Source> in = ferry::Source::Fd(STDIN_FILENO);
      if (!in.ok()) return ferry::Outcome<ferry::UploadResult>(in.error());
      if (!name.empty()) in.value().Name(name);
      return client.value()->Upload(in.value(), o);
    }();
    bar.End();
    print_outcome(file, r);
    if (g_interrupted) {
      // The rest are not attempted; each skipped file is reported as such.
      for (size_t j = i + 1; j < files.size(); ++j) {
        ++failures;
        if (json) {
          PrintLine({{"event", "error"},
                     {"file", files[j]},
                     {"error",
                      {{"code", "cancelled"},
                       {"message", "not started: interrupted"}}}});
        }
      }
      break;
    }
  }
  return failures == 0 ? 0 : 1;
}
