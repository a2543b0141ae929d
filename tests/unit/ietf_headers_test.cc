// SPDX-License-Identifier: Apache-2.0
#include "protocols/ietf/ietf_headers.h"

#include <gtest/gtest.h>

#include <string>

#include "codec/hash.h"
#include "protocols/ietf/ietf_problem.h"

namespace ferry::internal::ietf {
namespace {

TEST(IetfHeaders, UploadLimitKnownKeysUnknownIgnored) {
  auto limits = ParseUploadLimit(
      "max-size=1000, min-append-size=5;x, future=\"ok\", max-age=60");
  ASSERT_TRUE(limits.has_value());
  EXPECT_EQ(limits->max_size, 1000u);
  EXPECT_EQ(limits->min_append_size, 5u);
  EXPECT_EQ(limits->max_age, 60u);
  EXPECT_FALSE(limits->max_append_size.has_value());
  EXPECT_EQ(limits->ToString(), "max-size=1000, min-append-size=5, max-age=60");
  // Draft -05 called max-age "expires".
  EXPECT_EQ(ParseUploadLimit("expires=30")->max_age, 30u);
  EXPECT_EQ(ParseUploadLimit("")->ToString(), "none");
}

TEST(IetfHeaders, AKnownLimitOfTheWrongTypeVoidsTheField) {
  EXPECT_FALSE(ParseUploadLimit("max-size=-1").has_value());
  EXPECT_FALSE(ParseUploadLimit("max-size=1.5").has_value());
  EXPECT_FALSE(ParseUploadLimit("max-size=\"1\"").has_value());
  EXPECT_FALSE(ParseUploadLimit("max-size=(1 2)").has_value());
  EXPECT_FALSE(ParseUploadLimit("max-size").has_value());  // ?1
  EXPECT_FALSE(ParseUploadLimit("max-size=1,").has_value());
}

TEST(IetfHeaders, OffsetsCompletionAndVersions) {
  EXPECT_EQ(ParseSize("12345"), 12345u);
  EXPECT_EQ(ParseSize("0"), 0u);
  EXPECT_FALSE(ParseSize("-1").has_value());
  EXPECT_FALSE(ParseSize("1.0").has_value());
  EXPECT_FALSE(ParseSize("12 34").has_value());
  EXPECT_EQ(ParseComplete("?1"), true);
  EXPECT_EQ(ParseComplete("?0;x"), false);
  EXPECT_FALSE(ParseComplete("1").has_value());
  EXPECT_EQ(ParseInteropVersion("8"), 8);
  EXPECT_FALSE(ParseInteropVersion("8.0").has_value());
  EXPECT_FALSE(ParseInteropVersion("99999").has_value());
}

TEST(IetfHeaders, Sha256Digests) {
  std::string raw = Sha256("ferry");
  std::string field = ietf::Sha256DigestField(raw);
  EXPECT_EQ(field, "sha-256=:" + Base64Encode(raw) + ":");
  EXPECT_EQ(ietf::ParseSha256Digest(field), raw);
  // Beside another algorithm, in any order.
  EXPECT_EQ(ietf::ParseSha256Digest("sha-512=:AAAA:, " + field), raw);
  EXPECT_FALSE(ietf::ParseSha256Digest("sha-256=:AAAA:"));  // not 32 bytes
  EXPECT_FALSE(ietf::ParseSha256Digest("sha-256=abc"));     // a token
  EXPECT_FALSE(ietf::ParseSha256Digest("md5=:AAAA:"));
  EXPECT_FALSE(ietf::ParseSha256Digest("sha-256=:"));  // malformed
  EXPECT_TRUE(ietf::WantsSha256("sha-256=10"));
  EXPECT_TRUE(ietf::WantsSha256("sha-512=3, sha-256=1"));
  EXPECT_FALSE(ietf::WantsSha256("sha-256=0"));  // 0: not wanted
  EXPECT_FALSE(ietf::WantsSha256("sha-512=10"));
  EXPECT_FALSE(ietf::WantsSha256("sha-256"));  // true, not an Integer
}

HttpResponse ProblemAnswer(int status, const std::string& body,
                           const char* type = "application/problem+json") {
  HttpResponse r;
  r.status = status;
  r.headers.emplace_back("content-type", type);
  r.body = body;
  return r;
}

TEST(IetfProblem, TheDraftsTypesAreTyped) {
  const std::string base = "https://iana.org/assignments/http-problem-types#";
  auto mismatch = ietf::ReadDraftProblem(ProblemAnswer(
      409, R"({"type":")" + base +
               R"(mismatching-upload-offset","title":"offset differs",)"
               R"("expected-offset":100,"provided-offset":50})"));
  ASSERT_TRUE(mismatch);
  EXPECT_EQ(mismatch->mapped, FERRY_ERR_OFFSET_MISMATCH);
  EXPECT_TRUE(mismatch->exact);
  EXPECT_EQ(mismatch->code, "mismatching-upload-offset");
  EXPECT_NE(mismatch->message.find("at offset 100, not 50"), std::string::npos);
  auto completed = ietf::ReadDraftProblem(
      ProblemAnswer(400, R"({"type":")" + base + R"(completed-upload"})"));
  ASSERT_TRUE(completed);
  EXPECT_EQ(completed->mapped, FERRY_ERR_OFFSET_MISMATCH);
  auto length = ietf::ReadDraftProblem(ProblemAnswer(
      400, R"({"type":")" + base + R"(inconsistent-upload-length"})"));
  ASSERT_TRUE(length);
  EXPECT_EQ(length->mapped, FERRY_ERR_UNEXPECTED_RESPONSE);
  // Everything else is left to the generic reading.
  EXPECT_FALSE(ietf::ReadDraftProblem(
      ProblemAnswer(400, R"({"type":"https://example.com/other"})")));
  EXPECT_FALSE(ietf::ReadDraftProblem(
      ProblemAnswer(400, R"({"type":")" + base + R"(unknown-kind"})")));
  EXPECT_FALSE(ietf::ReadDraftProblem(ProblemAnswer(
      409, R"({"type":")" + base + R"(completed-upload"})", "text/plain")));
  EXPECT_FALSE(ietf::ReadDraftProblem(ProblemAnswer(409, "{not json")));
}

TEST(IetfProblem, ClassifiedAsTheDraftSays) {
  ClassifyOptions o;
  o.protocol_body = ietf::ReadDraftProblem;
  Error e = ClassifyResponse(
      ProblemAnswer(409, R"({"type":"https://iana.org/assignments/)"
                         R"(http-problem-types#mismatching-upload-offset",)"
                         R"("expected-offset":7,"provided-offset":9})"),
      RequestKind::kSend, "http://x/u/1", o);
  EXPECT_EQ(e.code, FERRY_ERR_OFFSET_MISMATCH);
  EXPECT_TRUE(e.retryable);
  EXPECT_EQ(e.server_code, "mismatching-upload-offset");
  e = ClassifyResponse(
      ProblemAnswer(400, R"({"type":"https://iana.org/assignments/)"
                         R"(http-problem-types#inconsistent-upload-length"})"),
      RequestKind::kSend, "http://x/u/1", o);
  EXPECT_EQ(e.code, FERRY_ERR_UNEXPECTED_RESPONSE);
  EXPECT_FALSE(e.retryable);
}

}  // namespace
}  // namespace ferry::internal::ietf
