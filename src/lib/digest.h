/*
 * digest.h: SHA-256 and HMAC-SHA256 for the request path, without
 * OpenSSL 3's per-call algorithm fetch.  SHA256() and HMAC() look the
 * algorithm up by name at every call (a lock and a hash lookup), which
 * measured 4 to 8 % of a worker's CPU on GET /v1/me by key; these keep
 * the fetched algorithm and one context per process and reset it.
 *
 * State: one digest context and one MAC context per process, created at
 * first use.  Not thread-safe (latchkey's processes are single-threaded);
 * a process that forks hands a copy to its child, which is fine: the
 * contexts hold no randomness.  The MAC contexts keep the last two keys
 * (a copy, and their padded state) to recognise them and skip keying
 * again; latchkey's HMAC keys are the JWT secrets, which the process
 * holds for its whole life anyway.
 */
#ifndef LK_DIGEST_H
#define LK_DIGEST_H

#include <stddef.h>

#include "err.h"

#define DIGEST_SHA256_LEN	32
#define DIGEST_HMAC_KEY_MAX	1024	/* longer HMAC keys are refused */

/* Writes the SHA-256 of p[0..n) to out.  Errors: LK_ECRYPTO (out is then
 * untouched). */
enum lk_err	digest_sha256(const void *p, size_t n,
		    unsigned char out[DIGEST_SHA256_LEN]) LK_MUST_CHECK;

/* Writes HMAC-SHA256 of msg[0..n) under key[0..keylen) to out.  Errors:
 * LK_ECRYPTO, LK_EINVAL (keylen 0 or over DIGEST_HMAC_KEY_MAX). */
enum lk_err	digest_hmac_sha256(const unsigned char *key, size_t keylen,
		    const void *msg, size_t n,
		    unsigned char out[DIGEST_SHA256_LEN]) LK_MUST_CHECK;

#endif
