/*
 * record.h: one request of the history in the writer's row formats (a
 * binary COPY tuple for the ring, or a JSON object), from what a worker
 * knows of the finished request.
 * Pure: every string is made text PostgreSQL can store first
 * (sanitize_text()).  Must not know the ring, the writer or libpq
 * (daemon/reqlog.c), nor how bodies were redacted (redact.c).
 */
#ifndef LK_RECORD_H
#define LK_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

/* What a worker knows of a finished request, bodies already redacted. */
struct record_row {
	const char	*id;		/* row uuid */
	const char	*request_id;
	const char	*org_id;	/* NULL: failed before an org */
	const char	*mode;
	const char	*role;		/* "responder" or "authorizer" */
	const char	*credential_kind;
	const char	*credential_id;
	const char	*user_id;
	const char	*method;
	const char	*path;
	const char	*query;		/* redacted */
	int		 status;
	const char	*error_code;
	int64_t		 duration_us;
	const char	*client_ip;
	const char	*user_agent;
	const char	*request_body;	/* redacted, truncated, or NULL */
	size_t		 request_body_len;
	const char	*response_body;
	size_t		 response_body_len;
	int64_t		 created_us;	/* wall clock, microseconds */
};

/*
 * Appends r as one JSON object (what latchkey.append_requests() takes:
 * the row format before binary COPY, which bench/ingest still measures)
 * to out.  Every string is made valid text first (sanitize_text()); the
 * object's "sanitized" member says whether any had to be.  Returns that
 * flag.
 */
int		record_row_json(const struct record_row *r, struct lk_buf *out);

/*
 * The columns of latchkey.request_log a COPY tuple from record_row_copy()
 * fills, in order, for COPY latchkey.request_log (RECORD_COPY_COLUMNS)
 * FROM STDIN (FORMAT binary).
 */
#define RECORD_COPY_COLUMNS \
	"id, request_id, org_id, mode, role, credential_kind, " \
	"credential_id, user_id, method, path, query, status, error_code, " \
	"duration_us, client_ip, user_agent, request_body, response_body, " \
	"created_at, sanitized"
#define RECORD_COPY_NFIELDS		20
#define RECORD_COPY_REQUEST_ID		1	/* the field's index */

/*
 * Appends r as one binary COPY tuple (pgcopy.h) of RECORD_COPY_COLUMNS
 * to out.  Every string is made valid text first (sanitize_text()), and
 * the "sanitized" field says whether any had to be; *sanitized (if not
 * NULL) receives the same flag.  status must fit a smallint;
 * duration_us is clamped to an integer's range.  Errors: LK_EINVAL (an id
 * that is not a uuid, a status out of range: out may hold part of the
 * tuple, the caller discards it).  Out of room shows in buf_failed(out).
 */
enum lk_err	record_row_copy(const struct record_row *r, struct lk_buf *out,
		    int *sanitized) LK_MUST_CHECK;

#endif
