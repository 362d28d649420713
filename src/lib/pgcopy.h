/*
 * pgcopy.h: PostgreSQL's binary COPY format (COPY ... FROM STDIN
 * (FORMAT binary)), written into a struct lk_buf.
 *
 * A stream is a header, tuples, and a trailer.  A tuple is a 16-bit
 * field count and, per field, a 32-bit length (-1: NULL) and that many
 * bytes in the type's binary (send/recv) form, all integers big-endian.
 * This module knows the wire form of the few types latchkey sends (text,
 * uuid, int2, int4, int8, bool, timestamptz); it must not know any
 * table, libpq, or where the bytes go.  Pure: no I/O, no globals.
 *
 * Appends follow struct lk_buf's rules: a failure (out of room) is sticky
 * and shows in buf_failed() once the tuple is built.  A text field's
 * bytes must already be what the column accepts (valid UTF-8, no NUL:
 * see sanitize.h); this module copies them as they are.
 */
#ifndef LK_PGCOPY_H
#define LK_PGCOPY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define PGCOPY_HEADER_LEN	19	/* signature, flags, extension */
#define PGCOPY_TRAILER_LEN	2
#define PGCOPY_UUID_TEXT_LEN	36

/* Appends the stream header (signature, no flags, no extension). */
void		pgcopy_header(struct lk_buf *);
/* Appends the trailer (a field count of -1). */
void		pgcopy_trailer(struct lk_buf *);

/* Starts a tuple of nfields fields (at most INT16_MAX). */
void		pgcopy_tuple(struct lk_buf *, uint16_t nfields);
void		pgcopy_null(struct lk_buf *);
/* A text (or varchar) field of len bytes; over INT32_MAX fails b. */
void		pgcopy_text(struct lk_buf *, const char *s, size_t len);
void		pgcopy_int2(struct lk_buf *, int16_t);
void		pgcopy_int4(struct lk_buf *, int32_t);
void		pgcopy_int8(struct lk_buf *, int64_t);
void		pgcopy_bool(struct lk_buf *, int);
/* A timestamptz from microseconds since the Unix epoch (UTC). */
void		pgcopy_timestamptz(struct lk_buf *, int64_t unix_us);
/*
 * A uuid field from its canonical text (36 characters, hex digits of
 * either case and four dashes).  Errors: LK_EINVAL (not a uuid: nothing
 * appended).
 */
enum lk_err	pgcopy_uuid(struct lk_buf *, const char *text) LK_MUST_CHECK;

/*
 * Finds field index (0-based) of the tuple in t[0..len) as written by
 * the functions above: *p and *flen receive its bytes and length (-1 for
 * NULL; *p then NULL).  Errors: LK_EINVAL (no such field, or the tuple
 * is cut short).  *p, *flen are untouched on failure.
 */
enum lk_err	pgcopy_field(const char *t, size_t len, unsigned index,
		    const char **p, int32_t *flen) LK_MUST_CHECK;

#endif
