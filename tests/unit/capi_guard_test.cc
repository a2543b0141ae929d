// SPDX-License-Identifier: Apache-2.0
// The one way the C entry points end an exception: out of memory is said as
// such, anything else as internal_error naming what it was.
#include <gtest/gtest.h>

#include <new>
#include <stdexcept>
#include <string>

#include "capi/capi_common.h"

namespace {

std::string MessageOf(ferry_error* e) {
  std::string m = e != nullptr ? ferry_error_message(e) : "";
  ferry_error_free(e);
  return m;
}

TEST(CaughtException, SaysOutOfMemoryOnlyForBadAlloc) {
  ferry_error* e = nullptr;
  try {
    throw std::bad_alloc();
  } catch (...) {
    EXPECT_EQ(ferry::capi::CaughtException(&e), FERRY_ERR_INTERNAL_ERROR);
  }
  EXPECT_EQ(MessageOf(e), "out of memory");

  e = nullptr;
  try {
    throw std::logic_error("a broken invariant");
  } catch (...) {
    EXPECT_EQ(ferry::capi::CaughtException(&e), FERRY_ERR_INTERNAL_ERROR);
  }
  EXPECT_EQ(MessageOf(e), "ferry failed inside: a broken invariant");

  e = nullptr;
  try {
    throw 42;
  } catch (...) {
    EXPECT_EQ(ferry::capi::CaughtException(&e), FERRY_ERR_INTERNAL_ERROR);
  }
  EXPECT_EQ(MessageOf(e), "ferry failed inside: an unknown exception");

  try {  // no error wanted: the code alone
    throw std::runtime_error("x");
  } catch (...) {
    EXPECT_EQ(ferry::capi::CaughtException(nullptr), FERRY_ERR_INTERNAL_ERROR);
  }
}

}  // namespace
