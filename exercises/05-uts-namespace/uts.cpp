// Chapter 05 exercise, part 2: write set_names, then grade it with
//   sudo scripts/grade 5
// The contract is in chapters/05-uts-namespace/uts.hpp. Man pages: sethostname(2),
// setdomainname(2) (the same page), uts_namespaces(7), uname(2).
//
// Pitfalls the tests catch:
// - Look at the arguments these calls take: not a C string.
// - An empty domain name is not "set it to empty": read the contract.
// - A failure names the call and the name the user gave.
#include "uts.hpp"

#include "dockling/error.hpp"

namespace dockling::ch05 {

void set_names(const std::string& hostname, const std::string& domainname) {
  (void)hostname;
  (void)domainname;
  throw NotImplemented("ch05::set_names", "exercises/05-uts-namespace/uts.cpp");
}

}  // namespace dockling::ch05
