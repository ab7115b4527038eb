// Chapter 05 exercise, solved.
#include "uts.hpp"

#include <unistd.h>

#include "dockling/error.hpp"

namespace dockling::ch05 {

void set_names(const std::string& hostname, const std::string& domainname) {
  check(::sethostname(hostname.data(), hostname.size()), "sethostname", hostname);
  if (!domainname.empty()) {
    check(::setdomainname(domainname.data(), domainname.size()), "setdomainname", domainname);
  }
}

}  // namespace dockling::ch05
