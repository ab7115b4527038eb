#include "registry_base64.hpp"

namespace dockling::ch12 {

namespace {

const char* letters(Base64 alphabet) {
  return alphabet == Base64::url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                                 : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

int value_of(char c, Base64 alphabet) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == (alphabet == Base64::url ? '-' : '+')) return 62;
  if (c == (alphabet == Base64::url ? '_' : '/')) return 63;
  return -1;
}

}  // namespace

std::string encode_base64(std::string_view data, Base64 alphabet) {
  const char* table = letters(alphabet);
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    unsigned bits = static_cast<unsigned char>(data[i]) << 16 | static_cast<unsigned char>(data[i + 1]) << 8 |
                    static_cast<unsigned char>(data[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += table[(bits >> shift) & 63];
  }
  std::size_t left = data.size() - i;
  if (left > 0) {
    unsigned bits = static_cast<unsigned char>(data[i]) << 16;
    if (left == 2) bits |= static_cast<unsigned char>(data[i + 1]) << 8;
    out += table[(bits >> 18) & 63];
    out += table[(bits >> 12) & 63];
    if (left == 2) out += table[(bits >> 6) & 63];
    if (alphabet == Base64::standard) out.append(3 - left, '=');
  }
  return out;
}

std::optional<std::string> decode_base64(std::string_view text, Base64 alphabet) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;  // one letter carries 6 bits: less than a byte
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (char c : text) {
    int value = value_of(c, alphabet);
    if (value < 0) return std::nullopt;
    bits = bits << 6 | static_cast<unsigned>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xff);
    }
  }
  return out;
}

}  // namespace dockling::ch12
