/*
 * test_rollup.c: unit tests of the batch rollup (src/lib/rollup.c): rows
 * made by record_row_copy() counted per org, mode, UTC hour, credential
 * and status; rows without an org skipped; cut tuples and too many
 * groups refused; the exact array text request_rollup_add() takes.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "buf.h"
#include "record.h"
#include "rollup.h"

#define OUT_MAX		(64 * 1024)
#define ORG_A		"0b6c5f3e-1a2b-4c3d-8e4f-5a6b7c8d9e0f"
#define ORG_B		"1b6c5f3e-1a2b-4c3d-8e4f-5a6b7c8d9e0f"
#define KEY_A		"2b6c5f3e-1a2b-4c3d-8e4f-5a6b7c8d9e0f"
#define KEY_B		"3b6c5f3e-1a2b-4c3d-8e4f-5a6b7c8d9e0f"
#define T0		INT64_C(1767225600000000)	/* 2026-01-01Z */
#define HOUR_US		INT64_C(3600000000)

static struct rollup *r;

static void
setup(void)
{
	r = calloc(1, sizeof(*r));
	cr_assert_not_null(r);
	rollup_reset(r);
}

static void
teardown(void)
{
	free(r);
}

static struct record_row
row(void)
{
	struct record_row x;

	memset(&x, 0, sizeof(x));
	x.id = "6f1c8c1e-8a43-4d42-9b8e-1d1f3f5b2a10";
	x.request_id = "rid-1";
	x.org_id = ORG_A;
	x.mode = "live";
	x.role = "responder";
	x.credential_kind = "api_key";
	x.credential_id = KEY_A;
	x.method = "GET";
	x.path = "/v1/me";
	x.query = "";
	x.status = 200;
	x.duration_us = 100;
	x.created_us = T0 + 123456;
	return x;
}

static enum lk_err
add(const struct record_row *x)
{
	struct lk_buf b;
	enum lk_err e;

	buf_init(&b, OUT_MAX);
	cr_assert_eq(record_row_copy(x, &b, NULL), LK_OK);
	cr_assert(!buf_failed(&b));
	e = rollup_add_tuple(r, b.p, b.len);
	buf_free(&b);
	return e;
}

TestSuite(rollup, .init = setup, .fini = teardown);

Test(rollup, counts_rows_of_one_key_status_and_hour_in_one_group)
{
	struct record_row x = row();
	int i;

	for (i = 0; i < 3; i++) {
		x.duration_us = 100 + i;
		x.created_us = T0 + i * (HOUR_US / 3);
		cr_assert_eq(add(&x), LK_OK);
	}
	cr_assert_eq(r->n, 1);
	cr_assert_eq(r->groups[0].requests, 3);
	cr_assert_eq(r->groups[0].duration_us, 303);
	cr_assert_eq(r->groups[0].hour, T0 / 1000000);
	cr_assert_eq(r->groups[0].status, 200);
	cr_assert_str_eq(r->groups[0].mode, "live");
	cr_assert_str_eq(r->groups[0].kind, "api_key");
	cr_assert(r->groups[0].has_cred);
}

/* Each row differs from row() in one part of the key only. */
static void set_org(struct record_row *x) { x->org_id = ORG_B; }
static void set_mode(struct record_row *x) { x->mode = "test"; }
static void set_hour(struct record_row *x) { x->created_us = T0 + HOUR_US; }
static void set_cred(struct record_row *x) { x->credential_id = KEY_B; }
static void set_no_cred(struct record_row *x)
{
	x->credential_kind = "user";
	x->credential_id = NULL;
}
static void set_status(struct record_row *x) { x->status = 404; }

Test(rollup, separates_rows_that_differ_in_any_part_of_the_key)
{
	static const struct {
		const char	*what;
		void		(*change)(struct record_row *);
	} cases[] = {
		{ "org", set_org }, { "mode", set_mode }, { "hour", set_hour },
		{ "credential", set_cred }, { "kind", set_no_cred },
		{ "status", set_status },
	};
	struct record_row x;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rollup_reset(r);
		x = row();
		cr_assert_eq(add(&x), LK_OK);
		cases[i].change(&x);
		cr_assert_eq(add(&x), LK_OK);
		cr_assert_eq(add(&x), LK_OK);
		cr_assert_eq(r->n, 2, "%s: %zu groups", cases[i].what, r->n);
		cr_assert_eq(r->groups[0].requests, 1, "%s", cases[i].what);
		cr_assert_eq(r->groups[1].requests, 2, "%s", cases[i].what);
	}
}

Test(rollup, puts_a_row_in_the_utc_hour_it_was_created_in)
{
	static const struct {
		int64_t	created_us;
		int64_t	hour;
	} cases[] = {
		{ T0, T0 / 1000000 },
		{ T0 + HOUR_US - 1, T0 / 1000000 },
		{ T0 + HOUR_US, T0 / 1000000 + 3600 },
		{ 0, 0 },
		{ -1, -3600 },
	};
	struct record_row x = row();
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rollup_reset(r);
		x.created_us = cases[i].created_us;
		cr_assert_eq(add(&x), LK_OK);
		cr_assert_eq(r->groups[0].hour, cases[i].hour,
		    "case %zu: %lld", i, (long long)r->groups[0].hour);
	}
}

Test(rollup, counts_no_row_without_an_org)
{
	struct record_row x = row();

	x.org_id = NULL;
	x.mode = NULL;
	cr_assert_eq(add(&x), LK_OK);
	cr_assert_eq(r->n, 0);
}

Test(rollup, refuses_a_tuple_cut_short_and_counts_nothing)
{
	struct record_row x = row();
	struct lk_buf b;
	size_t cut;

	buf_init(&b, OUT_MAX);
	cr_assert_eq(record_row_copy(&x, &b, NULL), LK_OK);
	/* Every prefix that stops before created_at's bytes. */
	for (cut = 0; cut + 9 < b.len; cut += 7) {
		cr_assert_eq(rollup_add_tuple(r, b.p, cut), LK_EINVAL,
		    "cut at %zu", cut);
	}
	cr_assert_eq(r->n, 0);
	buf_free(&b);
}

Test(rollup, refuses_a_new_group_beyond_its_limit_but_counts_known_ones)
{
	struct record_row x = row();
	int i;

	for (i = 0; i < ROLLUP_GROUPS_MAX; i++) {
		x.created_us = T0 + i * HOUR_US;
		cr_assert_eq(add(&x), LK_OK);
	}
	cr_assert_eq(r->n, ROLLUP_GROUPS_MAX);
	x.created_us = T0 + (int64_t)ROLLUP_GROUPS_MAX * HOUR_US;
	cr_assert_eq(add(&x), LK_ETOOBIG);
	x.created_us = T0;
	cr_assert_eq(add(&x), LK_OK);
	cr_assert_eq(r->groups[0].requests, 2);
	cr_assert_eq(r->n, ROLLUP_GROUPS_MAX);
}

Test(rollup, writes_the_arrays_request_rollup_add_takes)
{
	static const char *const want[ROLLUP_NPARAMS] = {
		"{" ORG_A "," ORG_A "}",
		"{\"live\",\"live\"}",
		"{1767225600,1767225600}",
		"{\"api_key\",\"user\"}",
		"{" KEY_A ",NULL}",
		"{200,200}",
		"{2,1}",
		"{200,7}",
	};
	struct lk_buf out[ROLLUP_NPARAMS];
	struct record_row x = row();
	size_t k;

	cr_assert_eq(add(&x), LK_OK);
	cr_assert_eq(add(&x), LK_OK);
	set_no_cred(&x);
	x.duration_us = 7;
	cr_assert_eq(add(&x), LK_OK);
	for (k = 0; k < ROLLUP_NPARAMS; k++) {
		buf_init(&out[k], OUT_MAX);
	}
	rollup_params(r, out);
	for (k = 0; k < ROLLUP_NPARAMS; k++) {
		cr_assert(!buf_failed(&out[k]));
		cr_assert_str_eq(buf_cstr(&out[k]), want[k], "param %zu", k);
		buf_free(&out[k]);
	}
}

Test(rollup, writes_empty_arrays_for_no_groups)
{
	struct lk_buf out[ROLLUP_NPARAMS];
	size_t k;

	for (k = 0; k < ROLLUP_NPARAMS; k++) {
		buf_init(&out[k], OUT_MAX);
	}
	rollup_params(r, out);
	for (k = 0; k < ROLLUP_NPARAMS; k++) {
		cr_assert_str_eq(buf_cstr(&out[k]), "{}");
		buf_free(&out[k]);
	}
}

Test(rollup, appends_the_id_and_creation_time_of_replayed_rows)
{
	struct record_row x = row();
	struct lk_buf b, ids, us;

	buf_init(&b, OUT_MAX);
	buf_init(&ids, OUT_MAX);
	buf_init(&us, OUT_MAX);
	cr_assert_eq(record_row_copy(&x, &b, NULL), LK_OK);
	cr_assert_eq(rollup_key_append(b.p, b.len, 1, &ids, &us), LK_OK);
	cr_assert_eq(rollup_key_append(b.p, b.len, 0, &ids, &us), LK_OK);
	cr_assert_str_eq(buf_cstr(&ids), "6f1c8c1e-8a43-4d42-9b8e-1d1f3f5b2a10,"
	    "6f1c8c1e-8a43-4d42-9b8e-1d1f3f5b2a10");
	cr_assert_str_eq(buf_cstr(&us), "1767225600123456,1767225600123456");
	cr_assert_eq(rollup_key_append(b.p, 10, 0, &ids, &us), LK_EINVAL);
	cr_assert_str_eq(buf_cstr(&us), "1767225600123456,1767225600123456");
	buf_free(&b);
	buf_free(&ids);
	buf_free(&us);
}
