/*
 * record.c: the history record's serialisers.  Writes a finished request
 * as a binary COPY tuple of latchkey.request_log (what the ring carries)
 * or as the JSON object latchkey.append_requests() takes, each string
 * made valid text first and the record flagged when one had to be.
 * Pure: must not know the ring it goes into or the database it ends in.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "pgcopy.h"
#include "record.h"
#include "sanitize.h"
#include "util.h"

/* Appends s (len bytes; NULL: JSON null) as a JSON string, made text
 * first; sets *changed when it had to be. */
static void
add_str(struct lk_buf *b, const char *key, const char *v, size_t len,
    int comma, int *changed)
{
	struct lk_buf t;
	char head[32];
	size_t klen = strlen(key), n = 0;

	/* ,"key": in one append: the keys are this file's own names, with
	 * nothing to escape (a visible share of the record's cost when
	 * written piece by piece, callgrind). */
	if (klen > sizeof(head) - 4) {
		b->failed = 1;
		return;
	}
	if (comma) {
		head[n++] = ',';
	}
	head[n++] = '"';
	memcpy(head + n, key, klen);
	n += klen;
	head[n++] = '"';
	head[n++] = ':';
	buf_append(b, head, n);
	if (v == NULL) {
		buf_puts(b, "null");
	} else if (sanitize_text_ok(v, len)) {
		buf_json_str(b, v, len);
	} else {
		/* Rare (hostile bytes): a scratch copy is fine. */
		buf_init(&t, len * 4 + 1);
		*changed |= sanitize_text(v, len, &t);
		if (buf_failed(&t)) {
			buf_puts(b, "null");
		} else {
			buf_json_str(b, t.p, t.len);
		}
		buf_free(&t);
	}
}

static void
add_cstr(struct lk_buf *b, const char *key, const char *v, int *changed)
{
	add_str(b, key, v, v != NULL ? strlen(v) : 0, 1, changed);
}

/*
 * Writes created_us (microseconds since the epoch, not negative) as
 * "2026-01-02T03:04:05.123456Z" into ts; "" when it is out of range.
 * Digits by hand, not snprintf(): the record's formatting was a
 * visible share of a worker's CPU per request (measured).
 */
static void
timestamp(int64_t created_us, char ts[RFC3339_LEN + 8])
{
	char base[RFC3339_LEN + 1];
	int64_t frac = created_us % 1000000;
	size_t i;

	if (created_us < 0 || util_time_format(created_us / 1000000, base) !=
	    LK_OK) {
		ts[0] = '\0';
		return;
	}
	memcpy(ts, base, RFC3339_LEN - 1);	/* up to the seconds */
	ts[RFC3339_LEN - 1] = '.';
	for (i = 0; i < 6; i++) {
		ts[RFC3339_LEN + 5 - i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	ts[RFC3339_LEN + 6] = 'Z';
	ts[RFC3339_LEN + 7] = '\0';
}

int
record_row_json(const struct record_row *r, struct lk_buf *b)
{
	char ts[RFC3339_LEN + 8];
	int changed = 0;

	timestamp(r->created_us, ts);
	buf_putc(b, '{');
	add_str(b, "id", r->id, strlen(r->id), 0, &changed);
	add_cstr(b, "request_id", r->request_id, &changed);
	add_cstr(b, "org_id", r->org_id, &changed);
	add_cstr(b, "mode", r->mode, &changed);
	add_cstr(b, "role", r->role, &changed);
	add_cstr(b, "credential_kind", r->credential_kind, &changed);
	add_cstr(b, "credential_id", r->credential_id, &changed);
	add_cstr(b, "user_id", r->user_id, &changed);
	add_cstr(b, "method", r->method, &changed);
	add_cstr(b, "path", r->path, &changed);
	add_cstr(b, "query", r->query, &changed);
	buf_puts(b, ",\"status\":");
	buf_put_i64(b, r->status);
	add_cstr(b, "error_code", r->error_code, &changed);
	buf_puts(b, ",\"duration_us\":");
	buf_put_i64(b, r->duration_us);
	add_cstr(b, "client_ip", r->client_ip, &changed);
	add_cstr(b, "user_agent", r->user_agent, &changed);
	add_str(b, "request_body", r->request_body, r->request_body_len, 1,
	    &changed);
	add_str(b, "response_body", r->response_body, r->response_body_len,
	    1, &changed);
	add_cstr(b, "created_at", ts[0] != '\0' ? ts : NULL, &changed);
	buf_puts(b, changed ? ",\"sanitized\":true}" :
	    ",\"sanitized\":false}");
	return changed;
}

/* Appends v (len bytes; NULL: SQL NULL) as a text field, made text
 * first; sets *changed when it had to be. */
static void
copy_str(struct lk_buf *b, const char *v, size_t len, int *changed)
{
	struct lk_buf t;

	if (v == NULL) {
		pgcopy_null(b);
	} else if (sanitize_text_ok(v, len)) {
		pgcopy_text(b, v, len);
	} else {
		/* Rare (hostile bytes): a scratch copy is fine. */
		buf_init(&t, len * 4 + 1);
		*changed |= sanitize_text(v, len, &t);
		if (buf_failed(&t)) {
			pgcopy_null(b);
		} else {
			pgcopy_text(b, t.p, t.len);
		}
		buf_free(&t);
	}
}

static void
copy_cstr(struct lk_buf *b, const char *v, int *changed)
{
	copy_str(b, v, v != NULL ? strlen(v) : 0, changed);
}

/* A uuid column: NULL stays NULL, anything else must be a uuid. */
static enum lk_err
copy_uuid(struct lk_buf *b, const char *v)
{
	if (v == NULL) {
		pgcopy_null(b);
		return LK_OK;
	}
	return pgcopy_uuid(b, v);
}

enum lk_err
record_row_copy(const struct record_row *r, struct lk_buf *b,
    int *sanitized)
{
	int64_t d = r->duration_us;
	int changed = 0;

	if (r->status < INT16_MIN || r->status > INT16_MAX) {
		return LK_EINVAL;
	}
	if (d > INT32_MAX) {
		d = INT32_MAX;
	} else if (d < INT32_MIN) {
		d = INT32_MIN;
	}
	pgcopy_tuple(b, RECORD_COPY_NFIELDS);
	if (copy_uuid(b, r->id) != LK_OK) {
		return LK_EINVAL;
	}
	copy_cstr(b, r->request_id, &changed);
	if (copy_uuid(b, r->org_id) != LK_OK) {
		return LK_EINVAL;
	}
	copy_cstr(b, r->mode, &changed);
	copy_cstr(b, r->role, &changed);
	copy_cstr(b, r->credential_kind, &changed);
	if (copy_uuid(b, r->credential_id) != LK_OK ||
	    copy_uuid(b, r->user_id) != LK_OK) {
		return LK_EINVAL;
	}
	copy_cstr(b, r->method, &changed);
	copy_cstr(b, r->path, &changed);
	copy_cstr(b, r->query, &changed);
	pgcopy_int2(b, (int16_t)r->status);
	copy_cstr(b, r->error_code, &changed);
	pgcopy_int4(b, (int32_t)d);
	copy_cstr(b, r->client_ip, &changed);
	copy_cstr(b, r->user_agent, &changed);
	copy_str(b, r->request_body, r->request_body_len, &changed);
	copy_str(b, r->response_body, r->response_body_len, &changed);
	pgcopy_timestamptz(b, r->created_us);
	pgcopy_bool(b, changed);
	if (sanitized != NULL) {
		*sanitized = changed;
	}
	return LK_OK;
}
