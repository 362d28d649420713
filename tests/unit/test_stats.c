/*
 * test_stats.c: unit tests of stats.c: the indexes a request is counted
 * under, and the Prometheus text exposition written from a block: its
 * lines, label escaping, the histogram's cumulative buckets, _sum and
 * _count, and the bounds nothing can grow past.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "buf.h"
#include "router.h"
#include "stats.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define OUT_MAX		(8u * 1024 * 1024)

static const char *const labels[] = {
	"(unmatched)", "(upstream)", "/v1/me", "/v1/users/{id}"
};

/* A zeroed block on the heap (it is large for a stack). */
static struct stats_block *
new_block(void)
{
	struct stats_block *m = calloc(1, sizeof(*m));

	cr_assert_not_null(m);
	return m;
}

/* Writes m with the test labels into a fresh b (the caller frees). */
static void
expose(struct stats_block *m, struct lk_buf *b)
{
	buf_init(b, OUT_MAX);
	stats_write(m, labels, NITEMS(labels), b);
	cr_assert(!buf_failed(b));
}

/* Asserts that out holds line as a whole line. */
static void
expect_line(const char *out, const char *line)
{
	size_t n = strlen(line);
	const char *p = out;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == out || p[-1] == '\n') && p[n] == '\n') {
			return;
		}
		p += n;
	}
	cr_assert_fail("no line \"%s\" in:\n%s", line, out);
}

static void
expect_no(const char *out, const char *s)
{
	cr_assert_null(strstr(out, s), "\"%s\" found in:\n%s", s, out);
}

Test(stats, indexes_every_method_and_puts_an_unknown_one_under_other)
{
	static const struct {
		unsigned	 method;
		unsigned	 want;
	} cases[] = {
		{ HTTP_GET, 0 }, { HTTP_HEAD, 1 }, { HTTP_POST, 2 },
		{ HTTP_PUT, 3 }, { HTTP_PATCH, 4 }, { HTTP_DELETE, 5 },
		{ HTTP_OPTIONS, 6 }, { 0, STATS_NMETHODS - 1 },
		{ 1u << 12, STATS_NMETHODS - 1 },
	};
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		cr_expect_eq(stats_method_index(cases[i].method),
		    cases[i].want, "method %#x", cases[i].method);
	}
}

Test(stats, indexes_known_statuses_and_puts_the_rest_under_other)
{
	static const struct {
		int		 status;
		unsigned	 want;
	} cases[] = {
		{ 200, 0 }, { 201, 1 }, { 204, 2 }, { 400, 3 }, { 401, 4 },
		{ 429, 13 }, { 503, 15 }, { 418, STATS_NSTATUSES - 1 },
		{ 0, STATS_NSTATUSES - 1 }, { -1, STATS_NSTATUSES - 1 },
		{ 99999, STATS_NSTATUSES - 1 },
	};
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		cr_expect_eq(stats_status_index(cases[i].status),
		    cases[i].want, "status %d", cases[i].status);
	}
}

Test(stats, puts_a_duration_in_the_first_bucket_whose_bound_holds_it)
{
	static const struct {
		int64_t		 us;
		unsigned	 want;
	} cases[] = {
		{ 0, 0 }, { 1000, 0 }, { 1001, 1 }, { 2500, 1 },
		{ 10000000, 12 }, { 10000001, 13 }, { INT64_MAX, 13 },
	};
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		cr_expect_eq(stats_bucket_index(cases[i].us), cases[i].want,
		    "%lld us", (long long)cases[i].us);
	}
}

Test(stats, writes_help_and_type_for_every_metric_of_an_empty_block)
{
	static const char *const heads[] = {
		"# TYPE latchkey_http_requests_total counter",
		"# TYPE latchkey_http_request_duration_seconds histogram",
		"# TYPE latchkey_identity_cache_hits_total counter",
		"# TYPE latchkey_identity_cache_misses_total counter",
		"# TYPE latchkey_rate_limit_refusals_total counter",
		"# TYPE latchkey_history_records_queued_total counter",
		"# TYPE latchkey_history_records_written_total counter",
		"# TYPE latchkey_history_records_set_aside_total counter",
		"# TYPE latchkey_history_records_dropped_total counter",
		"# TYPE latchkey_database_errors_total counter",
		"# TYPE latchkey_database_reconnects_total counter",
		"# TYPE latchkey_workers_respawned_total counter",
		"# TYPE latchkey_workers_alive gauge",
		"latchkey_identity_cache_hits_total 0",
		"latchkey_workers_alive 0",
		"latchkey_http_request_duration_seconds_count"
		    "{role=\"responder\"} 0",
		"latchkey_http_request_duration_seconds_sum"
		    "{role=\"authorizer\"} 0.000000",
	};
	struct stats_block *m = new_block();
	struct lk_buf b;
	size_t i;

	expose(m, &b);
	for (i = 0; i < NITEMS(heads); i++) {
		expect_line(buf_cstr(&b), heads[i]);
	}
	expect_no(buf_cstr(&b), "latchkey_http_requests_total{");
	cr_expect_eq(buf_cstr(&b)[b.len - 1], '\n');
	buf_free(&b);
	free(m);
}

Test(stats, counts_each_request_under_its_role_route_method_and_status)
{
	struct stats_block *m = new_block();
	struct lk_buf b;

	stats_request(m, STATS_RESPONDER, 2, HTTP_GET, 200, 500);
	stats_request(m, STATS_RESPONDER, 2, HTTP_GET, 200, 700);
	stats_request(m, STATS_RESPONDER, 3, HTTP_DELETE, 404, 30000);
	stats_request(m, STATS_AUTHORIZER, STATS_ROUTE_UPSTREAM, HTTP_POST,
	    418, 2000000);
	expose(m, &b);
	expect_line(buf_cstr(&b), "latchkey_http_requests_total{role="
	    "\"responder\",route=\"/v1/me\",method=\"GET\",status=\"200\"} 2");
	expect_line(buf_cstr(&b), "latchkey_http_requests_total{role="
	    "\"responder\",route=\"/v1/users/{id}\",method=\"DELETE\","
	    "status=\"404\"} 1");
	expect_line(buf_cstr(&b), "latchkey_http_requests_total{role="
	    "\"authorizer\",route=\"(upstream)\",method=\"POST\","
	    "status=\"other\"} 1");
	expect_no(buf_cstr(&b), "method=\"GET\",status=\"404\"");
	buf_free(&b);
	free(m);
}

Test(stats, writes_cumulative_buckets_whose_inf_and_count_equal_requests)
{
	struct stats_block *m = new_block();
	struct lk_buf b;

	stats_request(m, STATS_RESPONDER, 2, HTTP_GET, 200, 900);
	stats_request(m, STATS_RESPONDER, 2, HTTP_GET, 200, 4000);
	stats_request(m, STATS_RESPONDER, 3, HTTP_GET, 500, 4000);
	stats_request(m, STATS_RESPONDER, 3, HTTP_GET, 500, 60000000);
	expose(m, &b);
	expect_line(buf_cstr(&b), "latchkey_http_request_duration_seconds_"
	    "bucket{role=\"responder\",le=\"0.001\"} 1");
	expect_line(buf_cstr(&b), "latchkey_http_request_duration_seconds_"
	    "bucket{role=\"responder\",le=\"0.0025\"} 1");
	expect_line(buf_cstr(&b), "latchkey_http_request_duration_seconds_"
	    "bucket{role=\"responder\",le=\"0.005\"} 3");
	expect_line(buf_cstr(&b), "latchkey_http_request_duration_seconds_"
	    "bucket{role=\"responder\",le=\"10\"} 3");
	expect_line(buf_cstr(&b), "latchkey_http_request_duration_seconds_"
	    "bucket{role=\"responder\",le=\"+Inf\"} 4");
	expect_line(buf_cstr(&b), "latchkey_http_request_duration_seconds_"
	    "count{role=\"responder\"} 4");
	expect_line(buf_cstr(&b), "latchkey_http_request_duration_seconds_"
	    "sum{role=\"responder\"} 60.008900");
	expect_line(buf_cstr(&b), "latchkey_http_request_duration_seconds_"
	    "count{role=\"authorizer\"} 0");
	buf_free(&b);
	free(m);
}

Test(stats, counts_a_route_past_the_bound_and_a_negative_duration_safely)
{
	struct stats_block *m = new_block();
	struct lk_buf b;

	stats_request(m, STATS_RESPONDER, STATS_ROUTES_MAX, HTTP_GET, 200,
	    -5);
	stats_request(m, STATS_RESPONDER, (size_t)-1, HTTP_GET, 200, 10);
	stats_request(m, (enum stats_role)7, 2, HTTP_GET, 200, 10);
	stats_request(NULL, STATS_RESPONDER, 2, HTTP_GET, 200, 10);
	expose(m, &b);
	expect_line(buf_cstr(&b), "latchkey_http_requests_total{role="
	    "\"responder\",route=\"(unmatched)\",method=\"GET\","
	    "status=\"200\"} 2");
	expect_line(buf_cstr(&b), "latchkey_http_request_duration_seconds_"
	    "sum{role=\"responder\"} 0.000010");
	expect_line(buf_cstr(&b), "latchkey_http_request_duration_seconds_"
	    "count{role=\"responder\"} 2");
	buf_free(&b);
	free(m);
}

Test(stats, writes_counters_and_gauges_as_they_were_set)
{
	struct stats_block *m = new_block();
	struct lk_buf b;

	stats_add(m, STATS_CACHE_HITS, 3);
	stats_add(m, STATS_CACHE_HITS, 4);
	stats_add(m, STATS_HISTORY_SET_ASIDE, 1);
	stats_add(m, STATS_NCOUNTERS, 1);
	stats_add(NULL, STATS_CACHE_HITS, 1);
	stats_set(m, STATS_WORKERS_ALIVE, 4);
	stats_set(m, STATS_WORKERS_ALIVE, 3);
	stats_set(m, STATS_NGAUGES, 9);
	expose(m, &b);
	expect_line(buf_cstr(&b), "latchkey_identity_cache_hits_total 7");
	expect_line(buf_cstr(&b), "latchkey_history_records_set_aside_total 1");
	expect_line(buf_cstr(&b), "latchkey_database_errors_total 0");
	expect_line(buf_cstr(&b), "latchkey_workers_alive 3");
	buf_free(&b);
	free(m);
}

Test(stats, escapes_backslash_quote_and_newline_in_label_values)
{
	static const struct {
		const char	*in;
		const char	*want;
	} cases[] = {
		{ "", "" },
		{ "/v1/me", "/v1/me" },
		{ "a\\b", "a\\\\b" },
		{ "say \"hi\"", "say \\\"hi\\\"" },
		{ "two\nlines", "two\\nlines" },
		{ "\\\"\n", "\\\\\\\"\\n" },
	};
	struct lk_buf b;
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		buf_init(&b, 256);
		stats_label_escape(cases[i].in, &b);
		cr_expect_str_eq(buf_cstr(&b), cases[i].want);
		buf_free(&b);
	}
}

Test(stats, writes_only_the_routes_it_has_labels_for)
{
	const char *many[STATS_ROUTES_MAX + 4];
	struct stats_block *m = new_block();
	struct lk_buf b;
	size_t i;

	for (i = 0; i < NITEMS(many); i++) {
		many[i] = "/r";
	}
	stats_request(m, STATS_RESPONDER, 3, HTTP_GET, 200, 1);
	buf_init(&b, OUT_MAX);
	stats_write(m, labels, 3, &b);
	expect_no(buf_cstr(&b), "latchkey_http_requests_total{");
	buf_reset(&b);
	stats_write(m, many, NITEMS(many), &b);
	cr_assert(!buf_failed(&b));
	expect_line(buf_cstr(&b), "latchkey_http_requests_total{role="
	    "\"responder\",route=\"/r\",method=\"GET\",status=\"200\"} 1");
	buf_free(&b);
	free(m);
}

Test(stats, leaves_a_buffer_too_small_for_the_exposition_failed)
{
	struct stats_block *m = new_block();
	struct lk_buf b;

	buf_init(&b, 64);
	stats_write(m, labels, NITEMS(labels), &b);
	cr_expect(buf_failed(&b));
	buf_free(&b);
	free(m);
}

Test(stats, writes_a_full_block_within_the_handlers_bound)
{
	const char *many[STATS_ROUTES_MAX];
	struct stats_block *m = new_block();
	struct lk_buf b;
	size_t r, k, s;

	for (r = 0; r < STATS_ROUTES_MAX; r++) {
		many[r] = "/v1/api-keys/{id}/roll";
		for (k = 0; k < STATS_NMETHODS; k++) {
			for (s = 0; s < STATS_NSTATUSES; s++) {
				atomic_store(&m->http[STATS_RESPONDER][r][k]
				    [s][0], UINT64_MAX / 4);
				atomic_store(&m->http[STATS_AUTHORIZER][r][k]
				    [s][0], 1);
			}
		}
	}
	buf_init(&b, OUT_MAX);
	stats_write(m, many, STATS_ROUTES_MAX, &b);
	cr_expect(!buf_failed(&b), "a full block does not fit %u bytes",
	    OUT_MAX);
	buf_free(&b);
	free(m);
}
