// SPDX-License-Identifier: Apache-2.0
#include "protocols/s3/s3_error.h"

#include <gtest/gtest.h>

#include "errors/classify.h"

namespace ferry::internal {
namespace {

constexpr char kNoSuchUpload[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Error><Code>NoSuchUpload</Code><Message>The specified upload does not "
    "exist.</Message><Resource>/bucket/key</Resource>"
    "<RequestId>tx0001-abc</RequestId></Error>";

TEST(S3Error, ParsesTheErrorDocument) {
  auto e = ParseS3Error(kNoSuchUpload);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, "NoSuchUpload");
  EXPECT_EQ(e->message, "The specified upload does not exist.");
  EXPECT_EQ(e->resource, "/bucket/key");
  EXPECT_EQ(e->request_id, "tx0001-abc");
}

TEST(S3Error, RefusesWhatIsNotAnErrorDocument) {
  EXPECT_FALSE(ParseS3Error("").has_value());
  EXPECT_FALSE(ParseS3Error("<Error>").has_value());  // unterminated
  EXPECT_FALSE(ParseS3Error("<Other><Code>x</Code></Other>").has_value());
  EXPECT_FALSE(ParseS3Error("<Error><Message>m</Message></Error>"));
  // Entity expansion never happens: a DOCTYPE is refused outright.
  EXPECT_FALSE(ParseS3Error("<?xml version=\"1.0\"?><!DOCTYPE e [<!ENTITY a "
                            "\"aaaa\">]><Error><Code>&a;</Code></Error>")
                   .has_value());
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "<a>";
  EXPECT_FALSE(ParseS3Error("<Error>" + deep + "</Error>").has_value());
}

TEST(S3Error, MessagesAreCleanedAndBounded) {
  auto e = ParseS3Error(
      "<Error><Code>X</Code><Message>line1\nline2\tr\xc3\xa9"
      "</Message></Error>");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->message, "line1 line2 r??");
  std::string long_text(5000, 'a');
  EXPECT_FALSE(ParseS3Error("<Error><Code>X</Code><Message>" + long_text +
                            "</Message></Error>"));
}

TEST(S3Error, CodesMapToFerryCodes) {
  EXPECT_EQ(FerryCodeForS3("NoSuchUpload"), FERRY_ERR_UPLOAD_EXPIRED);
  EXPECT_EQ(FerryCodeForS3("SlowDown"), FERRY_ERR_RATE_LIMITED);
  EXPECT_EQ(FerryCodeForS3("ExpiredToken"), FERRY_ERR_CREDENTIALS_EXPIRED);
  EXPECT_EQ(FerryCodeForS3("BadDigest"), FERRY_ERR_CHECKSUM_MISMATCH);
  EXPECT_EQ(FerryCodeForS3("XAmzContentSHA256Mismatch"),
            FERRY_ERR_CHECKSUM_MISMATCH);
  EXPECT_EQ(FerryCodeForS3("QuotaExceeded"), FERRY_ERR_QUOTA_EXCEEDED);
  EXPECT_EQ(FerryCodeForS3("RequestTimeTooSkewed"), FERRY_ERR_CLOCK_SKEW);
  EXPECT_FALSE(FerryCodeForS3("NoSuchThing").has_value());
}

TEST(S3Error, ClassifyReadsXmlBodies) {
  HttpResponse r;
  r.status = 404;
  r.headers = {{"content-type", "application/xml"}};
  r.body = kNoSuchUpload;
  ClassifyOptions s3;
  s3.protocol_body = ReadS3ErrorBody;
  Error e = ClassifyResponse(r, RequestKind::kSend, "https://s3/b/k", s3);
  EXPECT_EQ(e.code, FERRY_ERR_UPLOAD_EXPIRED);
  EXPECT_EQ(e.server_code, "NoSuchUpload");
  EXPECT_EQ(e.request_id, "tx0001-abc");
  // A 200 carrying an <Error> is still that error.
  r.status = 200;
  r.body =
      "<Error><Code>InternalError</Code><Message>We encountered an "
      "internal error.</Message></Error>";
  e = ClassifyResponse(r, RequestKind::kSend, "https://s3/b/k", s3);
  EXPECT_EQ(e.code, FERRY_ERR_SERVER_ERROR);
  EXPECT_TRUE(e.retryable);
  // Without S3's reader (a tus server) the XML is just text.
  e = ClassifyResponse(r, RequestKind::kSend, "https://s3/b/k");
  EXPECT_NE(e.server_code, "InternalError");
}

}  // namespace
}  // namespace ferry::internal
