/*
 * rollup.h: a batch of history rows counted per org, mode, UTC hour,
 * credential and status, as latchkey.request_rollup keeps them (sql/045),
 * and written as the array parameters of request_rollup_add().
 *
 * The rows are the binary COPY tuples of RECORD_COPY_COLUMNS that the
 * workers put in the ring (record.h); this module reads the few fields
 * it needs with pgcopy_field().  It must not know libpq, the ring or
 * where the text goes.  Pure: no I/O, no globals.
 */
#ifndef LK_ROLLUP_H
#define LK_ROLLUP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define ROLLUP_GROUPS_MAX	1024	/* at least a batch's rows */
#define ROLLUP_LABEL_MAX	15	/* mode, credential kind */
#define ROLLUP_NPARAMS		8	/* of request_rollup_add() */

struct rollup_group {
	unsigned char	org[16];
	unsigned char	cred[16];
	int		has_cred;
	char		mode[ROLLUP_LABEL_MAX + 1];
	char		kind[ROLLUP_LABEL_MAX + 1];
	int64_t		hour;		/* Unix seconds, a multiple of 3600 */
	int16_t		status;
	int64_t		requests;
	int64_t		duration_us;
};

/* Large (tens of KiB): allocate it, do not put it on the stack. */
struct rollup {
	struct rollup_group	groups[ROLLUP_GROUPS_MAX];
	uint16_t		slot[2 * ROLLUP_GROUPS_MAX];	/* index+1 */
	size_t			n;
};

/* Empties r. */
void		rollup_reset(struct rollup *r);

/*
 * Counts one request_log tuple (t[0..len), a binary COPY tuple of
 * RECORD_COPY_COLUMNS) in its group.  A row without an org or mode is
 * not counted (LK_OK).  Errors: LK_EINVAL (a field missing or of the
 * wrong size or value: nothing counted), LK_ETOOBIG (ROLLUP_GROUPS_MAX
 * groups already, and this row is of a new one: nothing counted).
 */
enum lk_err	rollup_add_tuple(struct rollup *r, const char *t, size_t len)
		    LK_MUST_CHECK;

/*
 * Writes r's groups as the ROLLUP_NPARAMS text arrays that
 * request_rollup_add() takes, one into each out[i] (reset first), in its
 * parameter order.  Out of room shows in buf_failed(out[i]).
 */
void		rollup_params(const struct rollup *r,
		    struct lk_buf out[ROLLUP_NPARAMS]);

/*
 * Appends the id and created_at (Unix microseconds) of the tuple
 * t[0..len) to the arrays being built in ids and created_us (each
 * started with "{", to be closed by the caller with "}"), the keys
 * request_rollup_add_replayed() takes.  first says whether it is the
 * arrays' first element.  Errors: LK_EINVAL (fields missing or
 * malformed: nothing appended).
 */
enum lk_err	rollup_key_append(const char *t, size_t len, int first,
		    struct lk_buf *ids, struct lk_buf *created_us)
		    LK_MUST_CHECK;

#endif
