// SPDX-License-Identifier: Apache-2.0
#include "protocols/ietf/ietf_discovery.h"

#include <gtest/gtest.h>

namespace ferry::internal::ietf {
namespace {

TEST(IetfDiscovery, AcceptPatchMustListTheFullPartialUploadType) {
  EXPECT_TRUE(AcceptsPartialUpload("application/partial-upload"));
  EXPECT_TRUE(AcceptsPartialUpload(
      "application/merge-patch+json, Application/Partial-Upload;q=1"));
  EXPECT_FALSE(AcceptsPartialUpload("*/*"));
  EXPECT_FALSE(AcceptsPartialUpload("application/*"));
  EXPECT_FALSE(AcceptsPartialUpload("application/partial-uploads"));
  EXPECT_FALSE(AcceptsPartialUpload(""));
}

TEST(IetfDiscovery, AnOptionsAnswerOffersTheDraftByItsAcceptPatch) {
  HttpResponse r;
  r.status = 204;
  EXPECT_FALSE(OffersDraft(r));
  r.headers.emplace_back("accept-patch", "application/partial-upload");
  EXPECT_TRUE(OffersDraft(r));
}

}  // namespace
}  // namespace ferry::internal::ietf
