// TLS contexts and the self-signed key pair (OpenSSL 3 EVP and X509 APIs).
#include "net/tls.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

namespace tern::net {

namespace {

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  if (code == 0) return "unknown OpenSSL error";
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof buffer);
  ERR_clear_error();
  return buffer;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

Result<void> write_pem_key(const std::filesystem::path& path, EVP_PKEY* key) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
  // Created 0600 from the start so the key is never readable by others.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return make_error(Errc::io, fmt::format("{}: cannot create", path.string()));
  File file(::fdopen(fd, "w"));
  if (!file) return make_error(Errc::io, fmt::format("{}: cannot open", path.string()));
  if (PEM_write_PrivateKey(file.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return make_error(Errc::io, fmt::format("{}: {}", path.string(), openssl_error()));
  if (std::fflush(file.get()) != 0 || ::fsync(fd) != 0)
    return make_error(Errc::io, fmt::format("{}: cannot write", path.string()));
  return {};
}

}  // namespace

Result<KeyPairPaths> ensure_self_signed(const std::filesystem::path& data_dir,
                                        const std::string& hostname) {
  KeyPairPaths paths{data_dir / "tls" / "cert.pem", data_dir / "tls" / "key.pem"};
  std::error_code ec;
  if (std::filesystem::exists(paths.cert, ec) && std::filesystem::exists(paths.key, ec)) return paths;
  // On a first start the key pair is made before the store opens: a data_dir
  // created here must be the owner's alone, as the store would create it.
  if (!std::filesystem::exists(data_dir, ec)) {
    std::filesystem::create_directories(data_dir, ec);
    if (ec) return make_error(Errc::io, fmt::format("{}: {}", data_dir.string(), ec.message()));
    ::chmod(data_dir.c_str(), 0700);
  }
  std::filesystem::create_directories(paths.cert.parent_path(), ec);
  if (ec) return make_error(Errc::io, fmt::format("{}: {}", paths.cert.parent_path().string(), ec.message()));
  ::chmod(paths.cert.parent_path().c_str(), 0700);

  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!key) return make_error(Errc::internal, "key generation failed: " + openssl_error());
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  std::unique_ptr<BIGNUM, decltype(&BN_free)> serial(BN_new(), BN_free);
  if (!cert || !serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())))
    return make_error(Errc::internal, "certificate setup failed: " + openssl_error());
  X509_set_version(cert.get(), 2);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(hostname.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  std::string san = "DNS:" + hostname;
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, san.c_str()},
                            std::pair{NID_basic_constraints, "critical,CA:FALSE"},
                            std::pair{NID_ext_key_usage, "serverAuth"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!ext) return make_error(Errc::internal, "certificate extension failed: " + openssl_error());
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0)
    return make_error(Errc::internal, "certificate signing failed: " + openssl_error());

  if (auto r = write_pem_key(paths.key, key.get()); !r) return std::move(r).error();
  File file(std::fopen(paths.cert.c_str(), "w"));
  if (!file || PEM_write_X509(file.get(), cert.get()) != 1 || std::fflush(file.get()) != 0)
    return make_error(Errc::io, fmt::format("{}: cannot write the certificate", paths.cert.string()));
  return paths;
}

Result<std::shared_ptr<asio::ssl::context>> make_server_context(const KeyPairPaths& paths) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                  SSL_OP_NO_RENEGOTIATION);
  // Idle connections (IMAP IDLE, thousands of them) give their TLS buffers back.
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_use_certificate_chain_file(native, paths.cert.c_str()) != 1)
    return make_error(Errc::invalid, fmt::format("{}: cannot load the certificate: {}",
                                                 paths.cert.string(), openssl_error()));
  if (SSL_CTX_use_PrivateKey_file(native, paths.key.c_str(), SSL_FILETYPE_PEM) != 1)
    return make_error(Errc::invalid, fmt::format("{}: cannot load the private key: {}",
                                                 paths.key.string(), openssl_error()));
  if (SSL_CTX_check_private_key(native) != 1)
    return make_error(Errc::invalid, fmt::format("{} does not match {}", paths.key.string(),
                                                 paths.cert.string()));
  return context;
}

Result<std::shared_ptr<asio::ssl::context>> make_client_context() {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  context->set_verify_mode(asio::ssl::verify_none);
  return context;
}

Result<void> TlsContextHolder::load() {
  auto context = make_server_context(paths_);
  if (!context) return std::move(context).error();
  std::lock_guard lock(mutex_);
  context_ = std::move(*context);
  return {};
}

std::shared_ptr<asio::ssl::context> TlsContextHolder::current() const {
  std::lock_guard lock(mutex_);
  return context_;
}

}  // namespace tern::net
