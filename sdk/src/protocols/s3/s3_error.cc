// SPDX-License-Identifier: Apache-2.0
#include "protocols/s3/s3_error.h"

#include <expat.h>

#include <array>
#include <cstring>
#include <memory>
#include <type_traits>
#include <utility>

#include "absl/strings/ascii.h"

namespace ferry::internal {
namespace {

constexpr int kMaxDepth = 16;
constexpr size_t kMaxField = 4096;

struct ParseState {
  XML_Parser parser = nullptr;
  int depth = 0;
  bool root_is_error = false;
  bool refused = false;
  std::string element;  // the <Error> child being read
  std::string text;
  S3Error out;
};

std::string_view LocalName(const XML_Char* name) {
  // With namespace processing off, "s3:Code" keeps its prefix: drop it.
  std::string_view n(name);
  size_t colon = n.rfind(':');
  return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

void Refuse(ParseState* s) {
  s->refused = true;
  XML_StopParser(s->parser, XML_FALSE);
}

void XMLCALL OnStart(void* user, const XML_Char* name, const XML_Char**) {
  auto* s = static_cast<ParseState*>(user);
  ++s->depth;
  if (s->depth > kMaxDepth) return Refuse(s);
  if (s->depth == 1) {
    s->root_is_error = LocalName(name) == "Error";
    if (!s->root_is_error) Refuse(s);
  } else if (s->depth == 2) {
    s->element = std::string(LocalName(name));
    s->text.clear();
  }
}

std::string Clean(const std::string& text) {
  std::string out;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    out.push_back(u >= 0x20 && u < 0x7f ? c : (c == ' ' ? ' ' : '?'));
    if (out.size() >= 300) break;
  }
  size_t b = out.find_first_not_of(' ');
  size_t e = out.find_last_not_of(' ');
  return b == std::string::npos ? "" : out.substr(b, e - b + 1);
}

void XMLCALL OnEnd(void* user, const XML_Char*) {
  auto* s = static_cast<ParseState*>(user);
  if (s->depth == 2) {
    std::string value = Clean(s->text);
    if (s->element == "Code") {
      s->out.code = value;
    } else if (s->element == "Message") {
      s->out.message = value;
    } else if (s->element == "RequestId") {
      s->out.request_id = value;
    } else if (s->element == "Resource") {
      s->out.resource = value;
    }
    s->element.clear();
  }
  --s->depth;
}

void XMLCALL OnText(void* user, const XML_Char* text, int len) {
  auto* s = static_cast<ParseState*>(user);
  if (s->depth != 2 || len <= 0) return;
  if (s->text.size() + static_cast<size_t>(len) > kMaxField) return Refuse(s);
  s->text.append(text, static_cast<size_t>(len));
}

void XMLCALL OnDoctype(void* user, const XML_Char*, const XML_Char*,
                       const XML_Char*, int) {
  // No S3 service sends one; a DOCTYPE only brings entity games.
  Refuse(static_cast<ParseState*>(user));
}

struct ParserDeleter {
  void operator()(XML_Parser p) const { XML_ParserFree(p); }
};

}  // namespace

std::optional<S3Error> ParseS3Error(std::string_view body) {
  if (body.empty() || body.size() > (1u << 20)) return std::nullopt;
  std::unique_ptr<std::remove_pointer_t<XML_Parser>, ParserDeleter> parser(
      XML_ParserCreate(nullptr));
  if (!parser) return std::nullopt;
  ParseState state;
  state.parser = parser.get();
  XML_SetUserData(parser.get(), &state);
  XML_SetElementHandler(parser.get(), OnStart, OnEnd);
  XML_SetCharacterDataHandler(parser.get(), OnText);
  XML_SetStartDoctypeDeclHandler(parser.get(), OnDoctype);
  XML_Status status = XML_Parse(parser.get(), body.data(),
                                static_cast<int>(body.size()), XML_TRUE);
  if (status != XML_STATUS_OK || state.refused || !state.root_is_error ||
      state.out.code.empty()) {
    return std::nullopt;
  }
  return std::move(state.out);
}

std::optional<ferry_code> FerryCodeForS3(std::string_view code) {
  static constexpr std::array<std::pair<std::string_view, ferry_code>, 27>
      kCodes = {{
          {"EntityTooLarge", FERRY_ERR_FILE_TOO_LARGE},
          {"EntityTooSmall", FERRY_ERR_UNEXPECTED_RESPONSE},
          {"InvalidPart", FERRY_ERR_INTEGRITY_FAILED},
          {"InvalidPartOrder", FERRY_ERR_INTEGRITY_FAILED},
          {"NoSuchUpload", FERRY_ERR_UPLOAD_EXPIRED},
          {"NoSuchBucket", FERRY_ERR_INVALID_ARGUMENT},
          {"SlowDown", FERRY_ERR_RATE_LIMITED},
          {"TooManyRequests", FERRY_ERR_RATE_LIMITED},
          {"ServiceUnavailable", FERRY_ERR_SERVER_UNAVAILABLE},
          {"InternalError", FERRY_ERR_SERVER_ERROR},
          {"RequestTimeout", FERRY_ERR_TIMEOUT},
          {"RequestTimeTooSkewed", FERRY_ERR_CLOCK_SKEW},
          {"SignatureDoesNotMatch", FERRY_ERR_UNAUTHENTICATED},
          {"InvalidAccessKeyId", FERRY_ERR_UNAUTHENTICATED},
          {"InvalidToken", FERRY_ERR_UNAUTHENTICATED},
          {"ExpiredToken", FERRY_ERR_CREDENTIALS_EXPIRED},
          {"TokenRefreshRequired", FERRY_ERR_CREDENTIALS_EXPIRED},
          {"AccessDenied", FERRY_ERR_PERMISSION_DENIED},
          {"AllAccessDisabled", FERRY_ERR_PERMISSION_DENIED},
          {"BadDigest", FERRY_ERR_CHECKSUM_MISMATCH},
          {"InvalidDigest", FERRY_ERR_CHECKSUM_MISMATCH},
          {"XAmzContentSHA256Mismatch", FERRY_ERR_CHECKSUM_MISMATCH},
          {"QuotaExceeded", FERRY_ERR_QUOTA_EXCEEDED},
          {"UserQuotaExceeded", FERRY_ERR_QUOTA_EXCEEDED},
          {"MaxMessageLengthExceeded", FERRY_ERR_FILE_TOO_LARGE},
          {"NotImplemented", FERRY_ERR_PROTOCOL_UNSUPPORTED},
          {"MethodNotAllowed", FERRY_ERR_PROTOCOL_UNSUPPORTED},
      }};
  for (const auto& [name, value] : kCodes) {
    if (name == code) return value;
  }
  return std::nullopt;
}

std::optional<ServerVerdict> ReadS3ErrorBody(const HttpResponse& r) {
  auto type = r.Header("content-type");
  bool xml =
      (type && absl::AsciiStrToLower(*type).find("xml") != std::string::npos) ||
      r.body.starts_with("<?xml") || r.body.starts_with("<Error");
  if (!xml) return std::nullopt;
  std::optional<S3Error> s3 = ParseS3Error(r.body);
  if (!s3) return std::nullopt;
  ServerVerdict v;
  v.code = s3->code;
  v.message = s3->message.empty() ? s3->code : s3->message;
  v.request_id = s3->request_id;
  v.mapped = FerryCodeForS3(s3->code);
  // A signature refused while the clocks differ is still clock skew (the
  // classifier checks); the other codes say exactly what happened.
  v.exact = v.mapped && *v.mapped != FERRY_ERR_UNAUTHENTICATED &&
            *v.mapped != FERRY_ERR_PERMISSION_DENIED;
  return v;
}

}  // namespace ferry::internal
