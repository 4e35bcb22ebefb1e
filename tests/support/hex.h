// Test support: byte strings written as hex, for golden-byte tests of wire formats.
// Bytes("00 01 'A'") is {0x00, 0x01, 'A'}: two hex digits a byte, quoted text as is, spaces ignored.
#pragma once

#include <string>
#include <string_view>

namespace ferry::testing {

inline std::string Bytes(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i < hex.size();) {
    if (hex[i] == ' ') {
      ++i;
    } else if (hex[i] == '\'') {
      const size_t end = hex.find('\'', i + 1);
      out.append(hex.substr(i + 1, end - i - 1));
      i = end + 1;
    } else {
      out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
      i += 2;
    }
  }
  return out;
}

// The bytes as lower-case hex pairs separated by spaces, for readable failures.
inline std::string Hex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (!out.empty()) out.push_back(' ');
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

}  // namespace ferry::testing
