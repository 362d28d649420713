/*
 * digest.c: SHA-256 and HMAC-SHA256 with the algorithm fetched once per
 * process (see digest.h for why and what state that keeps).  Knows
 * nothing of what is hashed.
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "digest.h"

/* Created at first use, kept for the life of the process. */
static EVP_MD *sha256_md;
static EVP_MD_CTX *sha256_ctx;
static EVP_MAC_CTX *hmac_ctx;
static int hmac_keyed;

enum lk_err
digest_sha256(const void *p, size_t n, unsigned char out[DIGEST_SHA256_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (sha256_md == NULL &&
	    (sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		return LK_ECRYPTO;
	}
	if (sha256_ctx == NULL && (sha256_ctx = EVP_MD_CTX_new()) == NULL) {
		return LK_ECRYPTO;
	}
	if (EVP_DigestInit_ex2(sha256_ctx, sha256_md, NULL) != 1 ||
	    EVP_DigestUpdate(sha256_ctx, p, n) != 1 ||
	    EVP_DigestFinal_ex(sha256_ctx, md, &len) != 1 ||
	    len != DIGEST_SHA256_LEN) {
		return LK_ECRYPTO;
	}
	memcpy(out, md, DIGEST_SHA256_LEN);
	return LK_OK;
}

enum lk_err
digest_hmac_sha256(const unsigned char *key, size_t keylen, const void *msg,
    size_t n, unsigned char out[DIGEST_SHA256_LEN])
{
	OSSL_PARAM params[2];
	EVP_MAC *mac;
	size_t len = 0;
	int ok;

	if (keylen == 0 || keylen > INT_MAX) {
		return LK_EINVAL;
	}
	if (hmac_ctx == NULL) {
		if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL) {
			return LK_ECRYPTO;
		}
		hmac_ctx = EVP_MAC_CTX_new(mac);
		EVP_MAC_free(mac);	/* the context keeps its reference */
		if (hmac_ctx == NULL) {
			return LK_ECRYPTO;
		}
	}
	/* The digest is set once; later inits only re-key. */
	if (!hmac_keyed) {
		params[0] = OSSL_PARAM_construct_utf8_string(
		    OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
		params[1] = OSSL_PARAM_construct_end();
		ok = EVP_MAC_init(hmac_ctx, key, keylen, params);
	} else {
		ok = EVP_MAC_init(hmac_ctx, key, keylen, NULL);
	}
	if (ok != 1) {
		return LK_ECRYPTO;
	}
	hmac_keyed = 1;
	if (EVP_MAC_update(hmac_ctx, msg, n) != 1 ||
	    EVP_MAC_final(hmac_ctx, out, &len, DIGEST_SHA256_LEN) != 1 ||
	    len != DIGEST_SHA256_LEN) {
		return LK_ECRYPTO;
	}
	return LK_OK;
}
