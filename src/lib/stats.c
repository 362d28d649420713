/*
 * stats.c: counting into a host's metrics block and writing it out in
 * the Prometheus text format 0.0.4.  Pure: see stats.h.  It knows the
 * router's method bits and nothing of FastCGI, the database or where the
 * block lives.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "stats.h"
#include "router.h"

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2,
    "the shared counters need lock-free 64-bit atomics");

static const unsigned methods[STATS_NMETHODS - 1] = {
	HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_PUT, HTTP_PATCH, HTTP_DELETE,
	HTTP_OPTIONS
};
static const char *const method_names[STATS_NMETHODS] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"
};

static const int statuses[STATS_NSTATUSES - 1] = {
	200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 414, 415, 422, 429,
	500, 503
};

/* Upper bounds of the buckets but +Inf, in microseconds and as the le
 * label says them. */
static const int64_t bounds_us[STATS_NBUCKETS - 1] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000
};
static const char *const bounds_le[STATS_NBUCKETS] = {
	"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
	"0.5", "1", "2.5", "5", "10", "+Inf"
};

static const char *const role_names[STATS_NROLES] = {
	"responder", "authorizer"
};

static const struct {
	const char	*name;
	const char	*help;
} counter_info[STATS_NCOUNTERS] = {
	[STATS_CACHE_HITS] = { "latchkey_identity_cache_hits_total",
	    "Credentials resolved from the identity cache." },
	[STATS_CACHE_MISSES] = { "latchkey_identity_cache_misses_total",
	    "Credentials the identity cache did not hold, asked of the "
	    "database." },
	[STATS_RATE_REFUSALS] = { "latchkey_rate_limit_refusals_total",
	    "Requests refused by a rate limit (429 rate_limited)." },
	[STATS_HISTORY_QUEUED] = {
	    "latchkey_history_records_queued_total",
	    "History records put in the shared ring for the writer." },
	[STATS_HISTORY_WRITTEN] = {
	    "latchkey_history_records_written_total",
	    "History rows the writer committed." },
	[STATS_HISTORY_SET_ASIDE] = {
	    "latchkey_history_records_set_aside_total",
	    "History rows PostgreSQL refused on their own, logged and not "
	    "retried." },
	[STATS_HISTORY_DROPPED] = {
	    "latchkey_history_records_dropped_total",
	    "History records lost because the ring stayed full." },
	[STATS_DB_ERRORS] = { "latchkey_database_errors_total",
	    "Database calls that failed: lost connections and unexpected "
	    "errors (not constraint violations)." },
	[STATS_DB_RECONNECTS] = { "latchkey_database_reconnects_total",
	    "Database connections opened after a process's first." },
	[STATS_WORKERS_RESPAWNED] = { "latchkey_workers_respawned_total",
	    "Worker processes the master started again after one died." },
};

static const struct {
	const char	*name;
	const char	*help;
} gauge_info[STATS_NGAUGES] = {
	[STATS_WORKERS_ALIVE] = { "latchkey_workers_alive",
	    "Worker processes running now." },
};

unsigned
stats_method_index(unsigned method)
{
	unsigned i;

	for (i = 0; i < STATS_NMETHODS - 1; i++) {
		if (methods[i] == method) {
			return i;
		}
	}
	return STATS_NMETHODS - 1;
}

unsigned
stats_status_index(int status)
{
	unsigned i;

	for (i = 0; i < STATS_NSTATUSES - 1; i++) {
		if (statuses[i] == status) {
			return i;
		}
	}
	return STATS_NSTATUSES - 1;
}

unsigned
stats_bucket_index(int64_t us)
{
	unsigned i;

	for (i = 0; i < STATS_NBUCKETS - 1; i++) {
		if (us <= bounds_us[i]) {
			return i;
		}
	}
	return STATS_NBUCKETS - 1;
}

void
stats_request(struct stats_block *m, enum stats_role role,
    size_t route, unsigned method, int status, int64_t us)
{
	if (m == NULL || (unsigned)role >= STATS_NROLES) {
		return;
	}
	if (route >= STATS_ROUTES_MAX) {
		route = STATS_ROUTE_UNMATCHED;
	}
	if (us < 0) {
		us = 0;
	}
	atomic_fetch_add_explicit(&m->http[role][route]
	    [stats_method_index(method)][stats_status_index(status)]
	    [stats_bucket_index(us)], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->duration_us[role], (uint64_t)us,
	    memory_order_relaxed);
}

void
stats_add(struct stats_block *m, enum stats_counter c, uint64_t n)
{
	if (m != NULL && (unsigned)c < STATS_NCOUNTERS) {
		atomic_fetch_add_explicit(&m->counters[c], n,
		    memory_order_relaxed);
	}
}

void
stats_set(struct stats_block *m, enum stats_gauge g, int64_t v)
{
	if (m != NULL && (unsigned)g < STATS_NGAUGES) {
		atomic_store_explicit(&m->gauges[g], v, memory_order_relaxed);
	}
}

void
stats_label_escape(const char *s, struct lk_buf *out)
{
	size_t run;

	while (*s != '\0') {
		run = strcspn(s, "\\\"\n");
		buf_append(out, s, run);
		s += run;
		switch (*s) {
		case '\\':
			buf_puts(out, "\\\\");
			break;
		case '"':
			buf_puts(out, "\\\"");
			break;
		case '\n':
			buf_puts(out, "\\n");
			break;
		case '\0':
			return;
		}
		s++;
	}
}

static void
head(struct lk_buf *out, const char *name, const char *help,
    const char *type)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

/* The requests of one role: each series that is not zero, and the
 * role's buckets summed from the same loads. */
static void
write_requests(const struct stats_block *m, unsigned role,
    const char *const *labels, size_t n, uint64_t buckets[STATS_NBUCKETS],
    struct lk_buf *out)
{
	uint64_t v, total;
	size_t r;
	unsigned k, s, b;

	for (r = 0; r < n; r++) {
		for (k = 0; k < STATS_NMETHODS; k++) {
			for (s = 0; s < STATS_NSTATUSES; s++) {
				total = 0;
				for (b = 0; b < STATS_NBUCKETS; b++) {
					v = atomic_load_explicit(
					    &m->http[role][r][k][s][b],
					    memory_order_relaxed);
					buckets[b] += v;
					total += v;
				}
				if (total == 0) {
					continue;
				}
				buf_printf(out, "latchkey_http_requests_total"
				    "{role=\"%s\",route=\"", role_names[role]);
				stats_label_escape(labels[r] != NULL ?
				    labels[r] : "", out);
				buf_printf(out, "\",method=\"%s\",status=\"",
				    method_names[k]);
				if (s < STATS_NSTATUSES - 1) {
					buf_printf(out, "%d", statuses[s]);
				} else {
					buf_puts(out, "other");
				}
				buf_printf(out, "\"} %" PRIu64 "\n", total);
			}
		}
	}
}

static void
write_histogram(const struct stats_block *m, unsigned role,
    const uint64_t buckets[STATS_NBUCKETS], struct lk_buf *out)
{
	static const char name[] = "latchkey_http_request_duration_seconds";
	uint64_t cum = 0, us;
	unsigned b;

	for (b = 0; b < STATS_NBUCKETS; b++) {
		cum += buckets[b];
		buf_printf(out, "%s_bucket{role=\"%s\",le=\"%s\"} %" PRIu64
		    "\n", name, role_names[role], bounds_le[b], cum);
	}
	us = atomic_load_explicit(&m->duration_us[role],
	    memory_order_relaxed);
	buf_printf(out, "%s_sum{role=\"%s\"} %" PRIu64 ".%06" PRIu64 "\n",
	    name, role_names[role], us / 1000000, us % 1000000);
	buf_printf(out, "%s_count{role=\"%s\"} %" PRIu64 "\n", name,
	    role_names[role], cum);
}

void
stats_write(const struct stats_block *m, const char *const *labels,
    size_t n, struct lk_buf *out)
{
	uint64_t buckets[STATS_NROLES][STATS_NBUCKETS];
	unsigned role, i;

	memset(buckets, 0, sizeof(buckets));
	if (n > STATS_ROUTES_MAX) {
		n = STATS_ROUTES_MAX;
	}
	head(out, "latchkey_http_requests_total", "Requests answered, by "
	    "FastCGI role, route of the management API (\"(upstream)\" for "
	    "the authorizer), method and status.", "counter");
	for (role = 0; role < STATS_NROLES; role++) {
		write_requests(m, role, labels, n, buckets[role], out);
	}
	head(out, "latchkey_http_request_duration_seconds", "Time from "
	    "reading a request to having its response ready to send, by "
	    "FastCGI role.", "histogram");
	for (role = 0; role < STATS_NROLES; role++) {
		write_histogram(m, role, buckets[role], out);
	}
	for (i = 0; i < STATS_NCOUNTERS; i++) {
		head(out, counter_info[i].name, counter_info[i].help,
		    "counter");
		buf_printf(out, "%s %" PRIu64 "\n", counter_info[i].name,
		    (uint64_t)atomic_load_explicit(&m->counters[i],
		    memory_order_relaxed));
	}
	for (i = 0; i < STATS_NGAUGES; i++) {
		head(out, gauge_info[i].name, gauge_info[i].help, "gauge");
		buf_printf(out, "%s %" PRId64 "\n", gauge_info[i].name,
		    (int64_t)atomic_load_explicit(&m->gauges[i],
		    memory_order_relaxed));
	}
}
