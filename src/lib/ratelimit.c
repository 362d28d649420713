/*
 * ratelimit.c: rate-limit response headers.  Pure.
 */
#include "config.h"

#include "ratelimit.h"

static int
ceil_s(int ms)
{
	if (ms <= 0) {
		return 0;
	}
	return (ms + 999) / 1000;
}

int
ratelimit_retry_after(const struct rate_info *ri)
{
	int s = ceil_s(ri->retry_ms);

	return s < 1 ? 1 : s;
}

void
ratelimit_headers(const struct rate_info *ri, struct lk_buf *out)
{
	int limit, remaining, reset;

	if (!ri->present) {
		return;
	}
	buf_printf(out, "RateLimit-Policy: \"cred\";q=%d;w=%d, "
	    "\"org\";q=%d;w=%d\r\n", ri->cred_limit, RATELIMIT_WINDOW_S,
	    ri->org_limit, RATELIMIT_WINDOW_S);
	buf_printf(out, "RateLimit: \"cred\";r=%d;t=%d, \"org\";r=%d;t=%d\r\n",
	    ri->cred_remaining, ceil_s(ri->cred_reset_ms), ri->org_remaining,
	    ceil_s(ri->org_reset_ms));
	/* The legacy fields describe whichever policy is closer to
	 * refusing. */
	if (ri->org_remaining < ri->cred_remaining) {
		limit = ri->org_limit;
		remaining = ri->org_remaining;
		reset = ceil_s(ri->org_reset_ms);
	} else {
		limit = ri->cred_limit;
		remaining = ri->cred_remaining;
		reset = ceil_s(ri->cred_reset_ms);
	}
	buf_printf(out, "X-RateLimit-Limit: %d\r\nX-RateLimit-Remaining: %d\r\n"
	    "X-RateLimit-Reset: %d\r\n", limit, remaining, reset);
	if (!ri->allowed) {
		buf_printf(out, "Retry-After: %d\r\n",
		    ratelimit_retry_after(ri));
	}
}
