/*
 * util.h: small pure helpers shared by every module: checked number
 * parsing, UUID shape, RFC 3339 time.  No I/O, no globals.
 */
#ifndef LK_UTIL_H
#define LK_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "lk_limits.h"

#define RFC3339_LEN	20	/* "2026-01-02T03:04:05Z" */

/* Parses the whole of s (len bytes) as a decimal integer in [min, max].
 * Errors: LK_EINVAL. */
enum lk_err	util_parse_long(const char *s, size_t len, long min, long max,
		    long *out) LK_MUST_CHECK;

/* Returns the value of a hexadecimal digit (either case), or -1.
 * Inline: a UUID is 32 of them, and a call into util.c for each was
 * 1.2k instructions of a GET /v1/me by JWT where inlined is 0.9k
 * (callgrind). */
static inline int
util_hex_digit(unsigned char c)
{
	if ((unsigned)(c - '0') < 10) {
		return c - '0';
	}
	c |= 0x20;	/* 'A'-'F' to 'a'-'f'; no other byte becomes one */
	if ((unsigned)(c - 'a') < 6) {
		return c - 'a' + 10;
	}
	return -1;
}

/* Reads a UUID's text (len must be UUID_LEN: 8-4-4-4-12 hex digits of
 * either case, what util_uuid_valid() takes) into its UUID_BIN_LEN
 * bytes.  out is untouched unless it succeeds.  Errors: LK_EINVAL. */
enum lk_err	util_uuid_bytes(const char *s, size_t len,
		    unsigned char out[UUID_BIN_LEN]) LK_MUST_CHECK;

/*
 * Percent-decodes s (len bytes; NULL only if len is 0) as a query value:
 * '+' is a space, %XX (either case) a byte, anything else itself.  out
 * must hold len + 1 bytes; on success it holds the NUL-terminated result
 * and *outlen its length (never more than len).  Errors: LK_EINVAL (a
 * truncated or non-hex escape, or an escape giving NUL), after which out
 * holds garbage and *outlen is untouched.
 */
enum lk_err	util_url_decode(const char *s, size_t len, char *out,
		    size_t *outlen) LK_MUST_CHECK;

/* Returns 1 if s (len bytes) is a UUID in 8-4-4-4-12 hex form. */
int		util_uuid_valid(const char *s, size_t len);

/* Formats t (seconds since the epoch) as RFC 3339 UTC.  Errors: LK_EINVAL
 * when t is outside years 0000..9999. */
enum lk_err	util_time_format(int64_t t, char out[RFC3339_LEN + 1])
		    LK_MUST_CHECK;

/*
 * Parses an RFC 3339 timestamp ("2026-01-02T03:04:05Z", optional
 * fraction, "Z" or "+hh:mm"/"-hh:mm") into seconds since the epoch.
 * Errors: LK_EINVAL.
 */
enum lk_err	util_time_parse(const char *s, size_t len, int64_t *out)
		    LK_MUST_CHECK;

/* Returns 1 if s looks like an email address: EMAIL_MIN_LEN to
 * EMAIL_MAX_LEN bytes, one '@' with text on both sides, a dot in the
 * domain, no spaces or controls. */
int		util_email_valid(const char *s);

/* Writes a random (version 4) UUID from RAND_bytes().  Errors:
 * LK_ECRYPTO. */
enum lk_err	util_uuid_v4(char out[UUID_LEN + 1]) LK_MUST_CHECK;
/*
 * Writes a time-ordered (version 7, RFC 9562) UUID: unix_ms (clamped to
 * 0..2^48-1) in its first 48 bits, then 74 random bits from RAND_bytes().
 * Ids of rows inserted in time order then land at the right end of a
 * B-tree instead of on a random page.  Errors: LK_ECRYPTO.
 */
enum lk_err	util_uuid_v7(int64_t unix_ms, char out[UUID_LEN + 1])
		    LK_MUST_CHECK;

/*
 * Random bytes drawn from RAND_bytes() in one call and handed out 16 at
 * a time by util_uuid_v4_pooled() and util_uuid_v7_pooled(): one
 * RAND_bytes() call costs about 2 us of a worker's CPU in OpenSSL 3
 * whatever its size (measured: two per request were 9 % of a worker's
 * CPU on GET /v1/me), so a worker asks once per UTIL_UUID_POOL_N
 * identifiers.  The bytes become public
 * identifiers (request and record ids), never secrets.  Each process
 * needs its own pool, zeroed after it forks (a copy would repeat ids).
 */
#define UTIL_UUID_POOL_N	64
struct util_uuid_pool {
	unsigned char	bytes[16 * UTIL_UUID_POOL_N];
	size_t		used;	/* bytes handed out; 0: empty */
};

/* util_uuid_v4() from the pool p (zeroed: empty), refilled when spent.
 * Errors: LK_ECRYPTO. */
enum lk_err	util_uuid_v4_pooled(struct util_uuid_pool *p,
		    char out[UUID_LEN + 1]) LK_MUST_CHECK;
/* util_uuid_v7() with its random bits from the pool p.  Errors:
 * LK_ECRYPTO. */
enum lk_err	util_uuid_v7_pooled(struct util_uuid_pool *p, int64_t unix_ms,
		    char out[UUID_LEN + 1]) LK_MUST_CHECK;

/*
 * Copies the string src and its NUL into dst, which holds size bytes.
 * Never truncates: a copy that would not fit is an error, and dst is
 * then untouched.  src is read at most size bytes far, so it need not be
 * terminated within dst's size.  Errors: LK_ETOOBIG (strlen(src) >=
 * size, including size 0).
 */
enum lk_err	util_strlcpy(char *dst, const char *src, size_t size)
		    LK_MUST_CHECK;

/*
 * Joins the n strings of parts with ':' into dst, which holds size bytes
 * ("key:<id>", "org:<id>:live": rate-limit bucket names).  dst is
 * untouched on error.  A tenth of what util_snprintf() took for the same
 * (callgrind: about 700 instructions a name).  n is 1 to UTIL_JOIN_MAX.
 * Errors: LK_ETOOBIG (the result would not fit, or n out of range).
 */
#define UTIL_JOIN_MAX	4
enum lk_err	util_join(char *dst, size_t size, const char *const *parts,
		    size_t n) LK_MUST_CHECK;

/*
 * Copies len bytes of src (NULL only if len is 0) into dst, which holds
 * size bytes, and terminates it: the copy for a length-carrying string.
 * dst is untouched on error.  Errors: LK_ETOOBIG (len >= size),
 * LK_EINVAL (src holds a NUL, which would cut the C string short).
 */
enum lk_err	util_memlcpy(char *dst, size_t size, const char *src,
		    size_t len) LK_MUST_CHECK;

/*
 * snprintf() into dst (size bytes) that treats truncation as an error.
 * On error dst holds a terminated prefix (size > 0) that the caller must
 * not use.  Errors: LK_ETOOBIG (the output needs size bytes or more),
 * LK_EINVAL (an encoding error).
 */
enum lk_err	util_snprintf(char *dst, size_t size, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4))) LK_MUST_CHECK;

/*
 * Steps a route pattern (NUL-terminated, at *pp) and a path (at *sp,
 * ending at end) over one "/segment" each: *pseg and *plen, *seg and *slen
 * get the two segments without their '/', and *pp and *sp move past
 * them.  Returns 0, moving nothing, unless both stand at a '/'.  The
 * matchers of router.c and authz.c share it.
 */
int		util_path_step(const char **pp, const char **sp,
		    const char *end, const char **pseg, size_t *plen,
		    const char **seg, size_t *slen);

/*
 * Formats an error message into dst (size bytes, at least 4): one too
 * long is cut visibly, ending "...", never silently; one that cannot be
 * formatted reads "(unprintable)".  For messages only: data that must
 * not be cut goes through util_snprintf().
 */
void		util_message(char *dst, size_t size, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
void		util_vmessage(char *dst, size_t size, const char *fmt,
		    va_list ap) __attribute__((format(printf, 3, 0)));

#endif
