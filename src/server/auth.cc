// API keys: parsing "KEY[:role]" entries and hashing keys with SHA-256
// (OpenSSL libcrypto), so the server keeps only digests in memory.
#include <openssl/evp.h>

#include "tailor/server/server.h"

namespace tailor::server {

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1 || length != 32)
    throw_error(ErrorCode::kInternal, "SHA-256 failed in libcrypto");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(64, '0');
  for (unsigned int byte_idx = 0; byte_idx < length; ++byte_idx) {
    out[2 * byte_idx] = kHex[digest[byte_idx] >> 4];
    out[2 * byte_idx + 1] = kHex[digest[byte_idx] & 0xF];
  }
  return out;
}

std::pair<std::string, Role> parse_api_key(std::string_view entry) {
  std::string key(entry);
  Role role = Role::kAdmin;
  if (auto colon = entry.rfind(':'); colon != std::string_view::npos) {
    const std::string_view name = entry.substr(colon + 1);
    if (name == "admin") {
      role = Role::kAdmin;
    } else if (name == "client") {
      role = Role::kClient;
    } else {
      throw_error(ErrorCode::kInvalidArgument,
                  "api key: unknown role '" + std::string(name) + "' (expected admin or client)");
    }
    key = std::string(entry.substr(0, colon));
  }
  TAILOR_CHECK_ARG(key.size() >= 8, "api key: must be at least 8 characters");
  for (char c : key)
    TAILOR_CHECK_ARG(static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7F,
                     "api key: only printable ASCII without spaces");
  return {key, role};
}

}  // namespace tailor::server
