#include "detail/tls_hints.hpp"

namespace rediscluster::detail {
namespace {

// The first byte of every TLS record is its content type: change cipher
// spec (20), alert (21), handshake (22) or application data (23).
bool starts_like_tls(std::string_view bytes) {
    const auto type = static_cast<unsigned char>(bytes.front());
    return type >= 20 && type <= 23;
}

// The type bytes of RESP replies a plain Redis port sends to bytes it
// cannot parse: an error, or (after a stray newline) any reply.
bool starts_like_resp(std::string_view bytes) {
    return std::string_view("-+:$*").find(bytes.front()) != std::string_view::npos;
}

}  // namespace

std::string tls_failure_hint(const TlsFailureFacts& facts) {
    if (!facts.first_bytes.empty() && !starts_like_tls(facts.first_bytes)) {
        if (starts_like_resp(facts.first_bytes)) {
            return " (the server answered the TLS hello with what looks like a Redis reply: the port probably "
                   "does not speak TLS; connect without TLS, with ClusterConnection)";
        }
        return " (the server's answer is not TLS: the port may not speak TLS)";
    }
    if (facts.not_tls) return " (the server's answer is not TLS: the port may not speak TLS)";
    if (facts.timed_out && facts.first_bytes.empty()) {
        // A plain Redis port reads the hello as the start of an inline
        // command and waits for the end of its line.
        return " (the server sent nothing back: the port may not speak TLS)";
    }
    if (facts.peer_aborted && !facts.have_certificate) {
        if (facts.certificate_requested) {
            return " (the server asked for a client certificate and none is set: it probably requires one "
                   "(tls-auth-clients yes); set ssl_certfile and ssl_keyfile)";
        }
        // A completed handshake without a request rules the certificate
        // out; a cut-short one does not.
        if (!facts.handshake_complete) {
            return " (the server may require a client certificate (tls-auth-clients yes): set ssl_certfile "
                   "and ssl_keyfile)";
        }
    }
    return "";
}

}  // namespace rediscluster::detail
