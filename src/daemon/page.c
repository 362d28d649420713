/*
 * page.c: keyset pagination of the list endpoints.  Parses ?limit= and
 * ?cursor= ("<micros>.<uuid>"), runs a list statement one row past the
 * limit in the caller's open transaction and wraps the rows in
 * {"data", "has_more", "next_cursor"}.  It knows the statement only
 * through its parameter order (filters, cursor, limit) and a row
 * callback; it never knows what the rows are.
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include <json-c/json.h>

#include "app.h"
#include "db.h"
#include "util.h"

int
page_parse(struct lk_ctx *ctx, struct page *pg)
{
	const char *v, *dot;
	enum lk_err e;
	long us;

	pg->limit = APP_LIST_DEFAULT;
	pg->after_us = NULL;
	pg->after_id = NULL;
	e = http_query(ctx->req, ctx->arena, "limit", &v, NULL);
	if (e == LK_OK && util_parse_long(v, strlen(v), 1, APP_LIST_MAX,
	    &pg->limit) != LK_OK) {
		reply_error(ctx, 400, "invalid_limit",
		    "limit must be an integer from 1 to %d", APP_LIST_MAX);
		return -1;
	}
	if (e != LK_OK && e != LK_ENOTFOUND) {
		reply_error(ctx, 400, "invalid_limit", "limit is malformed");
		return -1;
	}
	e = http_query(ctx->req, ctx->arena, "cursor", &v, NULL);
	if (e == LK_ENOTFOUND) {
		return 0;
	}
	if (e != LK_OK || (dot = strchr(v, '.')) == NULL ||
	    util_parse_long(v, (size_t)(dot - v), 0, LONG_MAX, &us) != LK_OK ||
	    !util_uuid_valid(dot + 1, strlen(dot + 1))) {
		reply_error(ctx, 400, "invalid_cursor",
		    "cursor must be a next_cursor value from a previous page");
		return -1;
	}
	pg->after_us = arena_strndup(ctx->arena, v, (size_t)(dot - v));
	pg->after_id = dot + 1;
	if (pg->after_us == NULL) {
		reply_internal(ctx, LK_ENOMEM, "the cursor");
		return -1;
	}
	return 0;
}

/*
 * Wraps data (up to limit + 1 items, cursors[i] the cursor of item i) in
 * {"data", "has_more", "next_cursor"}, dropping the extra item.  edge is
 * the cursor where a bounded scan stopped (page_query_scan()), or NULL:
 * with fewer than limit + 1 items there is still more past it.  Takes
 * ownership of data.
 */
static json_object *
page_wrap(json_object *data, const struct page *pg,
    const char *const *cursors, const char *edge)
{
	json_object *o = json_object_new_object();
	size_t n = json_object_array_length(data);
	int full = n > (size_t)pg->limit;

	if (o == NULL) {
		json_object_put(data);
		return NULL;	/* reply_success(): a logged 500 */
	}
	if (full) {
		json_object_array_del_idx(data, (size_t)pg->limit, 1);
	}
	jsonx_add(o, "data", data);
	jsonx_add(o, "has_more", json_object_new_boolean(full ||
	    edge != NULL));
	jsonx_add(o, "next_cursor", full ?
	    json_object_new_string(cursors[pg->limit - 1]) : edge != NULL ?
	    json_object_new_string(edge) : NULL);
	return o;
}

/* Column flag of row i is true ("t"). */
static int
flag(const struct db_res *res, size_t i, int col)
{
	const char *v = db_get(res, i, col);

	return v != NULL && v[0] == 't';
}

/*
 * The common part of page_query() and page_query_scan(): fcol is -1 for
 * a plain list, else the column of the edge flag, followed by the hit
 * flag.
 */
static void
page_run(struct lk_ctx *ctx, const struct db_stmt *st, const char **params,
    size_t nfilters, const struct page *pg,
    json_object *(*row)(const struct db_res *, size_t), int ccol, int fcol)
{
	const char **cursors, *edge = NULL;
	struct db_res *res;
	json_object *data;
	enum lk_err e;
	size_t i, n, k;

	params[nfilters] = pg->after_us;
	params[nfilters + 1] = pg->after_id;
	params[nfilters + 2] = arena_printf(ctx->arena, "%ld", pg->limit + 1);
	if ((e = db_exec(ctx->db, st, params, &res)) != LK_OK) {
		tx_fail(ctx, e);
		return;
	}
	n = db_nrows(res);
	if ((cursors = arena_alloc(ctx->arena, (n + 1) * sizeof(*cursors))) ==
	    NULL) {
		db_res_free(res);
		tx_fail_internal(ctx, LK_ENOMEM, "the page cursors");
		return;
	}
	if ((data = json_object_new_array()) == NULL) {
		db_res_free(res);
		tx_fail_internal(ctx, LK_ENOMEM, "a page");
		return;
	}
	for (i = k = 0; i < n; i++) {
		json_object *r;

		if (fcol >= 0 && flag(res, i, fcol) &&
		    (edge = arena_strdup(ctx->arena,
		    db_get(res, i, ccol))) == NULL) {
			json_object_put(data);
			db_res_free(res);
			tx_fail_internal(ctx, LK_ENOMEM, "the page's edge");
			return;
		}
		if (fcol >= 0 && !flag(res, i, fcol + 1)) {
			continue;	/* the edge of the scan, no match */
		}
		r = row(res, i);
		if (r == NULL || json_object_array_add(data, r) != 0) {
			json_object_put(r);
			json_object_put(data);
			db_res_free(res);
			tx_fail_internal(ctx, LK_ENOMEM, "a row of a page");
			return;
		}
		cursors[k++] = arena_strdup(ctx->arena, db_get(res, i, ccol));
	}
	db_res_free(res);
	tx_reply(ctx, 200, page_wrap(data, pg, cursors, edge));
}

void
page_query(struct lk_ctx *ctx, const struct db_stmt *st, const char **params,
    size_t nfilters, const struct page *pg,
    json_object *(*row)(const struct db_res *, size_t), int ccol)
{
	page_run(ctx, st, params, nfilters, pg, row, ccol, -1);
}

void
page_reply_empty(struct lk_ctx *ctx, const struct page *pg)
{
	json_object *data = json_object_new_array();

	if (data == NULL) {
		tx_fail_internal(ctx, LK_ENOMEM, "a page");
		return;
	}
	tx_reply(ctx, 200, page_wrap(data, pg, NULL, NULL));
}

void
page_query_scan(struct lk_ctx *ctx, const struct db_stmt *st,
    const char **params, size_t nfilters, const struct page *pg,
    json_object *(*row)(const struct db_res *, size_t), int ccol, int fcol)
{
	params[nfilters + 3] = PAGE_SCAN_ROWS_TEXT;
	page_run(ctx, st, params, nfilters, pg, row, ccol, fcol);
}
