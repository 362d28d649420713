/*
 * record.h: one request of the history as the writer's row format (a
 * JSON object), from what a worker knows of the finished request.
 * Pure: every string is made text PostgreSQL can store first
 * (sanitize_text()).  Must not know the ring, the writer or libpq
 * (daemon/reqlog.c), nor how bodies were redacted (redact.c).
 */
#ifndef LK_RECORD_H
#define LK_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

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
 * Appends r as one JSON object (the writer's row format) to out.  Every
 * string is made valid text first (sanitize_text()); the object's
 * "sanitized" member says whether any had to be.  Returns that flag.
 */
int		record_row_json(const struct record_row *r, struct lk_buf *out);

#endif
