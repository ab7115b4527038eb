// Chapter 05 exercise, part 1: write hostname_problem, then grade it with
//   sudo scripts/grade 5
// The contract is in chapters/05-uts-namespace/hostname.hpp. Read RFC 1123 section 2.1 and
// RFC 952 ("ASSUMPTIONS"), and sethostname(2) for the length the kernel holds.
//
// Pitfalls the tests catch (random names of every legal shape, and each rule broken alone):
// - Two limits, not one: a label's and the whole name's. Which is 63 and which is 64?
// - Dots separate labels; they are not characters of a label. What is between two dots, or
//   before the first, when the name starts with one?
// - "Letter" means ASCII here. <cctype> answers for the current locale, and is undefined for
//   a char below zero, which every byte above 0x7f is where char is signed.
// - A std::string may hold a NUL byte; a C string ends there. The kernel would get less.
// - The reason goes to a user: say what is wrong with *their* name.
#include "hostname.hpp"

#include "dockling/error.hpp"

namespace dockling::ch05 {

std::string hostname_problem(const std::string& name) {
  (void)name;
  throw NotImplemented("ch05::hostname_problem", "exercises/05-uts-namespace/hostname.cpp");
}

}  // namespace dockling::ch05
