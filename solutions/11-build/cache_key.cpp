#include <string>
#include <string_view>

#include "build.hpp"
#include "digest.hpp"

namespace dockling::ch11 {

namespace {

/// `part` as a netstring: "5:hello,".
void append_netstring(std::string& text, std::string_view part) {
  text += std::to_string(part.size());
  text += ':';
  text += part;
  text += ',';
}

}  // namespace

std::string cache_key(std::string_view parent, std::string_view instruction, std::string_view files,
                      const Variables& build_args) {
  std::string text;
  append_netstring(text, parent);
  append_netstring(text, instruction);
  append_netstring(text, files);
  for (const auto& [name, value] : build_args) append_netstring(text, name + "=" + value);
  return ch10::sha256_digest(text);
}

}  // namespace dockling::ch11
