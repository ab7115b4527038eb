/// @file shared_library.hpp
/// @brief A shared library loaded on first use (dlopen), rather than by the dynamic loader at
/// every start of the binary.
///
/// A library linked the usual way is loaded and relocated before main(), with everything it
/// needs in turn: libnftables brings libnftnl, libxtables, libjansson and libgmp; libarchive
/// brings libxml2 and libicu. Each container start would pay for them, also the many that
/// never use them. Loaded here, only the commands that call them do.
#pragma once

namespace dockling {

/// One library opened with dlopen(RTLD_NOW | RTLD_LOCAL); never closed (its functions are
/// kept in function-local statics for the life of the process).
class SharedLibrary {
 public:
  /// @param soname e.g. "libarchive.so.13"
  /// @param package the Debian package that brings it, for the error message
  /// @throws Error naming the library, the loader's reason and the package.
  SharedLibrary(const char* soname, const char* package);

  /// Sets `function` to the library's symbol `name` (give it the real declaration's type:
  /// `decltype(&archive_read_new)`). @throws Error naming the library and the symbol.
  template <typename Function>
  void load(const char* name, Function& function) const {
    function = reinterpret_cast<Function>(symbol(name));
  }

 private:
  void* symbol(const char* name) const;

  void* handle_;
  const char* soname_;
};

}  // namespace dockling
