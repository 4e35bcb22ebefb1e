#include "worker/group/tls_transport.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>

#include <glog/logging.h>

namespace ferry::group {

namespace {

struct SslDeleter {
  void operator()(SSL* ssl) const noexcept { SSL_free(ssl); }
};
struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const noexcept { SSL_CTX_free(ctx); }
};
struct BioDeleter {
  void operator()(BIO* bio) const noexcept { BIO_free_all(bio); }
};
struct X509Deleter {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
using SslPtr = std::unique_ptr<SSL, SslDeleter>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// OpenSSL's queued errors of this thread as one line (and the queue emptied).
std::string OpenSslErrors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += (out.empty() ? "" : "; ") + std::string(buf);
  }
  return out.empty() ? "no detail from OpenSSL" : out;
}

// ---- a socket BIO that never raises SIGPIPE ----
// OpenSSL's socket BIO writes with write(), which raises SIGPIPE on a connection the broker closed;
// this one sends with MSG_NOSIGNAL. The BIO's data is the file descriptor; the TcpStream owns it.

int SocketWrite(BIO* bio, const char* data, size_t size, size_t* written) {
  const int fd = static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(bio)));
  BIO_clear_retry_flags(bio);
  const ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
  if (n >= 0) {
    *written = static_cast<size_t>(n);
    return 1;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) BIO_set_retry_write(bio);
  return 0;
}

int SocketRead(BIO* bio, char* data, size_t size, size_t* read) {
  const int fd = static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(bio)));
  BIO_clear_retry_flags(bio);
  const ssize_t n = recv(fd, data, size, 0);
  if (n > 0) {
    *read = static_cast<size_t>(n);
    return 1;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_read(bio);
  return 0;  // n == 0: end of stream
}

long SocketCtrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }

int SocketCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

const BIO_METHOD* SocketMethod() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ferry socket");
    CHECK(m != nullptr) << "BIO_meth_new: " << OpenSslErrors();
    BIO_meth_set_write_ex(m, SocketWrite);
    BIO_meth_set_read_ex(m, SocketRead);
    BIO_meth_set_ctrl(m, SocketCtrl);
    BIO_meth_set_create(m, SocketCreate);
    return m;
  }();  // lives as long as the process
  return method;
}

// ---- loading the configured material ----

// A BIO over a file (`location`) or over PEM text.
Result<BioPtr> OpenPem(const std::optional<std::string>& location, const std::optional<std::string>& pem,
                       const char* location_key, const char* pem_key) {
  if (location) {
    BioPtr bio(BIO_new_file(location->c_str(), "r"));
    if (bio == nullptr) {
      ERR_clear_error();
      return Error::InvalidConfig(location_key, "cannot read '" + *location + "': " + std::strerror(errno));
    }
    return bio;
  }
  BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  if (bio == nullptr) return Error::Internal(std::string("BIO_new_mem_buf for ") + pem_key + ": " + OpenSslErrors());
  return bio;
}

Result<> LoadTrust(SSL_CTX* ctx, const TlsConfig& config) {
  if (config.ca_location && *config.ca_location != "probe") {
    struct stat st {};
    const bool directory = stat(config.ca_location->c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    const int ok = directory ? SSL_CTX_load_verify_locations(ctx, nullptr, config.ca_location->c_str())
                             : SSL_CTX_load_verify_locations(ctx, config.ca_location->c_str(), nullptr);
    if (ok != 1) {
      return Error::InvalidConfig("ssl.ca.location", "cannot load CA certificates from '" + *config.ca_location +
                                                         "': " + OpenSslErrors());
    }
  } else if (config.ca_pem) {
    Result<BioPtr> bio = OpenPem(std::nullopt, config.ca_pem, "", "ssl.ca.pem");
    if (!bio.ok()) return bio.error();
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    int added = 0;
    while (X509Ptr cert{PEM_read_bio_X509(bio->get(), nullptr, nullptr, nullptr)}) {
      if (X509_STORE_add_cert(store, cert.get()) != 1) {
        return Error::InvalidConfig("ssl.ca.pem", "cannot add a CA certificate: " + OpenSslErrors());
      }
      ++added;
    }
    ERR_clear_error();  // the read that ended the loop
    if (added == 0) return Error::InvalidConfig("ssl.ca.pem", "holds no PEM certificate");
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {  // as librdkafka: the system's store
    return Error::InvalidConfig("ssl.ca.location", "unset, and the system's CA store cannot be loaded: " +
                                                       OpenSslErrors());
  }
  return Ok();
}

Result<> LoadClientCertificate(SSL_CTX* ctx, const TlsConfig& config) {
  const bool has_cert = config.certificate_location || config.certificate_pem;
  const bool has_key = config.key_location || config.key_pem;
  if (!has_cert && !has_key) return Ok();
  if (has_cert != has_key) {
    return Error::InvalidConfig(has_cert ? "ssl.key.location" : "ssl.certificate.location",
                                "a client certificate needs its key and a key its certificate: set "
                                "ssl.certificate.location (or .pem) and ssl.key.location (or .pem) together");
  }
  const char* cert_key = config.certificate_location ? "ssl.certificate.location" : "ssl.certificate.pem";
  Result<BioPtr> certs = OpenPem(config.certificate_location, config.certificate_pem, cert_key, cert_key);
  if (!certs.ok()) return certs.error();
  X509Ptr leaf(PEM_read_bio_X509(certs->get(), nullptr, nullptr, nullptr));
  if (leaf == nullptr || SSL_CTX_use_certificate(ctx, leaf.get()) != 1) {
    return Error::InvalidConfig(cert_key, "holds no usable PEM certificate: " + OpenSslErrors());
  }
  while (X509* chain = PEM_read_bio_X509(certs->get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, chain) != 1) {  // takes ownership on success
      X509_free(chain);
      return Error::InvalidConfig(cert_key, "cannot use a chain certificate: " + OpenSslErrors());
    }
  }
  ERR_clear_error();

  const char* key_key = config.key_location ? "ssl.key.location" : "ssl.key.pem";
  Result<BioPtr> key_bio = OpenPem(config.key_location, config.key_pem, key_key, key_key);
  if (!key_bio.ok()) return key_bio.error();
  // With no callback, OpenSSL takes the last argument as the passphrase of an encrypted key. An
  // empty one stands for "none", so an encrypted key without ssl.key.password fails rather than
  // prompting on a terminal.
  const std::string password = config.key_password.value_or("");
  PkeyPtr key(PEM_read_bio_PrivateKey(key_bio->get(), nullptr, nullptr, const_cast<char*>(password.c_str())));
  if (key == nullptr) {
    const std::string detail = OpenSslErrors();
    return Error::InvalidConfig(key_key, std::string("cannot read the private key") +
                                             (config.key_password ? " (is ssl.key.password right?)"
                                                                  : " (if it is encrypted, set ssl.key.password)") +
                                             ": " + detail);
  }
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    return Error::InvalidConfig(key_key, "the private key does not match the certificate of " +
                                             std::string(cert_key) + ": " + OpenSslErrors());
  }
  return Ok();
}

// ---- the stream ----

Error TlsFailure(const BrokerAddress& broker, const std::string& why) {
  return Error(ErrorCode::kKafka, "TLS with broker " + broker.ToString() + ": " + why, /*retriable=*/false,
               RD_KAFKA_RESP_ERR__SSL);
}

Error TlsNetworkError(const std::string& why) {
  return Error(ErrorCode::kKafka, why, /*retriable=*/true, RD_KAFKA_RESP_ERR__TRANSPORT);
}

// What a failed verification means, and what to set.
std::string VerifyFailure(long result, const BrokerAddress& broker, const std::string& ca_key) {
  const std::string detail = std::string(" (") + X509_verify_cert_error_string(result) + ")";
  switch (result) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "the broker's certificate is outside its validity period" + detail +
             ": the broker needs a current certificate (enable.ssl.certificate.verification=false would turn "
             "off every check; do not)";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "the broker's certificate does not name '" + broker.host + "'" + detail +
             ": connect by a name the certificate holds (bootstrap.servers and the broker's advertised listeners), "
             "or set ssl.endpoint.identification.algorithm=none to skip the name check";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      return "the broker's certificate is not signed by a CA Ferry trusts" + detail + ": set " + ca_key +
             " to the CA that signed the broker's certificate";
    default:
      return "the broker's certificate failed verification" + detail + "; check " + ca_key;
  }
}

// A failure the broker signalled with a TLS alert after the handshake, or an OpenSSL error.
std::string ProtocolFailure(const std::string& errors) {
  if (errors.find("certificate required") != std::string::npos ||
      errors.find("alert bad certificate") != std::string::npos ||
      errors.find("alert unknown ca") != std::string::npos ||
      errors.find("alert certificate unknown") != std::string::npos) {
    return "the broker refused Ferry's client certificate, or its absence (" + errors +
           "): set ssl.certificate.location and ssl.key.location to a certificate the broker trusts";
  }
  if (errors.find("wrong version number") != std::string::npos ||
      errors.find("packet length too long") != std::string::npos) {
    return "the broker did not answer in TLS (" + errors + "): is this a TLS listener? check security.protocol";
  }
  return errors;
}

class TlsStream final : public ByteStream {
 public:
  TlsStream(std::unique_ptr<TcpStream> tcp, SslPtr ssl) : tcp_(std::move(tcp)), ssl_(std::move(ssl)) {}
  ~TlsStream() override {
    // No close_notify: the connection is dropped either way, and a shutdown could block.
    ssl_.reset();
  }

  Result<> SendAll(std::string_view data, Deadline deadline) override {
    while (!data.empty()) {
      ERR_clear_error();
      size_t written = 0;
      const int rc = SSL_write_ex(ssl_.get(), data.data(), data.size(), &written);
      if (rc == 1) {
        data.remove_prefix(written);
        continue;
      }
      FERRY_RETURN_IF_ERROR(OnError(rc, deadline, "send to"));
    }
    return Ok();
  }

  Result<> ReceiveExact(size_t n, std::string* out, Deadline deadline) override {
    out->resize(n);
    size_t got = 0;
    while (got < n) {
      ERR_clear_error();
      size_t read = 0;
      const int rc = SSL_read_ex(ssl_.get(), out->data() + got, n - got, &read);
      if (rc == 1) {
        got += read;
        continue;
      }
      FERRY_RETURN_IF_ERROR(OnError(rc, deadline, "receive from"));
    }
    return Ok();
  }

  // The outcome of a failed SSL call: Ok after waiting when it only needs the socket ready again.
  Result<> OnError(int rc, Deadline deadline, const std::string& what) {
    const BrokerAddress& broker = tcp_->broker();
    switch (SSL_get_error(ssl_.get(), rc)) {
      case SSL_ERROR_WANT_READ: return tcp_->Wait(POLLIN, deadline, what);
      case SSL_ERROR_WANT_WRITE: return tcp_->Wait(POLLOUT, deadline, what);
      case SSL_ERROR_ZERO_RETURN:
        return TlsNetworkError("connection to " + broker.ToString() + " closed by the broker (TLS close_notify)");
      case SSL_ERROR_SYSCALL: {
        const int err = errno;
        const std::string errors = OpenSslErrors();
        return TlsNetworkError(what + " " + broker.ToString() + ": " +
                               (err != 0 ? std::string(std::strerror(err)) : "connection closed by the broker") +
                               (errors == "no detail from OpenSSL" ? "" : " (" + errors + ")"));
      }
      default: return TlsFailure(broker, ProtocolFailure(OpenSslErrors()));
    }
  }

  SSL* ssl() const { return ssl_.get(); }
  TcpStream& tcp() const { return *tcp_; }

 private:
  std::unique_ptr<TcpStream> tcp_;
  SslPtr ssl_;
};

bool IsIpAddress(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

Result<std::shared_ptr<const TlsContext>> TlsContext::Create(const TlsConfig& config) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (ctx == nullptr) return Error::Internal("SSL_CTX_new: " + OpenSslErrors());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (config.verify_certificate) FERRY_RETURN_IF_ERROR(LoadTrust(ctx.get(), config));
  SSL_CTX_set_verify(ctx.get(), config.verify_certificate ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  if (config.cipher_suites && SSL_CTX_set_cipher_list(ctx.get(), config.cipher_suites->c_str()) != 1) {
    return Error::InvalidConfig("ssl.cipher.suites", "no cipher OpenSSL knows: " + OpenSslErrors());
  }
  if (config.curves && SSL_CTX_set1_groups_list(ctx.get(), config.curves->c_str()) != 1) {
    return Error::InvalidConfig("ssl.curves.list", "not a list OpenSSL accepts: " + OpenSslErrors());
  }
  if (config.sigalgs && SSL_CTX_set1_sigalgs_list(ctx.get(), config.sigalgs->c_str()) != 1) {
    return Error::InvalidConfig("ssl.sigalgs.list", "not a list OpenSSL accepts: " + OpenSslErrors());
  }
  FERRY_RETURN_IF_ERROR(LoadClientCertificate(ctx.get(), config));
  return std::shared_ptr<const TlsContext>(new TlsContext(ctx.release(), config));
}

TlsContext::TlsContext(ssl_ctx_st* ctx, const TlsConfig& config)
    : ctx_(ctx),
      verify_certificate_(config.verify_certificate),
      verify_hostname_(config.verify_certificate && config.verify_hostname),
      has_client_certificate_(config.certificate_location || config.certificate_pem),
      ca_key_(config.ca_location ? "ssl.ca.location"
              : config.ca_pem    ? "ssl.ca.pem"
                                 : "ssl.ca.location (unset: the system's CA store is used)") {}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

Result<std::unique_ptr<ByteStream>> TlsContext::Handshake(std::unique_ptr<TcpStream> tcp, Deadline deadline) const {
  ERR_clear_error();
  const BrokerAddress broker = tcp->broker();
  SslPtr ssl(SSL_new(ctx_));
  if (ssl == nullptr) return Error::Internal("SSL_new: " + OpenSslErrors());
  BIO* bio = BIO_new(SocketMethod());
  if (bio == nullptr) return Error::Internal("BIO_new: " + OpenSslErrors());
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(tcp->fd())));
  SSL_set_bio(ssl.get(), bio, bio);  // the SSL owns the BIO now
  const bool ip = IsIpAddress(broker.host);
  if (!ip) SSL_set_tlsext_host_name(ssl.get(), broker.host.c_str());  // SNI is for names only
  if (verify_hostname_) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int set = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, broker.host.c_str())
                       : X509_VERIFY_PARAM_set1_host(param, broker.host.c_str(), broker.host.size());
    if (set != 1) return Error::Internal("cannot set the name to verify for " + broker.ToString());
  }
  SSL_set_connect_state(ssl.get());

  auto stream = std::make_unique<TlsStream>(std::move(tcp), std::move(ssl));
  for (;;) {
    ERR_clear_error();
    const int rc = SSL_do_handshake(stream->ssl());
    if (rc == 1) break;
    const int err = SSL_get_error(stream->ssl(), rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      FERRY_RETURN_IF_ERROR(stream->tcp().Wait(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline,
                                               "TLS handshake with"));
      continue;
    }
    const long verified = SSL_get_verify_result(stream->ssl());
    if (verify_certificate_ && verified != X509_V_OK) {
      ERR_clear_error();
      return TlsFailure(broker, VerifyFailure(verified, broker, ca_key_));
    }
    Result<> failed = stream->OnError(rc, deadline, "TLS handshake with");
    if (failed.ok()) return TlsNetworkError("TLS handshake with " + broker.ToString() + " failed");
    if (failed.error().retriable() && failed.error().code() != ErrorCode::kTimeout) {
      return TlsNetworkError(failed.error().message() +
                             " during the TLS handshake; is this a TLS listener? check security.protocol");
    }
    return failed.error();
  }
  VLOG(1) << "TLS with " << broker.ToString() << ": " << SSL_get_version(stream->ssl()) << ", "
          << SSL_get_cipher_name(stream->ssl());
  return std::unique_ptr<ByteStream>(std::move(stream));
}

}  // namespace ferry::group
