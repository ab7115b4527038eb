#include <fmt/format.h>

#include "dockling/error.hpp"
#include "volume_request.hpp"

namespace dockling::ch13 {

VolumeRequest parse_volume_flag(const std::string& value) {
  (void)value;
  // The contract is in volume_request.hpp; docker's own behaviour is the reference
  // (`docker run -v ...` prints the same refusals).
  // TODO 1: split `value` at every ':' and choose by the number of parts: TARGET,
  //         SOURCE:TARGET, SOURCE:TARGET:MODE. Why is "/data:ro" refused, when "data:/data"
  //         is not? (Look at what the second part is.)
  // TODO 2: an absolute SOURCE is a bind mount (create_missing_source: docker makes a
  //         missing host directory); any other SOURCE names a volume: check_volume_name().
  //         An empty one is refused.
  // TODO 3: TARGET must be absolute and not "/": a container cannot mount over its own root.
  //         Drop a trailing '/'.
  // TODO 4: read MODE word by word: rw|ro, z|Z (a warning: no SELinux here), a propagation
  //         (is_propagation(); binds only), nocopy (volumes only). Two of one kind, or an
  //         unknown word: "invalid mode: MODE".
  // Check: `ctest --test-dir build-ex -L ch13 -L exercise`.
  throw NotImplemented("ch13::parse_volume_flag", "exercises/13-volumes/volume_flag.cpp");
}

}  // namespace dockling::ch13
