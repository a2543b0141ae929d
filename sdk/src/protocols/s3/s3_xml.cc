// SPDX-License-Identifier: Apache-2.0
#include "protocols/s3/s3_xml.h"

#include <expat.h>

#include <memory>
#include <type_traits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ferry::internal {
namespace {

constexpr size_t kMaxBody = 8u << 20;  // a 1000-part ListParts page is ~200 KiB
constexpr size_t kMaxText = 4096;
constexpr int kMaxDepth = 8;

// Collects the text of every element at depth 2 (a field of the root) and
// depth 3 (a field of a <Part>), with the root's name.
struct Collector {
  XML_Parser parser = nullptr;
  bool refused = false;
  int depth = 0;
  std::string root;
  std::string parent;  // depth-2 element name while inside one
  std::string text;
  std::vector<std::pair<std::string, std::string>> fields;  // root level
  std::vector<S3PartInfo> parts;
  bool part_bad = false;
  S3PartInfo part;
};

void Refuse(Collector* c) {
  c->refused = true;
  XML_StopParser(c->parser, XML_FALSE);
}

// Namespaced names arrive as "uri|Local" only with a namespace parser; a
// plain parser gives "Local" (the xmlns is an ordinary attribute).
void XMLCALL OnStart(void* user, const XML_Char* name, const XML_Char**) {
  auto* c = static_cast<Collector*>(user);
  if (++c->depth > kMaxDepth) return Refuse(c);
  if (c->depth == 1) c->root = name;
  if (c->depth == 2) {
    c->parent = name;
    if (c->parent == "Part") {
      c->part = S3PartInfo{};
      c->part_bad = false;
    }
  }
  c->text.clear();
}

void XMLCALL OnEnd(void* user, const XML_Char* name) {
  auto* c = static_cast<Collector*>(user);
  std::string_view n(name);
  if (c->depth == 2) {
    if (c->parent == "Part") {
      if (c->part.number == 0 || c->part_bad) {
        Refuse(c);
      } else {
        c->parts.push_back(c->part);
      }
    } else {
      c->fields.emplace_back(std::string(n), c->text);
    }
    c->parent.clear();
  } else if (c->depth == 3 && c->parent == "Part") {
    if (n == "PartNumber") {
      uint32_t v = 0;
      if (!absl::SimpleAtoi(c->text, &v) || v < 1 || v > 10000) {
        c->part_bad = true;
      }
      c->part.number = v;
    } else if (n == "ETag") {
      c->part.etag = c->text;
    } else if (n == "Size") {
      if (!absl::SimpleAtoi(c->text, &c->part.size)) c->part_bad = true;
    }
  }
  c->text.clear();
  --c->depth;
}

void XMLCALL OnText(void* user, const XML_Char* text, int len) {
  auto* c = static_cast<Collector*>(user);
  if (len <= 0) return;
  if (c->text.size() + static_cast<size_t>(len) > kMaxText) return Refuse(c);
  c->text.append(text, static_cast<size_t>(len));
}

void XMLCALL OnDoctype(void* user, const XML_Char*, const XML_Char*,
                       const XML_Char*, int) {
  Refuse(static_cast<Collector*>(user));
}

struct ParserDeleter {
  void operator()(XML_Parser p) const { XML_ParserFree(p); }
};

std::optional<Collector> Collect(std::string_view body) {
  if (body.empty() || body.size() > kMaxBody) return std::nullopt;
  std::unique_ptr<std::remove_pointer_t<XML_Parser>, ParserDeleter> parser(
      XML_ParserCreate(nullptr));
  if (!parser) return std::nullopt;
  Collector c;
  c.parser = parser.get();
  XML_SetUserData(parser.get(), &c);
  XML_SetElementHandler(parser.get(), OnStart, OnEnd);
  XML_SetCharacterDataHandler(parser.get(), OnText);
  XML_SetStartDoctypeDeclHandler(parser.get(), OnDoctype);
  if (XML_Parse(parser.get(), body.data(), static_cast<int>(body.size()),
                XML_TRUE) != XML_STATUS_OK ||
      c.refused) {
    return std::nullopt;
  }
  c.parser = nullptr;
  return c;
}

const std::string* Field(const Collector& c, std::string_view name) {
  for (const auto& [n, v] : c.fields) {
    if (n == name) return &v;
  }
  return nullptr;
}

}  // namespace

std::optional<std::string> ParseInitiateResult(std::string_view body) {
  auto c = Collect(body);
  if (!c || c->root != "InitiateMultipartUploadResult") return std::nullopt;
  const std::string* id = Field(*c, "UploadId");
  if (id == nullptr || id->empty() || id->size() > 1024) return std::nullopt;
  for (unsigned char ch : *id) {
    if (ch <= ' ' || ch >= 127) return std::nullopt;
  }
  return *id;
}

std::optional<S3PartList> ParseListParts(std::string_view body) {
  auto c = Collect(body);
  if (!c || c->root != "ListPartsResult") return std::nullopt;
  S3PartList out;
  out.parts = std::move(c->parts);
  if (const std::string* t = Field(*c, "IsTruncated")) {
    out.truncated = *t == "true";
  }
  if (out.truncated) {
    const std::string* m = Field(*c, "NextPartNumberMarker");
    if (m == nullptr || !absl::SimpleAtoi(*m, &out.next_marker) ||
        out.next_marker < 1 || out.next_marker > 10000) {
      return std::nullopt;
    }
  }
  return out;
}

bool IsCompleteResult(std::string_view body) {
  auto c = Collect(body);
  return c && c->root == "CompleteMultipartUploadResult";
}

std::string CompleteBody(const std::vector<S3PartInfo>& parts) {
  std::string out = "<CompleteMultipartUpload>";
  for (const S3PartInfo& p : parts) {
    absl::StrAppend(&out, "<Part><PartNumber>", p.number, "</PartNumber><ETag>",
                    p.etag, "</ETag></Part>");
  }
  out += "</CompleteMultipartUpload>";
  return out;
}

}  // namespace ferry::internal
