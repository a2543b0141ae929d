// SPDX-License-Identifier: Apache-2.0
#include "codec/hash.h"

#include <gtest/gtest.h>

namespace ferry::internal {
namespace {

TEST(Hash, Sha256KnownVectors) {
  EXPECT_EQ(HexEncode(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HexEncode(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Hash, StreamingEqualsOneShotAndResets) {
  auto h = Hasher::Sha256();
  h->Update("ab", 2);
  h->Update("c", 1);
  EXPECT_EQ(h->Finish(), Sha256("abc"));
  h->Update("abc", 3);  // reusable after Finish
  EXPECT_EQ(h->Finish(), Sha256("abc"));
}

TEST(Hash, Sha1ForTusServersAndUnknownAlgorithm) {
  auto h = Hasher::Create("sha1");
  ASSERT_NE(h, nullptr);
  h->Update("abc", 3);
  EXPECT_EQ(HexEncode(h->Finish()), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Hasher::Create("no-such-digest"), nullptr);
}

TEST(Hash, Base64) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
}

TEST(Hash, HexRoundTrip) {
  std::string raw("\x00\x7f\x80\xff ferry", 9);
  EXPECT_EQ(HexDecode(HexEncode(raw)), raw);
  EXPECT_EQ(HexDecode("ABcd"), std::string("\xab\xcd"));
  EXPECT_EQ(HexDecode(""), std::string());
  EXPECT_FALSE(HexDecode("abc"));  // odd
  EXPECT_FALSE(HexDecode("zz"));
}

}  // namespace
}  // namespace ferry::internal
