#include "common/base/sha256.h"

#include <openssl/evp.h>

#include <memory>

#include "absl/strings/escaping.h"

namespace newsearch {

struct Sha256::Context {
  // Null when OpenSSL could not allocate or initialise it: every call is
  // then a no-op and the digest is empty.
  EVP_MD_CTX* md = nullptr;
};

Sha256::Sha256() : context_(std::make_unique<Context>()) {
  context_->md = EVP_MD_CTX_new();
  if (context_->md != nullptr && EVP_DigestInit_ex(context_->md, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(context_->md);
    context_->md = nullptr;
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(context_->md); }

void Sha256::Update(absl::string_view bytes) {
  if (context_->md == nullptr || bytes.empty()) return;
  EVP_DigestUpdate(context_->md, bytes.data(), bytes.size());
}

std::string Sha256::Digest() {
  if (context_->md == nullptr) return std::string();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const bool ok = EVP_DigestFinal_ex(context_->md, digest, &len) == 1;
  EVP_MD_CTX_free(context_->md);
  context_->md = nullptr;
  if (!ok) return std::string();
  return std::string(reinterpret_cast<const char*>(digest), len);
}

std::string Sha256::HexDigest() { return absl::BytesToHexString(Digest()); }

std::string Sha256Digest(absl::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
    return std::string();
  }
  return std::string(reinterpret_cast<const char*>(digest), len);
}

std::string Sha256Hex(absl::string_view bytes) {
  return absl::BytesToHexString(Sha256Digest(bytes));
}

}  // namespace newsearch
