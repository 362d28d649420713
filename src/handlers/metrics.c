/*
 * metrics.c: GET /metrics, this host's counters in the Prometheus text
 * exposition format 0.0.4 (stats.c writes it from the block every
 * process of the host counts into, src/daemon/metrics.c).
 *
 * For the operator's scraper, never for a tenant: a service key in
 * X-Internal-Key (or Authorization: Bearer), or a client address in
 * metrics_allow.  Anonymous: 401 missing_credentials; a wrong service
 * key: 401 invalid_service_key; an org's credential: 403.  A scrape that
 * is answered is counted in the metrics but not recorded in the request
 * history, which is the tenants' (it has no org, and a scraper every few
 * seconds would bury the operator's own rows); a refused one is
 * recorded like any refused request.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "app.h"
#include "credential.h"
#include "handlers/handlers.h"
#include "metrics.h"
#include "netaddr.h"
#include "stats.h"

#define METRICS_TYPE	"text/plain; version=0.0.4; charset=utf-8"
/* Room for every series of the block: 2 roles x 64 routes x 8 methods x
 * 17 statuses lines of at most ~200 bytes, and the rest. */
#define METRICS_OUT_MAX	(8u * 1024 * 1024)

/* Returns 1 if the request's client address is in metrics_allow. */
static int
client_allowed(struct lk_ctx *ctx)
{
	char addr[NETADDR_STR_MAX];
	struct netaddr_cidr a;
	size_t i;

	if (ctx->cfg->nmetrics_allow == 0) {
		return 0;
	}
	app_client_addr(ctx, 0, addr);
	if (netaddr_parse_cidr(addr, strlen(addr), &a) != LK_OK) {
		return 0;
	}
	for (i = 0; i < ctx->cfg->nmetrics_allow; i++) {
		if (netaddr_in(&a, &ctx->cfg->metrics_allow[i])) {
			return 1;
		}
	}
	return 0;
}

/* The service key the request carries: X-Internal-Key, or a Bearer
 * value that is one.  Returns 1 if it is one of the configured keys,
 * 0 if none was sent, -1 if X-Internal-Key holds another value. */
static int
service_key(struct lk_ctx *ctx)
{
	const char *ik = http_param(ctx->req, "HTTP_X_INTERNAL_KEY");
	const char *a = http_param(ctx->req, "HTTP_AUTHORIZATION");

	if (ik != NULL) {
		return credential_service_key(ctx->cfg->service_keys,
		    ctx->cfg->nservice_keys, ik, strlen(ik)) ? 1 : -1;
	}
	if (a != NULL && strncasecmp(a, "Bearer ", 7) == 0 &&
	    credential_service_key(ctx->cfg->service_keys,
	    ctx->cfg->nservice_keys, a + 7, strlen(a + 7))) {
		return 1;
	}
	return 0;
}

/* Decides whether the caller may read the metrics: 0, or -1 with the
 * refusal decided. */
static int
allowed(struct lk_ctx *ctx)
{
	int sk = service_key(ctx);

	if (sk == 1) {
		return 0;
	}
	if (sk == -1) {
		reply_error(ctx, 401, "invalid_service_key", "X-Internal-Key "
		    "is not a service key of this deployment");
		return -1;
	}
	if (client_allowed(ctx)) {
		return 0;
	}
	/* Another credential: authenticate it, so that a bad one gets the
	 * same 401 as anywhere else; a good one is a tenant's. */
	if (require_auth(ctx) == -1) {
		return -1;
	}
	reply_error(ctx, 403, "metrics_forbidden", "the metrics are the "
	    "operator's: send a service key in X-Internal-Key, or scrape "
	    "from an address in metrics_allow");
	return -1;
}

static void
metrics(struct lk_ctx *ctx)
{
	const char *labels[STATS_ROUTES_MAX];
	struct stats_block *m = metrics_block();
	struct lk_buf out;
	char *body;
	size_t n;

	if (allowed(ctx) == -1) {
		return;
	}
	ctx->no_history = 1;
	if (m == NULL) {
		reply_error(ctx, 503, "metrics_unavailable", "this host has no "
		    "shared memory for its metrics");
		return;
	}
	n = app_metrics_labels(labels, STATS_ROUTES_MAX);
	buf_init(&out, METRICS_OUT_MAX);
	stats_write(m, labels, n, &out);
	if (buf_failed(&out) ||
	    (body = arena_strndup(ctx->arena, buf_cstr(&out), out.len)) ==
	    NULL) {
		buf_free(&out);
		reply_internal(ctx, LK_ENOMEM, "the metrics exposition");
		return;
	}
	reply_text(ctx, 200, METRICS_TYPE, body, out.len);
	buf_free(&out);
}

static const struct route routes[] = {
	{ HTTP_GET, "/metrics", metrics,
	    "This host's metrics in the Prometheus text format" },
};

const struct route_table handlers_metrics = {
	routes, sizeof(routes) / sizeof(routes[0])
};
