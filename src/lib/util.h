/*
 * util.h: small pure helpers shared by every module: checked number
 * parsing, UUID shape, RFC 3339 time.  No I/O, no globals.
 */
#ifndef LK_UTIL_H
#define LK_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define UUID_LEN	36
#define RFC3339_LEN	20	/* "2026-01-02T03:04:05Z" */

/* Parses the whole of s (len bytes) as a decimal integer in [min, max].
 * Errors: LK_EINVAL. */
enum lk_err	parse_long(const char *s, size_t len, long min, long max,
		    long *out) LK_MUST_CHECK;

/* Returns the value of a hexadecimal digit (either case), or -1. */
int		hex_digit(unsigned char c);

/*
 * Percent-decodes s (len bytes; NULL only if len is 0) as a query value:
 * '+' is a space, %XX (either case) a byte, anything else itself.  out
 * must hold len + 1 bytes; on success it holds the NUL-terminated result
 * and *outlen its length (never more than len).  Errors: LK_EINVAL (a
 * truncated or non-hex escape, or an escape giving NUL), after which out
 * holds garbage and *outlen is untouched.
 */
enum lk_err	url_decode(const char *s, size_t len, char *out,
		    size_t *outlen) LK_MUST_CHECK;

/* Returns 1 if s (len bytes) is a UUID in 8-4-4-4-12 hex form. */
int		uuid_valid(const char *s, size_t len);

/* Formats t (seconds since the epoch) as RFC 3339 UTC.  Errors: LK_EINVAL
 * when t is outside years 0000..9999. */
enum lk_err	time_format(int64_t t, char out[RFC3339_LEN + 1])
		    LK_MUST_CHECK;

/*
 * Parses an RFC 3339 timestamp ("2026-01-02T03:04:05Z", optional
 * fraction, "Z" or "+hh:mm"/"-hh:mm") into seconds since the epoch.
 * Errors: LK_EINVAL.
 */
enum lk_err	time_parse(const char *s, size_t len, int64_t *out)
		    LK_MUST_CHECK;

/* Returns 1 if s looks like an email address: 3..254 bytes, one '@' with
 * text on both sides, a dot in the domain, no spaces or controls. */
int		email_valid(const char *s);

/* Writes a random (version 4) UUID from RAND_bytes().  Errors:
 * LK_ECRYPTO. */
enum lk_err	uuid_v4(char out[UUID_LEN + 1]) LK_MUST_CHECK;

#endif
