/*
 * digest.h: SHA-256 and HMAC-SHA256 for the request path, without
 * OpenSSL 3's per-call algorithm fetch.  SHA256() and HMAC() look the
 * algorithm up by name at every call (a lock and a hash lookup), which
 * measured 4 to 8 % of a worker's CPU on GET /v1/me by key; SHA-256 keeps
 * the fetched algorithm and one context per process and resets it.
 *
 * HMAC keys are made ready once (digest_hmac_key_new()): the SHA-256
 * states after RFC 2104's two padded key blocks, which a MAC then copies
 * instead of keying again.  Such a key is as secret as the key it was
 * made from and is wiped when freed; nothing here keeps a copy of a key.
 *
 * State: one digest context per process, created at first use.  Not
 * thread-safe (latchkey's processes are single-threaded); a process that
 * forks hands a copy to its child, which is fine: the context holds no
 * randomness and no secret.
 */
#ifndef LK_DIGEST_H
#define LK_DIGEST_H

#include <stddef.h>

#include "err.h"

#define DIGEST_SHA256_LEN	32
#define DIGEST_HMAC_KEY_MAX	1024	/* longer HMAC keys are refused */

/* A ready HMAC-SHA256 key: opaque, from digest_hmac_key_new(). */
struct digest_hmac_key;

/* Writes the SHA-256 of p[0..n) to out.  Errors: LK_ECRYPTO (out is then
 * untouched). */
enum lk_err	digest_sha256(const void *p, size_t n,
		    unsigned char out[DIGEST_SHA256_LEN]) LK_MUST_CHECK;

/* Writes HMAC-SHA256 of msg[0..n) under key[0..keylen) to out, keying
 * afresh (a key used for more than one MAC is better made ready once).
 * Errors: LK_ECRYPTO, LK_EINVAL (keylen 0 or over DIGEST_HMAC_KEY_MAX);
 * out is then untouched. */
enum lk_err	digest_hmac_sha256(const unsigned char *key, size_t keylen,
		    const void *msg, size_t n,
		    unsigned char out[DIGEST_SHA256_LEN]) LK_MUST_CHECK;

/*
 * Makes key[0..keylen) ready for digest_hmac_keyed() (a key longer than
 * SHA-256's 64-byte block is hashed first, as RFC 2104 says).  On success
 * *out is a new key, which the caller frees with digest_hmac_key_free();
 * the key bytes themselves are not kept.  Errors: LK_EINVAL (keylen 0 or
 * over DIGEST_HMAC_KEY_MAX), LK_ENOMEM, LK_ECRYPTO; *out is then
 * untouched.
 */
enum lk_err	digest_hmac_key_new(const unsigned char *key, size_t keylen,
		    struct digest_hmac_key **out) LK_MUST_CHECK;

/* Writes HMAC-SHA256 of msg[0..n) under k (not NULL) to out: what
 * digest_hmac_sha256() gives under k's key.  Errors: LK_ECRYPTO (out is
 * then untouched). */
enum lk_err	digest_hmac_keyed(const struct digest_hmac_key *k,
		    const void *msg, size_t n,
		    unsigned char out[DIGEST_SHA256_LEN]) LK_MUST_CHECK;

/* Wipes and frees k.  NULL is fine. */
void		digest_hmac_key_free(struct digest_hmac_key *k);

#endif
