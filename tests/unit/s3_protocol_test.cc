// SPDX-License-Identifier: Apache-2.0
// SigV4 against AWS's published examples, the S3 response parsers, and the
// journal's S3 part records.
#include "protocols/s3/s3_protocol.h"

#include <gtest/gtest.h>

#include "journal/journal.h"
#include "protocols/s3/s3_transfer.h"
#include "protocols/s3/s3_xml.h"
#include "protocols/s3/sigv4.h"

// GCC 12 at -O3 reports -Wrestrict inside std::string's own code for
// `"c" + std::to_string(i)` and short literal assignments (GCC bug 105651);
// the code is fine, and newer GCCs are quiet.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

namespace ferry::internal {
namespace {

constexpr char kEmptySha256[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

int64_t UnixOf(int y, int mo, int d, int h, int mi, int s) {
  struct tm tm {};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<int64_t>(timegm(&tm));
}

// The IAM ListUsers example of the SigV4 documentation.
TEST(SigV4, IamReferenceExample) {
  SigV4Request r;
  r.method = "GET";
  r.authority = "iam.amazonaws.com";
  r.path = "/";
  r.query = {{"Version", "2010-05-08"}, {"Action", "ListUsers"}};
  r.headers = {
      {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  r.payload_hash = kEmptySha256;
  r.content_sha256_header = false;
  S3Credentials c{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "",
                  "us-east-1"};
  SignV4(&r, c, "iam", UnixOf(2015, 8, 30, 12, 36, 0));
  ASSERT_EQ(r.headers.back().first, "Authorization");
  EXPECT_EQ(r.headers.back().second,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/"
            "aws4_request, SignedHeaders=content-type;host;x-amz-date, "
            "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5"
            "924a6f2b5d7");
}

// The GET Object example of the S3 SigV4 documentation.
TEST(SigV4, S3GetObjectReferenceExample) {
  SigV4Request r;
  r.method = "GET";
  r.authority = "examplebucket.s3.amazonaws.com";
  r.path = "/test.txt";
  r.headers = {{"Range", "bytes=0-9"}};
  r.payload_hash = kEmptySha256;
  S3Credentials c{"AKIAIOSFODNN7EXAMPLE",
                  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "", "us-east-1"};
  SignV4(&r, c, "s3", UnixOf(2013, 5, 24, 0, 0, 0));
  EXPECT_NE(r.headers.back().second.find(
                "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd9"
                "1039c6036bdb41"),
            std::string::npos)
      << r.headers.back().second;
}

TEST(SigV4, CanonicalFormRules) {
  EXPECT_EQ(UriEncode("a b/c~d_e.f-g*", false), "a%20b%2Fc~d_e.f-g%2A");
  EXPECT_EQ(UriEncode("dir/my file+1", true), "dir/my%20file%2B1");
  SigV4Request r;
  r.method = "POST";
  r.authority = "127.0.0.1:7480";
  r.path = "/bucket/key";
  r.query = {{"uploads", ""}};
  r.headers = {{"X-Amz-Meta-Name", "  two   spaces "}};
  r.payload_hash = kEmptySha256;
  std::string canonical = CanonicalRequest(r);
  EXPECT_NE(canonical.find("\nuploads=\n"), std::string::npos) << canonical;
  EXPECT_NE(canonical.find("x-amz-meta-name:two spaces\n"), std::string::npos);
  EXPECT_NE(canonical.find("host:127.0.0.1:7480\n"), std::string::npos);
  // A session token is sent and signed.
  S3Credentials c{"AK", "SECRET", "TOKEN", "eu-west-1"};
  SignV4(&r, c, "s3", 0);
  EXPECT_NE(r.headers.back().second.find("x-amz-security-token"),
            std::string::npos);
  EXPECT_EQ(r.headers.back().second.find("SECRET"), std::string::npos);
}

TEST(S3Addressing, BucketNamesThatCanBeHostLabels) {
  for (const char* ok : {"photos", "my-bucket-2", "a1b", "logs.2026"}) {
    EXPECT_TRUE(BucketIsHostLabel(ok, false)) << ok;
  }
  for (const char* no : {"ab", "Photos", "my_bucket", "-start", "end-", "a..b",
                         "192.168.5.4", ""}) {
    EXPECT_FALSE(BucketIsHostLabel(no, false)) << no;
  }
  EXPECT_FALSE(BucketIsHostLabel(std::string(64, 'a'), false));
  // Over https a dot would need a certificate for two labels.
  EXPECT_FALSE(BucketIsHostLabel("logs.2026", true));
}

TEST(S3Addressing, AutoGoesVirtualOnAwsOnly) {
  auto made = [](const char* endpoint, const char* bucket,
                 S3Addressing addressing) {
    S3Config c;
    c.endpoint = endpoint;
    c.bucket = bucket;
    c.addressing = addressing;
    c.credentials.access_key_id = "AKID";
    c.credentials.secret_access_key = "secret";
    return S3Protocol::Create(nullptr, c, ClassifyOptions{});
  };
  auto aws =
      made("https://s3.eu-west-3.amazonaws.com", "photos", S3Addressing::kAuto);
  ASSERT_TRUE(aws.ok());
  EXPECT_TRUE(aws.value()->virtual_hosted());
  EXPECT_EQ(aws.value()->ObjectUrl("a b/c.txt"),
            "https://photos.s3.eu-west-3.amazonaws.com/a%20b/c.txt");
  auto dotted =
      made("https://s3.amazonaws.com", "logs.2026", S3Addressing::kAuto);
  EXPECT_FALSE(dotted.value()->virtual_hosted());
  EXPECT_EQ(dotted.value()->ObjectUrl("k"),
            "https://s3.amazonaws.com/logs.2026/k");
  auto rgw =
      made("http://127.0.0.1:7480/prefix/", "photos", S3Addressing::kAuto);
  EXPECT_FALSE(rgw.value()->virtual_hosted());
  EXPECT_EQ(rgw.value()->ObjectUrl("k"),
            "http://127.0.0.1:7480/prefix/photos/k");
  auto forced = made("http://localhost:7480", "photos", S3Addressing::kVirtual);
  EXPECT_EQ(forced.value()->ObjectUrl("k"), "http://photos.localhost:7480/k");
  auto refused =
      made("https://s3.example", "Not_A_Host", S3Addressing::kVirtual);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, FERRY_ERR_INVALID_ARGUMENT);
}

TEST(S3Object, HeadersAnObjectMayBeCreatedWith) {
  EXPECT_TRUE(ObjectHeadersAllowed({{"Content-Type", "text/plain"},
                                    {"x-amz-storage-class", "GLACIER_IR"},
                                    {"X-Amz-Server-Side-Encryption", "AES256"}})
                  .ok());
  for (const char* refused :
       {"Authorization", "x-amz-content-sha256", "Content-MD5", "Host",
        "x-amz-server-side-encryption-customer-key", "x-amz-meta-a"}) {
    auto s = ObjectHeadersAllowed({{refused, "v"}});
    ASSERT_FALSE(s.ok()) << refused;
    EXPECT_EQ(s.error().code, FERRY_ERR_INVALID_ARGUMENT);
  }
}

TEST(S3Multipart, PartSizesAndTheMemoryAPartHolds) {
  constexpr uint64_t kMiB = 1 << 20;
  EXPECT_EQ(S3PartSize(0, 0), 8 * kMiB);
  EXPECT_EQ(S3PartSize(100 * kMiB, 5 * kMiB), 5 * kMiB);
  // 9,000 parts at most: 100 GiB needs parts of 12 MiB.
  EXPECT_EQ(S3PartSize(100ull << 30, 0), 12 * kMiB);
  // A small file holds its own bytes (with zstd's worst case), not a part.
  EXPECT_EQ(S3PartBytes(8 * kMiB, 64 * 1024), 64 * 1024 + 4 * 1024 + 64 * 1024);
  EXPECT_EQ(S3PartBytes(8 * kMiB, 1ull << 30), 8 * kMiB);
  EXPECT_EQ(S3PartBytes(8 * kMiB, std::nullopt), 8 * kMiB);  // a stream
}

TEST(S3Multipart, EtagOfACompletedObject) {
  // The parts' ETags are MD5("a") and MD5("b"); S3 names the object by the
  // MD5 of their 32 raw bytes and the part count.
  std::vector<S3PartInfo> parts = {
      {1, "\"0cc175b9c0f1b6a831c399e269772661\"", 1},
      {2, "92EB5FFEE6AE2FEC3AD71C777531578F", 1}};
  EXPECT_EQ(MultipartEtag(parts), "\"96e024ba2074fe77e8e965ba43a704be-2\"");
  // Nothing is concluded from ETags that are not MD5s (SSE-KMS), or from
  // no parts at all.
  parts[1].etag = "\"92eb5ffee6ae2fec3ad71c777531578z\"";
  EXPECT_EQ(MultipartEtag(parts), std::nullopt);
  parts[1].etag = "\"92eb5ffee6ae2fec3ad71c777531578f-3\"";
  EXPECT_EQ(MultipartEtag(parts), std::nullopt);
  EXPECT_EQ(MultipartEtag({}), std::nullopt);
}

TEST(S3Xml, InitiateAndComplete) {
  EXPECT_EQ(ParseInitiateResult(
                "<?xml version=\"1.0\"?><InitiateMultipartUploadResult "
                "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>b"
                "</Bucket><Key>k</Key><UploadId>2~abc</UploadId>"
                "</InitiateMultipartUploadResult>"),
            "2~abc");
  EXPECT_FALSE(ParseInitiateResult("<Error><Code>X</Code></Error>"));
  EXPECT_FALSE(ParseInitiateResult(
      "<InitiateMultipartUploadResult><UploadId>a b</UploadId>"
      "</InitiateMultipartUploadResult>"));
  EXPECT_FALSE(ParseInitiateResult(
      "<!DOCTYPE x [<!ENTITY e \"id\">]><InitiateMultipartUploadResult>"
      "<UploadId>&e;</UploadId></InitiateMultipartUploadResult>"));
  EXPECT_TRUE(
      IsCompleteResult("<CompleteMultipartUploadResult><ETag>\"x-2\"</ETag>"
                       "</CompleteMultipartUploadResult>"));
  EXPECT_FALSE(IsCompleteResult("<Error><Code>InternalError</Code></Error>"));
  EXPECT_EQ(CompleteBody({{1, "\"a\"", 5}, {2, "\"b\"", 1}}),
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"
            "\"a\"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>\"b\""
            "</ETag></Part></CompleteMultipartUpload>");
}

TEST(S3Xml, ListPartsPagesAndRejects) {
  auto list = ParseListParts(
      "<ListPartsResult><Bucket>b</Bucket><IsTruncated>true</IsTruncated>"
      "<NextPartNumberMarker>2</NextPartNumberMarker>"
      "<Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag>"
      "<Size>5242880</Size></Part><Part><PartNumber>2</PartNumber>"
      "<ETag>\"e2\"</ETag><Size>7</Size></Part></ListPartsResult>");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->parts.size(), 2u);
  EXPECT_EQ(list->parts[0].etag, "\"e1\"");
  EXPECT_EQ(list->parts[0].size, 5242880u);
  EXPECT_TRUE(list->truncated);
  EXPECT_EQ(list->next_marker, 2u);
  for (const char* bad : {
           "<ListPartsResult><Part><PartNumber>0</PartNumber></Part>"
           "</ListPartsResult>",
           "<ListPartsResult><Part><PartNumber>10001</PartNumber></Part>"
           "</ListPartsResult>",
           "<ListPartsResult><Part><PartNumber>1</PartNumber><Size>-1</Size>"
           "</Part></ListPartsResult>",
           "<ListPartsResult><IsTruncated>true</IsTruncated>"
           "</ListPartsResult>",
           "<ListPartsResult><Part>",
           "<Other/>",
       }) {
    EXPECT_FALSE(ParseListParts(bad)) << bad;
  }
}

TEST(Journal, S3PartsRoundTripAndChecks) {
  JournalRecord r;
  r.protocol = "s3";
  r.endpoint = "s3 http://127.0.0.1:7480/b/k";
  r.path = "/tmp/f";
  r.identity.size = 12 << 20;
  r.chunk_size = 8 << 20;
  r.upload_url = "2~upload-id";
  S3PartRecord p;
  p.number = 1;
  p.raw_begin = 0;
  p.raw_end = 8 << 20;
  p.wire_size = 4 << 20;
  p.etag = "\"abc\"";
  p.digest = std::string(16, 'd');
  p.frames = {FrameInfo{2 << 20, 4 << 20, 7, 3, ""},
              FrameInfo{2 << 20, 4 << 20, 9, 0, ""}};
  r.s3_parts.push_back(p);
  auto back = JournalRecord::Decode(r.Encode());
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back.value().s3_parts.size(), 1u);
  const S3PartRecord& q = back.value().s3_parts[0];
  EXPECT_EQ(q.raw_end, 8u << 20);
  EXPECT_EQ(q.etag, "\"abc\"");
  EXPECT_EQ(q.digest, p.digest);
  ASSERT_EQ(q.frames.size(), 2u);
  EXPECT_EQ(q.frames[1].checksum, 9u);

  // Frames that do not add up to the part, or a part past the file's end,
  // are corruption.
  r.s3_parts[0].frames.pop_back();
  EXPECT_FALSE(JournalRecord::Decode(r.Encode()).ok());
  r.s3_parts[0].frames.clear();
  r.s3_parts[0].raw_end = 13 << 20;
  EXPECT_FALSE(JournalRecord::Decode(r.Encode()).ok());
}

}  // namespace
}  // namespace ferry::internal
