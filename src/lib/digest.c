/*
 * digest.c: SHA-256 and HMAC-SHA256 with the algorithm fetched once per
 * process (see digest.h for why and what state that keeps).  Knows
 * nothing of what is hashed.
 */
#include "config.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "digest.h"

/* Created at first use, kept for the life of the process. */
static EVP_MD *sha256_md;
static EVP_MD_CTX *sha256_ctx;

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

/*
 * HMAC contexts keyed once per key: keying hashes the padded key (two
 * compressions and a context set-up), which was half of an HMAC-SHA256
 * of a JWT (callgrind); re-initialising a keyed context only copies its
 * state.  Two slots: latchkey's keys are the current and the previous
 * JWT secret.  Each keeps a copy of its key to recognise it.
 */
#define HMAC_SLOTS	2

static struct hmac_slot {
	EVP_MAC_CTX	*ctx;
	size_t		 keylen;	/* 0: not keyed */
	unsigned char	 key[DIGEST_HMAC_KEY_MAX];
} hmac_slots[HMAC_SLOTS];
static size_t hmac_last;	/* the slot used last */

static EVP_MAC_CTX *
hmac_ctx_new(void)
{
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;

	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL) {
		return NULL;
	}
	ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);	/* the context keeps its reference */
	return ctx;
}

/* Returns a context ready for a message under key, or NULL. */
static EVP_MAC_CTX *
hmac_keyed(const unsigned char *key, size_t keylen)
{
	OSSL_PARAM params[2];
	struct hmac_slot *s;
	size_t i;

	for (i = 0; i < HMAC_SLOTS; i++) {
		s = &hmac_slots[i];
		if (s->keylen == keylen && CRYPTO_memcmp(s->key, key,
		    keylen) == 0) {
			hmac_last = i;
			return EVP_MAC_init(s->ctx, NULL, 0, NULL) == 1 ?
			    s->ctx : NULL;
		}
	}
	hmac_last = (hmac_last + 1) % HMAC_SLOTS;
	s = &hmac_slots[hmac_last];
	if (s->ctx == NULL && (s->ctx = hmac_ctx_new()) == NULL) {
		return NULL;
	}
	OPENSSL_cleanse(s->key, sizeof(s->key));
	s->keylen = 0;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(s->ctx, key, keylen, params) != 1) {
		return NULL;
	}
	memcpy(s->key, key, keylen);
	s->keylen = keylen;
	return s->ctx;
}

enum lk_err
digest_hmac_sha256(const unsigned char *key, size_t keylen, const void *msg,
    size_t n, unsigned char out[DIGEST_SHA256_LEN])
{
	EVP_MAC_CTX *ctx;
	size_t len = 0;

	if (keylen == 0 || keylen > DIGEST_HMAC_KEY_MAX) {
		return LK_EINVAL;
	}
	if ((ctx = hmac_keyed(key, keylen)) == NULL ||
	    EVP_MAC_update(ctx, msg, n) != 1 ||
	    EVP_MAC_final(ctx, out, &len, DIGEST_SHA256_LEN) != 1 ||
	    len != DIGEST_SHA256_LEN) {
		return LK_ECRYPTO;
	}
	return LK_OK;
}
