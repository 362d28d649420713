/*
 * http.h: one FastCGI request and its response.
 *
 * The only module that touches FCGX: the accept loop holds a struct
 * http_conn, an opaque request slot on the listening socket.  It reads
 * the parameters latchkey
 * needs (copied into the request arena, so they outlive FCGX_Finish_r()),
 * enforces the body limit, and writes a response: a status, headers and a
 * JSON body.  Every response carries X-Request-Id and a JSON content type.
 */
#ifndef LK_HTTP_H
#define LK_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "util.h"

#define HTTP_REQUEST_ID_MAX	64
/*
 * The longest REQUEST_URI (path and query) judged: a longer one is
 * answered 414 and never routed, so no prefix of it is ever mistaken
 * for the whole.  The web server configs let a little more through, so
 * latchkey answers with its own JSON.
 */
#define HTTP_URI_MAX		8192
#define HTTP_HEADER_MAX		8192	/* a header value we copy */
#define HTTP_PARAMS_MAX		256	/* indexed; more: libfcgi looks up */

struct FCGX_Request;
struct http_conn;
struct lk_arena;

enum http_role {
	HTTP_RESPONDER,
	HTTP_AUTHORIZER
};

/* One FastCGI parameter, "NAME=value" split (http_param()). */
struct http_param {
	size_t		 name_len;
	const char	*name;		/* not terminated: name_len bytes */
	const char	*value;
};

struct http_req {
	struct FCGX_Request	*fcgx;
	enum http_role		 role;
	unsigned		 method;	/* enum router_method bit,
						 * 0 if unknown */
	const char		*method_str;
	const char		*uri;		/* REQUEST_URI as received */
	struct lk_str		 path;		/* mount prefix and query
						 * removed */
	struct lk_str		 query;		/* without '?' */
	const char		*content_type;	/* NULL if absent */
	long			 content_length;
	const char		*remote_addr;
	const char		*user_agent;
	char			 request_id[HTTP_REQUEST_ID_MAX + 1];
	struct lk_str		 body;		/* arena-owned,
						 * NUL-terminated */
	int			 body_too_big;	/* over max_body_bytes: 413 */
	int			 uri_too_long;	/* over HTTP_URI_MAX: 414; path
						 * cut, query empty */
	int64_t			 start_us;	/* monotonic, for durations */
	struct http_param	*params;	/* arena: the FastCGI params
						 * by name length; NULL: ask
						 * libfcgi */
	size_t			 nparams;
};

/*
 * Reads the request's parameters and body into req, allocating from arena.
 * The body is read only if it fits max_body; otherwise body_too_big is
 * set and the body is drained unread.  A REQUEST_URI longer than
 * HTTP_URI_MAX sets uri_too_long, leaves a cut path (for the history
 * only) and an empty query.  Errors: LK_ENOMEM, LK_EIO (the web server
 * hung up).
 */
/*
 * Opens a request slot accepting on listen_fd (libfcgi set up once per
 * process).  *out is freed with http_conn_close().  Errors: LK_ENOMEM,
 * LK_EIO (libfcgi refused).
 */
enum lk_err	 http_conn_open(int listen_fd, struct http_conn **out)
		    LK_MUST_CHECK;
void		 http_conn_close(struct http_conn *);
/* Waits for the next request.  Returns 0, or -1 with errno set (EINTR
 * after http_shutdown(), EMFILE...). */
int		 http_accept(struct http_conn *);
/* Flushes and ends the accepted request; what http_read() copied into
 * the arena stays valid. */
void		 http_finish(struct http_conn *);
/* Tells a blocked http_accept() to return; async-signal-safe. */
void		 http_shutdown(void);

enum lk_err	 http_read(struct http_req *, struct http_conn *,
		    struct lk_arena *, struct util_uuid_pool *ids,
		    const char *mount_prefix, size_t max_body) LK_MUST_CHECK;

/* Returns a FastCGI parameter such as "HTTP_X_API_KEY", or NULL. */
const char	*http_param(const struct http_req *, const char *name);

/*
 * Finds query parameter name and percent-decodes its first value into the
 * arena.  *count, if not NULL, receives how many times it occurs.
 * Errors: LK_ENOTFOUND, LK_EINVAL (bad percent-encoding), LK_ENOMEM.
 */
enum lk_err	 http_query(const struct http_req *, struct lk_arena *,
		    const char *name, const char **value, int *count)
		    LK_MUST_CHECK;

/* Returns the reason phrase of a status code. */
const char	*http_reason(int status);

/*
 * Writes the response: status, the fixed headers, extra_headers (zero or
 * more "Name: value\r\n" lines, already checked for CR/LF injection),
 * and body.  Errors: LK_EIO when the web server is gone.
 */
enum lk_err	 http_send(struct http_req *, int status,
		    const char *extra_headers, const char *body, size_t len)
		    LK_MUST_CHECK;
#define HTTP_TYPE_JSON	"application/json; charset=utf-8"
/* http_send() with another Content-Type (a constant: never a caller's
 * bytes). */
enum lk_err	 http_send_type(struct http_req *, int status,
		    const char *type, const char *extra_headers,
		    const char *body, size_t len) LK_MUST_CHECK;

/*
 * Writes an authorizer's grant: "Status: 200" and, of headers (lines
 * "Name: value\r\n"), only those whose name starts with "Variable-".
 * Errors: LK_EIO.
 */
enum lk_err	 http_send_grant(struct http_req *, const char *headers)
		    LK_MUST_CHECK;

/* Returns 1 if s may appear in a header value (no CR, LF or NUL; printable). */
int		 http_header_safe(const char *s, size_t len);

/* Microseconds of the monotonic clock. */
int64_t		 http_now_us(void);

/* The one mapping of an error to an HTTP status (500 for the unexpected). */
int		 http_status_for(enum lk_err);

#endif
