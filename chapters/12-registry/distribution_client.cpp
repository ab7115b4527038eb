#include "distribution_client.hpp"

#include "dockling/error.hpp"

namespace dockling::ch12 {

int pull_image(const StateRoot&, const std::string& reference, const ClientOptions&) {
  throw Error("pull " + reference + ": not written yet", 1);
}

int push_image(const StateRoot&, const std::string& reference, const ClientOptions&) {
  throw Error("push " + reference + ": not written yet", 1);
}

}  // namespace dockling::ch12
