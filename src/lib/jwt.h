/*
 * jwt.h: HS256 JSON Web Tokens, signed and verified with OpenSSL HMAC.
 *
 * Pure: no I/O, no globals; the current time is an argument.  Only the
 * algorithm "HS256" is accepted ("none", "RS256", "hs256" and anything else
 * are rejected), signatures are compared in constant time, and every
 * claim latchkey relies on is checked.
 */
#ifndef LK_JWT_H
#define LK_JWT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "lk_limits.h"

#define JWT_MAX_LEN		4096	/* longer tokens are rejected unread */
#define JWT_TYP_MAX		15
#define JWT_RTYPE_MAX		64
#define JWT_RID_MAX		128
#define JWT_SECRET_MIN		32	/* bytes */

/* The claims latchkey puts in a token. */
struct jwt_claims {
	char	 sub[UUID_SIZE];	/* user id (typ "user") or direct id */
	char	 org[UUID_SIZE];	/* org id */
	char	 typ[JWT_TYP_MAX + 1];	/* "user" or "direct" */
	char	 mode[8];		/* "live" or "test"; direct tokens */
	char	 rtype[JWT_RTYPE_MAX + 1];	/* direct: resource type */
	char	 rid[JWT_RID_MAX + 1];	/* direct: resource id */
	int64_t	 ver;			/* user's token_version */
	int64_t	 iat;			/* issued at, seconds since epoch */
	int64_t	 exp;			/* expiry, seconds since epoch */
};

struct digest_hmac_key;

/*
 * The secrets, and what jwt_keys_prepare() made of them: each usable
 * key's HMAC key schedule, so that verifying does not key HMAC again
 * (NULL: keyed at each call, with the same result).
 */
struct jwt_keys {
	const unsigned char	*current;	/* signs and verifies */
	size_t			 current_len;
	const unsigned char	*previous;	/* verifies only; may be NULL */
	size_t			 previous_len;
	struct digest_hmac_key	*current_mac;	/* owned; may be NULL */
	struct digest_hmac_key	*previous_mac;	/* owned; may be NULL */
};

/*
 * Signs claims with secret into out (NUL-terminated).  Empty rtype/rid/mode
 * are left out of the payload.
 * Errors: LK_EINVAL (empty sub/org/typ), LK_ETOOBIG (out too small),
 * LK_ECRYPTO.
 */
enum lk_err	jwt_sign(const struct jwt_claims *, const unsigned char *secret,
		    size_t secret_len, char *out, size_t outsz) LK_MUST_CHECK;

/*
 * Verifies token (len bytes, need not be NUL-terminated) at time now,
 * tolerating leeway seconds of clock skew on exp and iat.  Tries the
 * current key, then the previous one.  On success fills *out.
 * Errors: LK_ETOOBIG (over JWT_MAX_LEN), LK_EINVAL (malformed, wrong alg,
 * missing or ill-typed claim, issued in the future), LK_EDENIED (signature
 * does not match), LK_EEXPIRED (exp + leeway <= now).
 */
enum lk_err	jwt_verify(const char *token, size_t len,
		    const struct jwt_keys *, int64_t now, int64_t leeway,
		    struct jwt_claims *out) LK_MUST_CHECK;

/*
 * Makes the keys of k that jwt_verify() would use (present, at least
 * JWT_SECRET_MIN bytes) ready, once per process: HMAC's key schedule (two
 * SHA-256 blocks and their set-up) is then not repeated at each
 * verification.  k's current_mac and previous_mac must be NULL or made
 * by an earlier call (they are freed first); the key pointers and
 * lengths must not change until jwt_keys_wipe().  Errors: LK_ENOMEM,
 * LK_ECRYPTO (k is then as jwt_keys_wipe() leaves it).
 */
enum lk_err	jwt_keys_prepare(struct jwt_keys *k) LK_MUST_CHECK;

/* Wipes and frees what jwt_keys_prepare() made (the schedules are as
 * secret as the keys); the key pointers are left alone.  Idempotent. */
void		jwt_keys_wipe(struct jwt_keys *k);

/* Returns 1 if s (len bytes) has the shape header.payload.signature. */
int		jwt_looks_like(const char *s, size_t len);

#endif
