#include "swarm_ids.hpp"

#include <sys/random.h>

#include <cerrno>
#include <regex>

#include "digest.hpp"
#include "dockling/error.hpp"

namespace dockling::ch15 {

std::string new_secret(std::size_t length) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string text;
  while (text.size() < length) {
    unsigned char bytes[64];
    ssize_t got = ::getrandom(bytes, sizeof(bytes), 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw SysError("getrandom", "", errno);
    }
    for (ssize_t i = 0; i < got && text.size() < length; ++i)
      if (bytes[i] < 252) text += kDigits[bytes[i] % 36];  // 252 = 7 * 36: no digit more likely
  }
  return text;
}

std::string new_id() { return new_secret(25); }

std::string format_token(const JoinToken& token) { return "SWMTKN-1-" + token.cluster + "-" + token.secret; }

JoinToken parse_token(const std::string& text) {
  static const std::regex form("^SWMTKN-1-([0-9a-z]{50})-([0-9a-z]{25})$");
  std::smatch match;
  if (!std::regex_match(text, match, form)) throw Error("invalid join token", 400);
  return {match[1], match[2]};
}

std::string secret_hash(const std::string& secret) { return ch10::sha256_digest(secret); }

}  // namespace dockling::ch15
