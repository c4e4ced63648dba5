// The OpenSSL rules both TLS clients share (see detail/tls_session.hpp).

#include "detail/tls_session.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>

#include "detail/socket.hpp"
#include "rediscluster/connection.hpp"
#include "rediscluster/errors.hpp"

namespace rediscluster::detail {
namespace {

// Where a session keeps its TlsHandshakeRecord. Not the app data: Asio's
// stream owns that slot (its verify callback).
int record_index() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

// Called when the server asks for a client certificate and none is set:
// note the request, and send none (the server decides what that means).
int no_client_certificate(SSL* ssl, X509** /*certificate*/, EVP_PKEY** /*key*/) {
    if (auto* record = static_cast<TlsHandshakeRecord*>(SSL_get_ex_data(ssl, record_index()))) {
        record->certificate_requested = true;
    }
    return 0;
}

// Keeps the first bytes the server sends during the handshake: whether
// they look like TLS or like a Redis reply says which side is misconfigured.
long record_first_bytes(BIO* bio, int operation, const char* buffer, std::size_t /*length*/, int /*argi*/,
                        long /*argl*/, int result, std::size_t* processed) {
    if (operation == (BIO_CB_READ | BIO_CB_RETURN) && result > 0 && processed != nullptr) {
        auto* record = reinterpret_cast<TlsHandshakeRecord*>(BIO_get_callback_arg(bio));
        const std::size_t room = record->first_bytes.size() - record->first_bytes_size;
        const std::size_t count = std::min(room, *processed);
        std::memcpy(record->first_bytes.data() + record->first_bytes_size, buffer, count);
        record->first_bytes_size += count;
    }
    return result;
}

int password_callback(char* buffer, int size, int /*rwflag*/, void* userdata) {
    const auto* password = static_cast<const std::string*>(userdata);
    const auto length = static_cast<int>(std::min<std::size_t>(password->size(), static_cast<std::size_t>(size)));
    std::memcpy(buffer, password->data(), static_cast<std::size_t>(length));
    return length;
}

[[noreturn]] void bad_file(const char* field, const std::string& path, const std::string& hint = "") {
    throw RedisClusterConfigError(std::string(field) + ": cannot use '" + path + "'" + hint + ": " +
                                  take_openssl_errors().text);
}

}  // namespace

void add_openssl_error(OpensslErrors& errors, unsigned long code) {
    char line[256];
    ERR_error_string_n(code, line, sizeof line);
    if (!errors.text.empty()) errors.text += "; ";
    errors.text += line;
    if (ERR_GET_LIB(code) == ERR_LIB_SSL) {
        const int reason = ERR_GET_REASON(code);
        // Reasons from SSL_AD_REASON_OFFSET on are the alerts the peer sent.
        if (reason >= SSL_AD_REASON_OFFSET) errors.peer_alert = true;
        if (reason == SSL_R_WRONG_VERSION_NUMBER) errors.not_tls = true;
    }
}

OpensslErrors take_openssl_errors() {
    OpensslErrors errors;
    while (const unsigned long code = ERR_get_error()) add_openssl_error(errors, code);
    if (errors.text.empty()) errors.text = "unknown error";
    return errors;
}

void configure_tls_client_context(SSL_CTX* ctx, const ConnectionOptions& options, std::string& password) {
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
    SSL_CTX_set_verify(ctx, options.ssl_cert_reqs != "none" ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
    if (options.ssl_ca_certs) {
        if (SSL_CTX_load_verify_locations(ctx, options.ssl_ca_certs->c_str(), nullptr) != 1) {
            bad_file("ssl_ca_certs", *options.ssl_ca_certs);
        }
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        throw RedisClusterConfigError("cannot load the system's CA certificates: " + take_openssl_errors().text);
    }
    if (options.ssl_password) {
        password = *options.ssl_password;
        SSL_CTX_set_default_passwd_cb(ctx, password_callback);
        SSL_CTX_set_default_passwd_cb_userdata(ctx, &password);
    }
    if (!options.ssl_certfile) {
        SSL_CTX_set_client_cert_cb(ctx, no_client_certificate);
    } else {
        if (SSL_CTX_use_certificate_chain_file(ctx, options.ssl_certfile->c_str()) != 1) {
            bad_file("ssl_certfile", *options.ssl_certfile);
        }
        const std::string& key = options.ssl_keyfile ? *options.ssl_keyfile : *options.ssl_certfile;
        if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
            bad_file("ssl_keyfile", key, options.ssl_password ? " (is ssl_password right?)" : " (encrypted? set ssl_password)");
        }
        if (SSL_CTX_check_private_key(ctx) != 1) {
            throw RedisClusterConfigError("ssl_keyfile '" + key + "' does not match ssl_certfile '" +
                                          *options.ssl_certfile + "': " + take_openssl_errors().text);
        }
    }
}

void begin_tls_session(SSL* ssl, const ConnectionOptions& options, TlsHandshakeRecord& record) {
    SSL_set_ex_data(ssl, record_index(), &record);
    BIO* const socket_bio = SSL_get_rbio(ssl);
    BIO_set_callback_arg(socket_bio, reinterpret_cast<char*>(&record));
    BIO_set_callback_ex(socket_bio, record_first_bytes);
    const bool ip = is_ip_literal(options.host);
    if (!ip) {
        // SNI, for names only (RFC 6066). SSL_set_tlsext_host_name is a
        // macro with a C cast; this is what it expands to.
        SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(options.host.c_str()));
    }
    if (SSL_get_verify_mode(ssl) != SSL_VERIFY_NONE && options.ssl_check_hostname) {
        if (ip) {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), options.host.c_str());
        } else {
            SSL_set1_host(ssl, options.host.c_str());
        }
    }
}

void end_tls_handshake_record(SSL* ssl) {
    BIO_set_callback_ex(SSL_get_rbio(ssl), nullptr);
    SSL_set_ex_data(ssl, record_index(), nullptr);
}

std::string tls_verify_failure(const SSL* ssl) {
    const long verify = SSL_get_verify_result(ssl);
    if (verify == X509_V_OK) return "";
    return std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
}

}  // namespace rediscluster::detail
