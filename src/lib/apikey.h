/*
 * apikey.h: the API key format, generation, parsing and hashing.
 *
 * A key is <prefix>_<mode>_<secret><checksum>:
 *   prefix    1..APIKEY_PREFIX_MAX letters or digits, set per deployment
 *   mode      "live" or "test"
 *   secret    APIKEY_SECRET_LEN base62 characters from RAND_bytes()
 *             (62^22 > 2^130)
 *   checksum  CRC-32 of everything before it, as APIKEY_CHECKSUM_LEN
 *             base62 characters, most significant first, zero-padded
 * Parsing checks shape and checksum only and never touches a database, so
 * a mistyped or truncated key costs no round trip.  Only the SHA-256 of the
 * whole key is stored.
 */
#ifndef LK_APIKEY_H
#define LK_APIKEY_H

#include <stddef.h>

#include "err.h"

#define APIKEY_PREFIX_MAX	16
#define APIKEY_SECRET_LEN	22
#define APIKEY_CHECKSUM_LEN	6
#define APIKEY_LAST4_LEN	4
#define APIKEY_HASH_LEN		32	/* SHA-256 */
/* prefix + "_" + mode + "_" + secret + checksum */
#define APIKEY_MAX_LEN	(APIKEY_PREFIX_MAX + 1 + 4 + 1 + \
			    APIKEY_SECRET_LEN + APIKEY_CHECKSUM_LEN)

enum apikey_mode {
	APIKEY_LIVE,
	APIKEY_TEST
};

struct apikey {
	char		 prefix[APIKEY_PREFIX_MAX + 1];
	enum apikey_mode mode;
	char		 display[APIKEY_PREFIX_MAX + 7];  /* "lk_live_" */
	char		 last4[APIKEY_LAST4_LEN + 1];
	unsigned char	 hash[APIKEY_HASH_LEN];
};

/* Returns "live" or "test". */
const char	*apikey_mode_str(enum apikey_mode);
/* Parses "live"/"test".  Errors: LK_EINVAL. */
enum lk_err	 apikey_mode_parse(const char *, enum apikey_mode *)
		    LK_MUST_CHECK;
/* Returns 1 if prefix is a valid deployment prefix. */
int		 apikey_prefix_valid(const char *prefix);

/*
 * Generates a new key into out (NUL-terminated, outsz > APIKEY_MAX_LEN)
 * and fills *parsed as apikey_parse() would.
 * Errors: LK_EINVAL (bad prefix), LK_ETOOBIG (out too small), LK_ECRYPTO.
 */
enum lk_err	 apikey_generate(const char *prefix, enum apikey_mode,
		    char *out, size_t outsz, struct apikey *parsed)
		    LK_MUST_CHECK;

/*
 * Parses key (len bytes).  If expected_prefix is not NULL the key's prefix
 * must equal it.  Needs no database.  Errors: LK_EINVAL (shape, prefix,
 * mode or checksum wrong), LK_ETOOBIG (longer than APIKEY_MAX_LEN).
 */
enum lk_err	 apikey_parse(const char *key, size_t len,
		    const char *expected_prefix, struct apikey *out)
		    LK_MUST_CHECK;

/* Writes n random base62 characters (no NUL) from RAND_bytes(), without
 * modulo bias.  Errors: LK_ECRYPTO. */
enum lk_err	 apikey_random(char *out, size_t n) LK_MUST_CHECK;

/* Returns 1 if s has the rough shape of a key of any prefix (for telling
 * a key from a JWT in a header); does not check the checksum. */
int		 apikey_looks_like(const char *s, size_t len);

/* Writes the lower-case hex of hash (2 * APIKEY_HASH_LEN + 1 bytes). */
void		 apikey_hex(const unsigned char hash[APIKEY_HASH_LEN],
		    char out[2 * APIKEY_HASH_LEN + 1]);

#endif
