// Chapter 05 exercise: fill in set_names, then grade it with
//   sudo scripts/grade 5
// Its contract is in chapters/05-uts-namespace/uts.hpp.
#include "uts.hpp"

#include <unistd.h>

#include "dockling/error.hpp"

namespace dockling::ch05 {

void set_names(const std::string& hostname, const std::string& domainname) {
  // TODO:
  // 1. Set the host name with sethostname(2). It takes a pointer and a length, not a
  //    C string: check(::sethostname(hostname.data(), hostname.size()), "sethostname", hostname);
  //    This runs in the child, already in its own UTS namespace: the host keeps its name.
  //    (Try it without CLONE_NEWUTS in uts_step.cpp and watch the host get renamed!)
  // 2. Only if domainname is not empty, set it the same way with setdomainname(2).
  //    An empty one keeps the name inherited from the host (usually "(none)").
  (void)hostname;
  (void)domainname;
  throw NotImplemented("ch05::set_names", "exercises/05-uts-namespace/uts.cpp");
}

}  // namespace dockling::ch05
