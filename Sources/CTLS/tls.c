#include "CTLS.h"
#include <limits.h>
#include <stdio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

static void describe_failure(SSL *ssl, const char *host, char *error, size_t size) {
    long verification = SSL_get_verify_result(ssl);
    if (verification != X509_V_OK) {
        snprintf(error, size, "the certificate of %s is not trusted: %s", host, X509_verify_cert_error_string(verification));
        return;
    }
    unsigned long code = ERR_get_error();
    char reason[256] = "the connection closed during the handshake";
    if (code != 0) ERR_error_string_n(code, reason, sizeof reason);
    snprintf(error, size, "TLS handshake with %s failed: %s", host, reason);
}

void *ctls_connect(int fd, const char *host, const char *ca_file, char *error, size_t error_size) {
    ERR_clear_error();
    SSL_CTX *context = SSL_CTX_new(TLS_client_method());
    if (context == NULL) {
        snprintf(error, error_size, "cannot set up TLS");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER, NULL);
    // A server that closes without close_notify ends the stream; bodies are framed by length.
    SSL_CTX_set_options(context, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_default_verify_paths(context);
    if (ca_file != NULL && SSL_CTX_load_verify_locations(context, ca_file, NULL) != 1) {
        snprintf(error, error_size, "cannot read the CA certificate %s", ca_file);
        SSL_CTX_free(context);
        return NULL;
    }
    SSL *ssl = SSL_new(context);
    SSL_CTX_free(context);  // the session keeps its own reference
    if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
        snprintf(error, error_size, "cannot set up TLS");
        SSL_free(ssl);
        return NULL;
    }
    // A name gets SNI and a host-name check; an address is checked against the IP SANs.
    ASN1_OCTET_STRING *address = a2i_IPADDRESS(host);
    int named;
    if (address != NULL) {
        ASN1_OCTET_STRING_free(address);
        named = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
    } else {
        named = SSL_set_tlsext_host_name(ssl, host) == 1 && SSL_set1_host(ssl, host) == 1;
    }
    if (!named) {
        snprintf(error, error_size, "cannot check certificates for the name %s", host);
        SSL_free(ssl);
        return NULL;
    }
    SSL_set_mode(ssl, SSL_MODE_AUTO_RETRY);
    if (SSL_connect(ssl) != 1) {
        describe_failure(ssl, host, error, error_size);
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

long ctls_read(void *session, void *buffer, size_t count) {
    SSL *ssl = session;
    int got = SSL_read(ssl, buffer, count > INT_MAX ? INT_MAX : (int)count);
    if (got > 0) return got;
    return SSL_get_error(ssl, got) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

long ctls_write(void *session, const void *buffer, size_t count) {
    int written = SSL_write(session, buffer, count > INT_MAX ? INT_MAX : (int)count);
    return written > 0 ? written : -1;
}

void ctls_close(void *session) {
    SSL_shutdown(session);
    SSL_free(session);
}
