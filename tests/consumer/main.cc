// SPDX-License-Identifier: Apache-2.0
#include <iostream>

#include "ferry/ferry.hpp"

int main() {
  ferry::ClientOptions o;
  o.endpoint = "not a url";
  auto c = ferry::Client::Create(o);
  std::cout << ferry::CodeName(ferry::Code::k_rate_limited) << " "
            << (c.ok() ? "ok" : c.error().code_name) << "\n";
  return !c.ok() && c.error().code == ferry::Code::k_invalid_argument ? 0 : 1;
}
