// SPDX-License-Identifier: Apache-2.0
#include "protocols/ietf/ietf_headers.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace ferry::internal::ietf
