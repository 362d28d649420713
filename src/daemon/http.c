/*
 * http.c: the FastCGI side of a request.  The only file that includes
 * fcgiapp.h.  Copies what the rest of latchkey needs out of the FCGX
 * request into the arena, so nothing refers to FCGX memory after
 * FCGX_Finish_r() frees it.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fastcgi.h>
#include <fcgiapp.h>

#include "buf.h"
#include "http.h"
#include "router.h"
#include "sanitize.h"
#include "util.h"

#define DRAIN_CHUNK	4096

static const struct {
	int		 status;
	const char	*reason;
} reasons[] = {
	{ 200, "OK" },
	{ 201, "Created" },
	{ 204, "No Content" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 409, "Conflict" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 415, "Unsupported Media Type" },
	{ 422, "Unprocessable Content" },
	{ 429, "Too Many Requests" },
	{ 500, "Internal Server Error" },
	{ 503, "Service Unavailable" },
};

const char *
http_reason(int status)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		if (reasons[i].status == status) {
			return reasons[i].reason;
		}
	}
	return "Unknown";
}

int64_t
http_now_us(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1) {
		return 0;
	}
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int
http_header_safe(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f) {
			return 0;
		}
	}
	return 1;
}

/*
 * Indexes the request's params once: a handler asks for a dozen of them
 * (credentials, mode, org, address...), and FCGX_GetParam() runs
 * strncmp() over every param for each (7 % of a worker's instructions
 * on GET /v1/me, callgrind).  Here a look-up compares lengths first.
 * Without arena room, http_param() asks libfcgi instead.
 */
static void
index_params(struct http_req *req, struct lk_arena *a)
{
	char **e = req->fcgx->envp;
	const char *eq;
	size_t n = 0, i;

	for (n = 0; e[n] != NULL && n < HTTP_PARAMS_MAX; n++) {
		continue;
	}
	if (e[n] != NULL || (req->params = arena_alloc(a,
	    (n > 0 ? n : 1) * sizeof(*req->params))) == NULL) {
		req->params = NULL;
		return;
	}
	for (i = 0; i < n; i++) {
		if ((eq = strchr(e[i], '=')) == NULL) {
			eq = e[i] + strlen(e[i]);	/* no value: never found */
			req->params[req->nparams].name_len = SIZE_MAX;
		} else {
			req->params[req->nparams].name_len =
			    (size_t)(eq - e[i]);
		}
		req->params[req->nparams].name = e[i];
		req->params[req->nparams].value = *eq == '=' ? eq + 1 : eq;
		req->nparams++;
	}
}

const char *
http_param(const struct http_req *req, const char *name)
{
	size_t len, i;

	if (req->params == NULL) {
		return FCGX_GetParam(name, req->fcgx->envp);
	}
	len = strlen(name);
	/* The first match, as FCGX_GetParam() answers. */
	for (i = 0; i < req->nparams; i++) {
		if (req->params[i].name_len == len &&
		    memcmp(req->params[i].name, name, len) == 0) {
			return req->params[i].value;
		}
	}
	return NULL;
}

/* An incoming X-Request-Id is kept if it is short and plain. */
static int
request_id_sane(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > HTTP_REQUEST_ID_MAX) {
		return 0;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '-' && c != '_' && c != '.' &&
		    c != ':') {
			return 0;
		}
	}
	return 1;
}

static const char *
copy_param(const struct http_req *req, struct lk_arena *a, const char *name)
{
	const char *v = http_param(req, name);

	if (v == NULL) {
		return NULL;
	}
	return arena_strndup(a, v, strnlen(v, HTTP_HEADER_MAX));
}

/* Reads and discards the rest of the body so the connection stays sane. */
static void
drain(struct FCGX_Request *f)
{
	char scratch[DRAIN_CHUNK];

	while (FCGX_GetStr(scratch, sizeof(scratch), f->in) > 0) {
		;
	}
}

static enum lk_err
read_body(struct http_req *req, struct lk_arena *a, size_t max_body)
{
	struct FCGX_Request *f = req->fcgx;
	char *body;
	size_t len = 0;
	int n;

	if (req->content_length <= 0) {
		req->body.p = "";
		req->body.len = 0;
		return LK_OK;
	}
	if ((size_t)req->content_length > max_body) {
		req->body_too_big = 1;
		drain(f);
		return LK_OK;
	}
	if ((body = arena_alloc(a, (size_t)req->content_length + 1)) == NULL) {
		return LK_ENOMEM;
	}
	while (len < (size_t)req->content_length) {
		n = FCGX_GetStr(body + len,
		    (int)((size_t)req->content_length - len), f->in);
		if (n <= 0) {
			break;
		}
		len += (size_t)n;
	}
	if (len < (size_t)req->content_length) {
		return LK_EIO;	/* the web server hung up mid-body */
	}
	body[len] = '\0';
	req->body.p = body;
	req->body.len = len;
	return LK_OK;
}

struct http_conn {
	FCGX_Request	 req;
};

enum lk_err
http_conn_open(int listen_fd, struct http_conn **out)
{
	struct http_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		return LK_ENOMEM;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&c->req, listen_fd,
	    FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		free(c);
		return LK_EIO;
	}
	*out = c;
	return LK_OK;
}

void
http_conn_close(struct http_conn *c)
{
	if (c != NULL) {
		FCGX_Free(&c->req, 1);
		free(c);
	}
}

int
http_accept(struct http_conn *c)
{
	return FCGX_Accept_r(&c->req) < 0 ? -1 : 0;
}

void
http_finish(struct http_conn *c)
{
	FCGX_Finish_r(&c->req);
}

void
http_shutdown(void)
{
	FCGX_ShutdownPending();
}

enum lk_err
http_read(struct http_req *req, struct http_conn *c, struct lk_arena *a,
    struct util_uuid_pool *ids, const char *mount_prefix, size_t max_body)
{
	struct FCGX_Request *f = &c->req;
	const char *uri, *q, *cl, *rid;
	size_t plen = strlen(mount_prefix), ulen;
	long n;

	memset(req, 0, sizeof(*req));
	req->fcgx = f;
	req->start_us = http_now_us();
	req->role = f->role == FCGI_AUTHORIZER ? HTTP_AUTHORIZER :
	    HTTP_RESPONDER;
	index_params(req, a);
	req->method_str = copy_param(req, a, "REQUEST_METHOD");
	if (req->method_str == NULL) {
		req->method_str = "";
	}
	req->method = router_method_parse(req->method_str);
	if ((uri = http_param(req, "REQUEST_URI")) == NULL) {
		uri = "/";
	}
	if (strnlen(uri, HTTP_URI_MAX + 1) > HTTP_URI_MAX) {
		req->uri_too_long = 1;
	}
	if ((uri = arena_strndup(a, uri, strnlen(uri, HTTP_URI_MAX))) ==
	    NULL) {
		return LK_ENOMEM;
	}
	req->uri = uri;
	req->content_type = copy_param(req, a, "CONTENT_TYPE");
	req->remote_addr = copy_param(req, a, "REMOTE_ADDR");
	req->user_agent = copy_param(req, a, "HTTP_USER_AGENT");
	rid = http_param(req, "HTTP_X_REQUEST_ID");
	if (rid != NULL && request_id_sane(rid)) {
		memcpy(req->request_id, rid, strlen(rid) + 1);
	} else if (util_uuid_v4_pooled(ids, req->request_id) != LK_OK) {
		return LK_ECRYPTO;
	}

	ulen = strlen(uri);
	req->query.p = "";
	if ((q = memchr(uri, '?', ulen)) != NULL) {
		/* A cut query is not the query: none is read or kept. */
		if (!req->uri_too_long) {
			req->query.p = q + 1;
			req->query.len = ulen - (size_t)(q - uri) - 1;
		}
		ulen = (size_t)(q - uri);
	}
	req->path.p = uri;
	req->path.len = ulen;
	/* Strip the mount prefix only at a segment boundary, and only for
	 * the management API: an authorizer request names the upstream's
	 * own path. */
	if (req->role == HTTP_RESPONDER && plen > 0 && ulen >= plen &&
	    memcmp(uri, mount_prefix, plen) == 0 &&
	    (ulen == plen || uri[plen] == '/')) {
		req->path.p = uri + plen;
		req->path.len = ulen - plen;
	}
	if (req->path.len == 0) {
		req->path.p = "/";
		req->path.len = 1;
	}

	cl = http_param(req, "CONTENT_LENGTH");
	if (cl != NULL && *cl != '\0') {
		if (util_parse_long(cl, strlen(cl), 0, LONG_MAX, &n) != LK_OK) {
			/* The web server vouches for this value; treat junk
			 * as too big rather than guess. */
			req->body_too_big = 1;
			drain(f);
			return LK_OK;
		}
		req->content_length = n;
	}
	return read_body(req, a, max_body);
}

/* Percent-decodes s (len bytes) into the arena (util_url_decode()). */
static enum lk_err
decode(struct lk_arena *a, const char *s, size_t len, const char **out)
{
	char *d;
	size_t n;
	enum lk_err e;

	if ((d = arena_alloc(a, len + 1)) == NULL) {
		return LK_ENOMEM;
	}
	if ((e = util_url_decode(s, len, d, &n)) != LK_OK) {
		return e;
	}
	/* Bytes that are not UTF-8 text have no business in a value either:
	 * PostgreSQL would refuse them as a parameter. */
	if (!sanitize_text_ok(d, n)) {
		return LK_EINVAL;
	}
	*out = d;
	return LK_OK;
}

enum lk_err
http_query(const struct http_req *req, struct lk_arena *a, const char *name,
    const char **value, int *count)
{
	const char *p = req->query.p, *end = p + req->query.len;
	const char *first = NULL;
	size_t nlen = strlen(name), firstlen = 0;
	int seen = 0;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pe = amp != NULL ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(pe - p));
		const char *ke = eq != NULL ? eq : pe;

		if ((size_t)(ke - p) == nlen && memcmp(p, name, nlen) == 0) {
			if (seen++ == 0) {
				first = eq != NULL ? eq + 1 : pe;
				firstlen = (size_t)(pe - first);
			}
		}
		p = amp != NULL ? amp + 1 : end;
	}
	if (count != NULL) {
		*count = seen;
	}
	if (seen == 0) {
		return LK_ENOTFOUND;
	}
	return decode(a, first, firstlen, value);
}

/* Writes the string s to the stream. */
static enum lk_err
put(FCGX_Stream *out, const char *s)
{
	size_t n = strlen(s);

	if (n > (size_t)INT32_MAX || FCGX_PutStr(s, (int)n, out) != (int)n) {
		return LK_EIO;
	}
	return LK_OK;
}

enum lk_err
http_send(struct http_req *req, int status, const char *extra_headers,
    const char *body, size_t len)
{
	return http_send_type(req, status, HTTP_TYPE_JSON, extra_headers,
	    body, len);
}

enum lk_err
http_send_type(struct http_req *req, int status, const char *type,
    const char *extra_headers, const char *body, size_t len)
{
	static const char fixed[] =
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "X-Request-Id: ";
	FCGX_Stream *out = req->fcgx->out;
	char code[3];

	/* Pieces into libfcgi's buffer, not FCGX_FPrintF(): its printf
	 * was a visible share of a worker's CPU per request (measured). */
	if (status < 100 || status > 999) {
		status = 500;
	}
	code[0] = (char)('0' + status / 100);
	code[1] = (char)('0' + status / 10 % 10);
	code[2] = (char)('0' + status % 10);
	if (put(out, "Status: ") != LK_OK ||
	    FCGX_PutStr(code, 3, out) != 3 ||
	    FCGX_PutChar(' ', out) != ' ' ||
	    put(out, http_reason(status)) != LK_OK ||
	    put(out, "\r\nContent-Type: ") != LK_OK ||
	    put(out, type) != LK_OK ||
	    put(out, "\r\n") != LK_OK ||
	    FCGX_PutStr(fixed, sizeof(fixed) - 1, out) !=
	    (int)sizeof(fixed) - 1 ||
	    put(out, req->request_id) != LK_OK ||
	    put(out, "\r\n") != LK_OK ||
	    (extra_headers != NULL && put(out, extra_headers) != LK_OK) ||
	    put(out, "\r\n") != LK_OK) {
		return LK_EIO;
	}
	if (len > 0 && len <= (size_t)INT32_MAX &&
	    FCGX_PutStr(body, (int)len, out) != (int)len) {
		return LK_EIO;
	}
	return LK_OK;
}

int
http_status_for(enum lk_err e)
{
	switch (e) {
	case LK_OK:
		return 200;
	case LK_EINVAL:
		return 422;
	case LK_ETOOBIG:
		return 413;
	case LK_ENOTFOUND:
		return 404;
	case LK_EEXPIRED:
	case LK_EREVOKED:
		return 401;
	case LK_EDENIED:
		return 403;
	case LK_ECONFLICT:
		return 409;
	case LK_EUNAVAIL:
		return 503;
	case LK_ENOMEM:
	case LK_EDB:
	case LK_ECRYPTO:
	case LK_EIO:
	case LK_ERR_COUNT:
		break;
	}
	return 500;
}

enum lk_err
http_send_grant(struct http_req *req, const char *headers)
{
	FCGX_Stream *out = req->fcgx->out;
	const char *p = headers, *nl;
	size_t n;

	if (put(out, "Status: 200 OK\r\n") != LK_OK) {
		return LK_EIO;
	}
	for (; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL) {
			break;
		}
		n = (size_t)(nl - p) + 1;
		if (strncmp(p, "Variable-", 9) == 0 &&
		    FCGX_PutStr(p, (int)n, out) != (int)n) {
			return LK_EIO;
		}
	}
	if (FCGX_PutStr("\r\n", 2, out) != 2) {
		return LK_EIO;
	}
	return LK_OK;
}
