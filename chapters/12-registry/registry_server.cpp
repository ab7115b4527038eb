#include "registry_server.hpp"

#include "dockling/error.hpp"

namespace dockling::ch12 {

int serve_registry(const ServeOptions& options) {
  throw Error("registry serve: not written yet (" + options.addr + ")", 1);
}

}  // namespace dockling::ch12
