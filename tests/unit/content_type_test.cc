// SPDX-License-Identifier: Apache-2.0
#include "source/content_type.h"

#include <gtest/gtest.h>

namespace ferry::internal {
namespace {

constexpr char kTable[] =
    "# comment json\n"
    "application/json\t\t\t\tjson\n"
    "application/json-seq\n"
    "text/plain\t\t\t\t\ttxt text pot\n"
    "image/jpeg\t\t\t\t\tjpeg jpg jpe\n";

TEST(ContentType, ByTheLastExtensionWithoutCase) {
  EXPECT_EQ(ContentTypeIn(kTable, "report.JSON"), "application/json");
  EXPECT_EQ(ContentTypeIn(kTable, "trip/photo.tar.jpg"), "image/jpeg");
  EXPECT_EQ(ContentTypeIn(kTable, "notes.text"), "text/plain");
  EXPECT_EQ(ContentTypeIn(kTable, "README"), std::nullopt);
  EXPECT_EQ(ContentTypeIn(kTable, "dir.json/file"), std::nullopt);
  EXPECT_EQ(ContentTypeIn(kTable, "trailing."), std::nullopt);
  EXPECT_EQ(ContentTypeIn(kTable, "a.comment"), std::nullopt);
  EXPECT_EQ(ContentTypeIn(kTable, "a.seq"), std::nullopt);
}

TEST(ContentType, TheSystemTable) {
  // Debian's media-types package (installed by scripts/setup).
  EXPECT_EQ(GuessContentType("a.json"), "application/json");
  EXPECT_EQ(GuessContentType("a.no-such-extension"), std::nullopt);
}

}  // namespace
}  // namespace ferry::internal
