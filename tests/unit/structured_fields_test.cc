// SPDX-License-Identifier: Apache-2.0
// RFC 9651 parsing and serialisation: every type, every limit, and the
// refusals a strict parser owes (each case below fails if the check it
// names is removed).
#include "http/structured_fields.h"

#include <gtest/gtest.h>

#include <string>

namespace ferry::internal::sf {
namespace {

using Type = BareItem::Type;

BareItem ItemValue(std::string_view field) {
  std::string why;
  std::optional<Item> item = ParseItem(field, &why);
  EXPECT_TRUE(item.has_value()) << field << ": " << why;
  return item ? item->value : BareItem{};
}

bool ItemParses(std::string_view field) { return ParseItem(field).has_value(); }

TEST(StructuredFields, Integers) {
  EXPECT_EQ(ItemValue("42"), Integer(42));
  EXPECT_EQ(ItemValue("-42"), Integer(-42));
  EXPECT_EQ(ItemValue("0042"), Integer(42));
  EXPECT_EQ(ItemValue("999999999999999"), Integer(999999999999999));
  EXPECT_EQ(ItemValue("-999999999999999"), Integer(-999999999999999));
  EXPECT_FALSE(ItemParses("1000000000000000"));  // 16 digits
  EXPECT_FALSE(ItemParses("-"));
  EXPECT_FALSE(ItemParses("- 1"));
  EXPECT_FALSE(ItemParses("1x"));
  EXPECT_FALSE(ItemParses("+1"));
}

TEST(StructuredFields, Decimals) {
  BareItem d = ItemValue("1.5");
  EXPECT_EQ(d.type, Type::kDecimal);
  EXPECT_EQ(d.number, 1500);
  EXPECT_EQ(ItemValue("-0.001").number, -1);
  EXPECT_EQ(ItemValue("123456789012.123").number, 123456789012123);
  EXPECT_FALSE(ItemParses("1234567890123.1"));  // 13 integer digits
  EXPECT_FALSE(ItemParses("1.1234"));           // 4 fractional digits
  EXPECT_FALSE(ItemParses("1."));
  EXPECT_FALSE(ItemParses("1.2.3"));
  EXPECT_EQ(SerializeItem({ItemValue("1.500"), {}}), "1.5");
  EXPECT_EQ(SerializeItem({ItemValue("-2.0"), {}}), "-2.0");
}

TEST(StructuredFields, Strings) {
  EXPECT_EQ(ItemValue("\"hello world\""), String("hello world"));
  EXPECT_EQ(ItemValue(R"("a \"quoted\" \\ text")"),
            String(R"(a "quoted" \ text)"));
  EXPECT_EQ(ItemValue("\"\""), String(""));
  EXPECT_FALSE(ItemParses(R"("bad \n escape")"));
  EXPECT_FALSE(ItemParses("\"unterminated"));
  EXPECT_FALSE(ItemParses("\"tab\there\""));
  EXPECT_FALSE(ItemParses("\"caf\xc3\xa9\""));  // non-ASCII
  EXPECT_EQ(SerializeItem({String(R"(say "hi" \ )"), {}}),
            R"("say \"hi\" \\ ")");
  EXPECT_FALSE(SerializeItem({String("line\nbreak"), {}}).has_value());
}

TEST(StructuredFields, Tokens) {
  EXPECT_EQ(ItemValue("foo123/456"), Token("foo123/456"));
  EXPECT_EQ(ItemValue("*foo"), Token("*foo"));
  EXPECT_EQ(ItemValue("application/partial-upload"),
            Token("application/partial-upload"));
  EXPECT_FALSE(ItemParses("foo,bar"));  // a list, not an item
  EXPECT_FALSE(SerializeItem({Token("1abc"), {}}).has_value());
  EXPECT_FALSE(SerializeItem({Token("a b"), {}}).has_value());
}

TEST(StructuredFields, ByteSequences) {
  EXPECT_EQ(ItemValue(":aGVsbG8=:"), ByteSequence("hello"));
  EXPECT_EQ(ItemValue(":aGVsbG8:"), ByteSequence("hello"));  // no padding
  EXPECT_EQ(ItemValue("::"), ByteSequence(""));
  EXPECT_FALSE(ItemParses(":aGVs bG8=:"));
  EXPECT_FALSE(ItemParses(":aGVsbG8="));
  EXPECT_FALSE(ItemParses(":a*Vsb:"));
  EXPECT_EQ(SerializeItem({ByteSequence("hello"), {}}), ":aGVsbG8=:");
}

TEST(StructuredFields, BooleansDatesDisplayStrings) {
  EXPECT_EQ(ItemValue("?1"), Boolean(true));
  EXPECT_EQ(ItemValue("?0"), Boolean(false));
  EXPECT_FALSE(ItemParses("?2"));
  EXPECT_FALSE(ItemParses("?"));
  BareItem date = ItemValue("@1659578233");
  EXPECT_EQ(date.type, Type::kDate);
  EXPECT_EQ(date.number, 1659578233);
  EXPECT_FALSE(ItemParses("@1.5"));
  EXPECT_FALSE(ItemParses("@"));  // found by the fuzzer: read past the end
  EXPECT_FALSE(ItemParses("@-"));
  BareItem display = ItemValue("%\"f%c3%bc%c3%bc\"");
  EXPECT_EQ(display.type, Type::kDisplayString);
  EXPECT_EQ(display.text, "f\xc3\xbc\xc3\xbc");
  EXPECT_FALSE(ItemParses("%\"%C3%BC\""));     // upper-case hex
  EXPECT_FALSE(ItemParses("%\"%c3\""));        // not UTF-8
  EXPECT_FALSE(ItemParses("%\"%ed%a0%80\""));  // a surrogate
  EXPECT_FALSE(ItemParses("%\"%c0%af\""));     // overlong
  EXPECT_EQ(SerializeItem({display, {}}), "%\"f%c3%bc%c3%bc\"");
}

TEST(StructuredFields, Parameters) {
  std::optional<Item> item = ParseItem("1; a; b=?0;c=\"x\"; a=2");
  ASSERT_TRUE(item.has_value());
  ASSERT_EQ(item->params.size(), 3u);
  // A key given twice keeps its first place and its last value.
  EXPECT_EQ(item->params[0].first, "a");
  EXPECT_EQ(*Find(item->params, "a"), Integer(2));
  EXPECT_EQ(*Find(item->params, "b"), Boolean(false));
  EXPECT_EQ(Find(item->params, "z"), nullptr);
  EXPECT_EQ(SerializeItem(*item), "1;a=2;b=?0;c=\"x\"");
  EXPECT_FALSE(ItemParses("1;A=1"));  // keys are lower case
  EXPECT_FALSE(ItemParses("1;=1"));
  EXPECT_FALSE(ItemParses("1 ;a"));
}

TEST(StructuredFields, Lists) {
  std::optional<List> list = ParseList("sugar, tea,\trum, (\"a\" b);x, 1");
  ASSERT_TRUE(list.has_value());
  ASSERT_EQ(list->size(), 5u);
  EXPECT_EQ((*list)[2].item.value, Token("rum"));
  EXPECT_TRUE((*list)[3].is_inner_list);
  EXPECT_EQ((*list)[3].inner.items.size(), 2u);
  EXPECT_EQ(*Find((*list)[3].inner.params, "x"), Boolean(true));
  EXPECT_EQ(SerializeList(*list), "sugar, tea, rum, (\"a\" b);x, 1");
  EXPECT_EQ(ParseList("")->size(), 0u);
  EXPECT_EQ(ParseList("( )")->at(0).inner.items.size(), 0u);
  EXPECT_FALSE(ParseList("a,").has_value());
  EXPECT_FALSE(ParseList("a,,b").has_value());
  EXPECT_FALSE(ParseList("(a b").has_value());
  EXPECT_FALSE(ParseList("(a,b)").has_value());
  EXPECT_FALSE(ParseList("a b").has_value());
}

TEST(StructuredFields, Dictionaries) {
  std::optional<Dictionary> dict =
      ParseDictionary("max-size=1000, min-append-size=10;x, done, a=(1 2)");
  ASSERT_TRUE(dict.has_value());
  ASSERT_EQ(dict->size(), 4u);
  EXPECT_EQ(Find(*dict, "max-size")->item.value, Integer(1000));
  EXPECT_EQ(Find(*dict, "done")->item.value, Boolean(true));
  EXPECT_TRUE(Find(*dict, "a")->is_inner_list);
  EXPECT_EQ(Find(*dict, "nope"), nullptr);
  EXPECT_EQ(SerializeDictionary(*dict),
            "max-size=1000, min-append-size=10;x, done, a=(1 2)");
  std::optional<Dictionary> twice = ParseDictionary("a=1, b=2, a=3");
  ASSERT_TRUE(twice.has_value());
  EXPECT_EQ(SerializeDictionary(*twice), "a=3, b=2");
  EXPECT_FALSE(ParseDictionary("A=1").has_value());
  EXPECT_FALSE(ParseDictionary("a=1,").has_value());
  EXPECT_FALSE(ParseDictionary("a=").has_value());
  EXPECT_FALSE(ParseDictionary("a=1 b=2").has_value());
}

TEST(StructuredFields, SpacesAtTheEdgesOnly) {
  EXPECT_EQ(ItemValue("  42  "), Integer(42));
  EXPECT_FALSE(ItemParses("\t42"));
  EXPECT_FALSE(ItemParses("42\t"));
  std::string why;
  EXPECT_FALSE(ParseItem("42 43", &why).has_value());
  EXPECT_EQ(why, "unexpected characters after the value at offset 3");
}

TEST(StructuredFields, SerializingRefusesWhatCannotBeSent) {
  EXPECT_FALSE(SerializeItem({Integer(1000000000000000), {}}).has_value());
  BareItem big_decimal{Type::kDecimal, 1000000000000000, ""};
  EXPECT_FALSE(SerializeItem({big_decimal, {}}).has_value());
  Item bad_key{Integer(1), {{"Key", Boolean(true)}}};
  EXPECT_FALSE(SerializeItem(bad_key).has_value());
  BareItem bad_text{Type::kDisplayString, 0, "\xff"};
  EXPECT_FALSE(SerializeItem({bad_text, {}}).has_value());
}

}  // namespace
}  // namespace ferry::internal::sf
