/*
 * lk_limits.h: every size and range limit that more than one module checks
 * against, named once.  Validators, buffers and error messages all use
 * these names; a message that states a limit is built from the constant
 * with LK_XSTR() (or a %ld argument), never from a second literal.
 *
 * This header owns numbers only: no types, no functions, no includes.
 * It must not know who enforces a limit.  Limits private to one module's
 * format (APIKEY_SECRET_LEN, JWT_MAX_LEN, CONFIG_FILE_MAX, ...) stay in
 * that module's header.  (Not "limits.h": with -I src/lib that name
 * would shadow the C library's <limits.h>.)
 *
 * Constants that a message quotes are plain decimal literals so that
 * LK_XSTR() yields the number itself; an expression (KEY_GRACE_MAX) is
 * quoted with %ld.  KEY_* keep the exact token sequence of the copies in
 * handlers/keys.c so both may meet in one translation unit until those
 * copies are removed.
 */
#ifndef LK_LIMITS_H
#define LK_LIMITS_H

/* LK_XSTR(PASSWORD_MAX_LEN) is "72": expands, then stringifies. */
#define LK_XSTR_(x)	#x
#define LK_XSTR(x)	LK_XSTR_(x)

/* Identifiers: a UUID in 8-4-4-4-12 text form, and its buffer with NUL. */
#define UUID_LEN		36
#define UUID_SIZE		(UUID_LEN + 1)
#define UUID_BIN_LEN		16	/* a UUID's bytes */

/* Email addresses (RFC 5321 path limit), in bytes. */
#define EMAIL_MIN_LEN		3
#define EMAIL_MAX_LEN		254

/* Passwords, in bytes: bcrypt ignores what follows byte 72. */
#define PASSWORD_MIN_LEN	8
#define PASSWORD_MAX_LEN	72
#define PASSWORD_COST_MIN	4
#define PASSWORD_COST_MAX	31

/* A key's mode: "live" or "test", and its buffer with NUL. */
#define APIKEY_MODE_LEN		4
#define APIKEY_MODE_SIZE	(APIKEY_MODE_LEN + 1)

/* API keys: name and detail text, and the rotation grace (7 days). */
#define KEY_NAME_MAX		100
#define KEY_DETAIL_MAX		1000
#define KEY_GRACE_MAX		(7L * 24 * 3600)

/* Permissions: one name or pattern, and the patterns in one set. */
#define PERM_NAME_MAX		100
#define PERM_SET_MAX		64

/* The unknown-key cache (src/lib/lru.h, src/daemon/authcache.c): a
 * well-formed API key the database did not know is remembered, per host,
 * for AUTH_UNKNOWN_TTL_MS, in at most AUTH_UNKNOWN_MAX entries (64 bytes
 * each), the least recently used forgotten first.  A key created meanwhile
 * ends the memory at once (NOTIFY, sql/033). */
#define AUTH_UNKNOWN_MAX	4096
#define AUTH_UNKNOWN_TTL_MS	10000

/* Distinct unknown keys one client address may have looked up, per
 * minute and host, before its keys that are not in the cache are refused
 * (429 too_many_unknown_keys) without a look-up; addresses kept per host,
 * at most (the least recently used forgotten first). */
#define AUTH_UNKNOWN_PER_ADDR	30
#define AUTH_UNKNOWN_ADDRS	1024

/* Rate limits in requests per minute: a plan's rates, an org's or a
 * key's own limit (PostgreSQL integer columns, > 0). */
#define RATE_PER_MIN_MIN	1
#define RATE_PER_MIN_MAX	1000000000

#endif
