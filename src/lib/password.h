/*
 * password.h: bcrypt ($2b$) password hashing with libxcrypt's crypt_rn()
 * and crypt_gensalt_rn().
 *
 * Pure apart from reading the OS CSPRNG for salts.  Passwords are 8 to 72
 * bytes: bcrypt ignores bytes past 72, so longer ones are rejected rather
 * than silently truncated.  Work buffers are wiped before returning.
 */
#ifndef LK_PASSWORD_H
#define LK_PASSWORD_H

#include <stddef.h>

#include "err.h"
#include "lk_limits.h"

#define PASSWORD_HASH_MAX	128	/* room for a bcrypt hash + NUL */
#define PASSWORD_COST_DEFAULT	12

/*
 * Checks the policy.  Errors: LK_EINVAL (shorter than PASSWORD_MIN_LEN or
 * contains a NUL byte), LK_ETOOBIG (longer than PASSWORD_MAX_LEN).
 */
enum lk_err	password_check(const char *pw, size_t len) LK_MUST_CHECK;

/*
 * Hashes pw with a fresh salt at the given cost into out.
 * Errors: those of password_check(), LK_EINVAL (cost out of range),
 * LK_ECRYPTO (salt or crypt failure).
 */
enum lk_err	password_hash(const char *pw, size_t len, int cost,
		    char out[PASSWORD_HASH_MAX]) LK_MUST_CHECK;

/*
 * Sets *match to 1 if pw matches hash, else 0, comparing in constant time.
 * A pw that fails password_check() never matches, but is still run through
 * bcrypt so the cost is the same.
 * Errors: LK_EINVAL (hash is not a bcrypt hash), LK_ECRYPTO.
 */
enum lk_err	password_verify(const char *pw, size_t len, const char *hash,
		    int *match) LK_MUST_CHECK;

#endif
