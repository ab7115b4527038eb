#include "dockling/shared_library.hpp"

#include <dlfcn.h>

#include <fmt/format.h>

#include "dockling/error.hpp"

namespace dockling {

SharedLibrary::SharedLibrary(const char* soname, const char* package)
    : handle_(::dlopen(soname, RTLD_NOW | RTLD_LOCAL)), soname_(soname) {
  if (handle_ == nullptr)
    throw Error(fmt::format("cannot load {} ({}): install {} (scripts/setup-deps)", soname, ::dlerror(), package));
}

void* SharedLibrary::symbol(const char* name) const {
  void* address = ::dlsym(handle_, name);
  if (address == nullptr) throw Error(fmt::format("{}: no symbol {}", soname_, name));
  return address;
}

}  // namespace dockling
