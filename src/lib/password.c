/*
 * password.c: the password policy and bcrypt ($2b$) hashing through
 * libxcrypt's crypt_gensalt_rn() and crypt_rn().
 *
 * Pure apart from libxcrypt reading the OS CSPRNG for salts.  Knows
 * nothing of users, HTTP or the database.  crypt_rn() needs a
 * NUL-terminated phrase and a large work area; both are copies owned here
 * and wiped before returning, on every path.
 */
#include "config.h"

#include <crypt.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "err.h"
#include "password.h"

#define BCRYPT_LEN	60	/* "$2b$NN$" + 22 salt + 31 hash characters */
#define BCRYPT_COST_AT	4	/* offset of the two cost digits */

/*
 * Hashed in place of a password that fails the policy, so that a refusal
 * costs as much bcrypt work as a real comparison.  Never a match: the
 * result is discarded.
 */
static const char dummy_pw[PASSWORD_MIN_LEN] = {
	'l', 'a', 't', 'c', 'h', 'k', 'e', 'y'
};

/* Returns 1 if c is in bcrypt's base64 alphabet "./A-Za-z0-9". */
static int
bcrypt_char(unsigned char c)
{
	return c == '.' || c == '/' || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/*
 * Returns 1 if hash has the exact shape of a bcrypt hash:
 * "$2[aby]$" cost "$" and 53 characters of salt and hash.
 */
static int
bcrypt_valid(const char *hash)
{
	int cost;
	size_t i;

	if (strnlen(hash, BCRYPT_LEN + 1) != BCRYPT_LEN) {
		return 0;
	}
	if (strncmp(hash, "$2b$", 4) != 0 && strncmp(hash, "$2a$", 4) != 0 &&
	    strncmp(hash, "$2y$", 4) != 0) {
		return 0;
	}
	if (hash[BCRYPT_COST_AT] < '0' || hash[BCRYPT_COST_AT] > '9' ||
	    hash[BCRYPT_COST_AT + 1] < '0' || hash[BCRYPT_COST_AT + 1] > '9' ||
	    hash[BCRYPT_COST_AT + 2] != '$') {
		return 0;
	}
	cost = (hash[BCRYPT_COST_AT] - '0') * 10 +
	    (hash[BCRYPT_COST_AT + 1] - '0');
	if (cost < PASSWORD_COST_MIN || cost > PASSWORD_COST_MAX) {
		return 0;
	}
	for (i = BCRYPT_COST_AT + 3; i < BCRYPT_LEN; i++) {
		if (!bcrypt_char((unsigned char)hash[i])) {
			return 0;
		}
	}
	return 1;
}

/*
 * Runs crypt_rn() on pw (len bytes, no NUL, at most PASSWORD_MAX_LEN)
 * with setting, and copies the BCRYPT_LEN-byte result into out.
 * Errors: LK_ENOMEM, LK_ECRYPTO.
 */
static enum lk_err
run_bcrypt(const char *pw, size_t len, const char *setting,
    char out[BCRYPT_LEN + 1])
{
	char phrase[PASSWORD_MAX_LEN + 1];
	struct crypt_data *data;
	const char *r;
	enum lk_err err;

	if ((data = calloc(1, sizeof(*data))) == NULL) {
		return LK_ENOMEM;
	}
	memcpy(phrase, pw, len);
	phrase[len] = '\0';
	r = crypt_rn(phrase, setting, data, (int)sizeof(*data));
	/* crypt_rn() fails with NULL; other crypt calls with "*0" or "*1". */
	if (r == NULL || r[0] == '*' ||
	    strnlen(r, BCRYPT_LEN + 1) != BCRYPT_LEN) {
		err = LK_ECRYPTO;
	} else {
		memcpy(out, r, BCRYPT_LEN + 1);
		err = LK_OK;
	}
	OPENSSL_cleanse(phrase, sizeof(phrase));
	OPENSSL_cleanse(data, sizeof(*data));
	free(data);
	return err;
}

enum lk_err
password_check(const char *pw, size_t len)
{
	if (len > PASSWORD_MAX_LEN) {
		return LK_ETOOBIG;
	}
	if (pw == NULL || len < PASSWORD_MIN_LEN ||
	    memchr(pw, '\0', len) != NULL) {
		return LK_EINVAL;
	}
	return LK_OK;
}

enum lk_err
password_hash(const char *pw, size_t len, int cost,
    char out[PASSWORD_HASH_MAX])
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	char result[BCRYPT_LEN + 1];
	enum lk_err err;

	if ((err = password_check(pw, len)) != LK_OK) {
		return err;
	}
	if (cost < PASSWORD_COST_MIN || cost > PASSWORD_COST_MAX ||
	    out == NULL) {
		return LK_EINVAL;
	}
	/* NULL random bytes make libxcrypt read the OS CSPRNG itself. */
	if (crypt_gensalt_rn("$2b$", (unsigned long)cost, NULL, 0, setting,
	    (int)sizeof(setting)) == NULL || setting[0] == '*') {
		return LK_ECRYPTO;
	}
	if ((err = run_bcrypt(pw, len, setting, result)) == LK_OK) {
		memcpy(out, result, sizeof(result));
	}
	OPENSSL_cleanse(result, sizeof(result));
	return err;
}

enum lk_err
password_verify(const char *pw, size_t len, const char *hash, int *match)
{
	char result[BCRYPT_LEN + 1];
	enum lk_err err;
	int ok;

	if (hash == NULL || match == NULL || !bcrypt_valid(hash)) {
		return LK_EINVAL;
	}
	ok = password_check(pw, len) == LK_OK;
	if (!ok) {
		pw = dummy_pw;
		len = sizeof(dummy_pw);
	}
	if ((err = run_bcrypt(pw, len, hash, result)) == LK_OK) {
		*match = ok && CRYPTO_memcmp(result, hash, BCRYPT_LEN) == 0;
	}
	OPENSSL_cleanse(result, sizeof(result));
	return err;
}
