// SPDX-License-Identifier: Apache-2.0
#include "protocols/tus/tus_headers.h"

#include <gtest/gtest.h>

namespace ferry::internal::tus {
namespace {

TEST(TusHeaders, ParseSizeIsStrict) {
  EXPECT_EQ(ParseSize("0"), 0u);
  EXPECT_EQ(ParseSize("12345"), 12345u);
  EXPECT_EQ(ParseSize("999999999999999999"), 999999999999999999u);
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "1e3", "0x10", "abc",
                          "1,2", "9999999999999999999", "1.5"}) {
    EXPECT_FALSE(ParseSize(bad).has_value()) << bad;
  }
}

TEST(TusHeaders, MetadataEncoding) {
  auto m = EncodeMetadata(
      {{"filename", "world_domination_plan.pdf"}, {"is_confidential", ""}});
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(*m,
            "filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential");
  // Values are bytes: UTF-8 and commas survive base64.
  auto utf = EncodeMetadata({{"name", "r\xc3\xa9sum\xc3\xa9, v2"}});
  ASSERT_TRUE(utf.has_value());
  EXPECT_EQ(*utf, "name csOpc3Vtw6ksIHYy");
}

TEST(TusHeaders, MetadataRejectsBadKeys) {
  EXPECT_FALSE(EncodeMetadata({{"", "x"}}).has_value());
  EXPECT_FALSE(EncodeMetadata({{"a b", "x"}}).has_value());
  EXPECT_FALSE(EncodeMetadata({{"a,b", "x"}}).has_value());
  EXPECT_FALSE(EncodeMetadata({{"k\xc3\xa9", "x"}}).has_value());
  EXPECT_FALSE(EncodeMetadata({{"dup", "1"}, {"dup", "2"}}).has_value());
  EXPECT_EQ(EncodeMetadata({}), "");
}

TEST(TusHeaders, MetadataDecodingRoundTrips) {
  std::vector<std::pair<std::string, std::string>> pairs = {
      {"filename", "a,b c.txt"},
      {"flag", ""},
      {"bin", std::string("\0\xff", 2)}};
  auto encoded = EncodeMetadata(pairs);
  ASSERT_TRUE(encoded.has_value());
  EXPECT_EQ(DecodeMetadata(*encoded), pairs);
  EXPECT_EQ(DecodeMetadata("")->size(), 0u);
  // Spaces around items, as some servers write them.
  EXPECT_EQ(DecodeMetadata("a YQ==, b Yg==")->at(1).second, "b");
}

TEST(TusHeaders, MetadataDecodingIsStrict) {
  EXPECT_FALSE(DecodeMetadata("a YQ").has_value());           // unpadded
  EXPECT_FALSE(DecodeMetadata("a Y=Q=").has_value());         // '=' inside
  EXPECT_FALSE(DecodeMetadata("a YR==").has_value());         // stray bits
  EXPECT_FALSE(DecodeMetadata("a YQ==,a Yg==").has_value());  // repeated
  EXPECT_FALSE(DecodeMetadata(",").has_value());              // empty key
  EXPECT_FALSE(DecodeMetadata("a Y Q==").has_value());
}

}  // namespace
}  // namespace ferry::internal::tus
