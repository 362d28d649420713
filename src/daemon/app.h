/*
 * app.h: a request's context and the steps every handler shares: parse the
 * body, authenticate, require a permission, validate fields, paginate,
 * reply.  Handlers decide; app.c sends.  The handlers' one include: its
 * declarations are grouped by the daemon file that defines them.
 */
#ifndef LK_APP_H
#define LK_APP_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "auth.h"
#include "buf.h"
#include "conf.h"
#include "err.h"
#include "http.h"
#include "jwt.h"
#include "netaddr.h"
#include "password.h"
#include "ratelimit.h"
#include "router.h"

#define APP_JSON_DEPTH		16
#define APP_LIST_DEFAULT	50
#define APP_LIST_MAX		100
#define APP_OWNED_MAX		8
#define APP_REDACT_MAX		32	/* redacted JSON field names */
#define APP_ARENA_LIMIT		(64u * 1024 * 1024)
/* The longest password field read: longer than any password the policy
 * accepts, so that it, not a length check, answers. */
#define APP_SECRET_FIELD_MAX	4096
#define APP_WORD_MAX		16	/* a role or mode name field */
#define APP_ECHO_MAX		200	/* bytes of a caller's path
					 * quoted back */

struct authcache;
struct authz_route;
struct db;
struct db_res;
struct db_stmt;
struct perm_set;
struct reqlog_ring;

/* What lives as long as a worker. */
struct app_worker {
	const struct lk_config	*cfg;
	struct db		*db;
	struct lk_arena		*arena;
	struct jwt_keys		 jwt;
	struct credential_role_perms	 roles;
	char			 dummy_hash[PASSWORD_HASH_MAX];
	struct lk_buf		 out;		/* response body */
	struct lk_buf		 headers;	/* extra response headers */
	struct reqlog_ring	*ring;		/* request history;
						 * NULL: none */
	struct authcache	*cache;		/* shared; NULL: none */
	struct lk_buf		 record;	/* the history record */
	struct lk_buf		 body;		/* reply_json()'s body */
	const char *const	*json_names;	/* history.c: the last
						 * reply_json() name list
						 * checked, and whether */
	int			 json_names_clean;	/* none is
						 * redacted */
	struct lk_buf		 scratch[3];	/* redacted query, bodies */
	struct util_uuid_pool	 ids;		/* request and record ids */
	int			 error_names;	/* history.c: 0 not yet
						 * known, 1 none redacted,
						 * 2 some */
	char			 redact_names[512];
	const char		*redact[APP_REDACT_MAX + 1];
	struct authz_route	*routes;	/* the authorizer's, malloc'd */
	size_t			 nroutes;
	struct authz_route	*org_routes;	/* every org's, by org;
						 * malloc'd */
	char			(*org_route_orgs)[37];	/* theirs */
	size_t			 norg_routes;
	uint64_t		 routes_epoch;	/* auth cache generation */
	int64_t			 routes_loaded;	/* monotonic seconds */
};

/* What lives as long as a request. */
struct lk_ctx {
	struct app_worker		*w;
	const struct lk_config	*cfg;
	struct http_req		*req;
	struct lk_arena		*arena;
	struct db		*db;
	struct route_match	 match;
	struct lk_identity		 id;	/* valid once authenticated */
	int			 authenticated;
	int			 identified;	/* id names the caller, even if
						 * refused (429): for history */
	int			 auth_changed;	/* flush the auth cache on
						 * commit */
	int			 allow_direct;	/* direct tokens welcome */
	const char		*cred_override;	/* "Bearer x": verify's */
	/* The decision. */
	int			 status;
	json_object		*reply;		/* success body; owned */
	const char		*text_type;	/* a success body not in
						 * JSON (reply_text()) */
	const char		*text_body;	/* arena or static */
	size_t			 text_len;
	const char *const	*json_names;	/* reply_json(): the body
						 * is w->body, these its
						 * member names */
	int			 no_history;	/* not a tenant's: no
						 * history record */
	const char		*err_code;	/* error body, when set */
	const char		*err_message;	/* arena or static */
	json_object		*err_fields;	/* 422 field errors; owned */
	int			 fields_lost;	/* a field error json-c could
						 * not record: 500 */
	json_object		*owned[APP_OWNED_MAX];	/* parsed bodies */
	size_t			 nowned;
};

/* app.c: the worker and dispatch. */

/* Sets up the worker (database handle, dummy hash).  Errors: LK_ENOMEM,
 * LK_ECRYPTO. */
enum lk_err	 app_worker_init(struct app_worker *, const struct lk_config *)
		    LK_MUST_CHECK;
void		 app_worker_free(struct app_worker *);
/* Answers one accepted FastCGI request. */
void		 app_handle(struct app_worker *, struct http_conn *);
/* The route tables the router matches, *n of them; static, never freed. */
const struct route_table *const *app_route_tables(size_t *n);
/* The label of each route index the request metrics count under
 * (stats.h): the two fixed ones, then every route of the router, in
 * order.  Writes at most max into labels and returns how many. */
size_t		 app_metrics_labels(const char **labels, size_t max);
/* Appends "name: value" to the response headers; an unsafe value (CR,
 * LF, NUL, non-printable) is dropped with a log line. */
void		 app_add_header(struct app_worker *, const char *name,
		    const char *value);

/*
 * Writes the request's client address into out (NETADDR_STR_MAX bytes):
 * netaddr_client() of REMOTE_ADDR and, when the peer is one of the
 * trusted_proxies, X-Forwarded-For.  The one place a handler, the
 * history or the audit trail learns who the client is, so that all
 * name the address the throttles count.  throttle_v6_64: IPv6 cut to
 * its /64 (a bucket); 0: the address in full.  "-" when REMOTE_ADDR is
 * absent or no address.
 */
void		 app_client_addr(const struct lk_ctx *, int throttle_v6_64,
		    char out[NETADDR_STR_MAX]);
/*
 * The client address a record (history row, audit event) keeps:
 * app_client_addr() in full, written into buf, or REMOTE_ADDR as the
 * web server gave it (NULL if absent) when that is no address or when
 * no proxy is trusted (the peer is then the client).  Returns
 * buf or the request's own string; neither needs freeing.
 */
const char	*app_client_ip(const struct lk_ctx *, char buf[NETADDR_STR_MAX]);

/* Returns s, or NULL when s is NULL or empty (an identity's unset
 * fields). */
static inline const char *
app_nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* reply.c: decisions. */

/* Decides a success response; takes ownership of body (NULL only for
 * 204 or an authorizer's grant: otherwise a failed json-c constructor,
 * decided as reply_internal()). */
void	 reply_success(struct lk_ctx *, int status, json_object *body);
/* Decides a success response whose body is not JSON: type is a
 * constant Content-Type, body (len bytes) must live as long as the
 * request (arena or static). */
void	 reply_text(struct lk_ctx *, int status, const char *type,
	    const char *body, size_t len);
/*
 * A success body written as JSON text rather than built with json-c:
 * reply_json_buf() empties the worker's body buffer and returns it, the
 * handler appends the JSON text json-c would print (compact, '/' not
 * escaped, strings through buf_json_str(), no doubles), and reply_json()
 * decides it.  names (NULL-terminated, static) lists every member name
 * the body holds at any depth: the history then knows without parsing
 * whether redaction would change it.  A body that did not fit is decided
 * as reply_internal().  Building GET /v1/me's reply with json-c and
 * printing it was about 12k instructions a request (callgrind).
 */
struct lk_buf *reply_json_buf(struct lk_ctx *);
void	 reply_json(struct lk_ctx *, int status, const char *const *names);
/* Decides an error response; message is copied. */
void	 reply_error(struct lk_ctx *, int status, const char *code,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* reply_error() with a message that is a static string of plain text (a
 * credential_fail's): not formatted, checked or copied, which was about
 * 1.5k instructions of every refused credential (callgrind). */
void	 reply_error_static(struct lk_ctx *, int status, const char *code,
	    const char *message);
/* Maps a failed database call to 503/409/422/500. */
void	 reply_db_error(struct lk_ctx *, enum lk_err);
/* Decides a 500 for an error that is not the database's (memory, a value
 * that does not fit, a json-c constructor), logging one line with the
 * request id, e and what failed. */
void	 reply_internal(struct lk_ctx *, enum lk_err, const char *what);
/* Decides 414: judging a prefix of the URI would judge another request. */
void	 reply_uri_too_long(struct lk_ctx *);

/* tx.c: the caller's transaction. */

/*
 * Runs st (a statement returning at most one row) in the open transaction
 * and returns its result, which the caller frees.  On a database error it
 * rolls back and decides the error; with no row it rolls back and decides
 * 404 not_found "no such <what>".  Both return NULL.
 */
struct db_res *tx_one_row(struct lk_ctx *, const struct db_stmt *st,
	    const char *const *params, const char *what);
/* Rolls back and decides reply_internal(). */
void	 tx_fail_internal(struct lk_ctx *, enum lk_err, const char *what);
/* tx_fail(), with a violation of the unique email of users told apart:
 * 409 email_taken. */
void	 tx_fail_email(struct lk_ctx *, enum lk_err);

/* Opens the caller's org-scoped transaction in mode (NULL: the caller's
 * own).  Returns 0, or -1 with the error decided. */
int	 tx_begin(struct lk_ctx *, const char *mode) LK_MUST_CHECK;
/* Commits, then replies with o (taken); or decides the database error. */
void	 tx_reply(struct lk_ctx *, int status, json_object *o);
/* The end of a change: audit_tx() (target_id and detail as there; detail
 * taken), then commit and reply status with o (taken); or roll back and
 * decide the error. */
void	 tx_audit_reply(struct lk_ctx *, int status, json_object *o,
	    const char *action, const char *target_type,
	    const char *target_id, json_object *detail);
/* Rolls back and decides the response for a failed statement. */
void	 tx_fail(struct lk_ctx *, enum lk_err);

/* require.c: authentication and permission steps. */

/*
 * Authenticates the request with any credential kind.  Returns 0, or -1
 * with the error response decided.
 */
int	 require_auth(struct lk_ctx *) LK_MUST_CHECK;
/* Returns 1 if the request's Origin (or Referer) is its own host's;
 * with neither header, !required. */
int	 require_same_origin(struct lk_ctx *, int required);
/* require_auth() plus a permission: 403 permission_denied naming it. */
int	 require_perm(struct lk_ctx *, const char *perm) LK_MUST_CHECK;

/* require_auth() plus the sandbox rule (authority_live_required()): a
 * test-mode credential gets 403 live_mode_required. */
int	 require_live(struct lk_ctx *) LK_MUST_CHECK;

/* validate.c: the body and its fields. */

/*
 * Parses the body as a JSON object: 415 unless the content type is JSON,
 * 400 on an empty or malformed body or one that is not an object.  *out is
 * owned by the context (freed after the response).
 */
int	 validate_body_object(struct lk_ctx *, json_object **out) LK_MUST_CHECK;

/* Field validation: collect messages, then fail once with 422. */
void	 validate_field_error(struct lk_ctx *, const char *field,
	    const char *msg);
/* Returns -1 (and decides the 422) if any field error was recorded. */
int	 validate_fields_check(struct lk_ctx *) LK_MUST_CHECK;

/*
 * Reads an optional string member: absent or null leaves *out NULL;
 * wrong type or length outside [minlen, maxlen] records a field error.
 * required turns absence into a field error too.
 */
void	 validate_string(struct lk_ctx *, json_object *obj, const char *name,
	    int required, size_t minlen, size_t maxlen, const char **out);
/* Reads an optional boolean member into *out (-1 if absent). */
void	 validate_bool(struct lk_ctx *, json_object *obj, const char *name,
	    int *out);
/* Records a field error for members of obj not in the NULL-terminated
 * list allowed. */
void	 validate_only(struct lk_ctx *, json_object *obj,
	    const char *const *allowed);
/* Records a field error for a password that breaks the policy
 * (PASSWORD_MIN_LEN to PASSWORD_MAX_LEN bytes); NULL is no error. */
void	 validate_password(struct lk_ctx *, const char *field, const char *pw);
/* Returns the path parameter name as a NUL-terminated arena string. */
const char *validate_path_param(struct lk_ctx *, const char *name);

/* page.c: keyset pagination. */

/* Pagination: ?limit= (1..APP_LIST_MAX) and ?cursor= ("<micros>.<uuid>").
 * Returns -1 with a 400 decided on a bad value. */
struct page {
	long		 limit;
	const char	*after_us;	/* NULL for the first page */
	const char	*after_id;
};
int	 page_parse(struct lk_ctx *, struct page *) LK_MUST_CHECK;

/*
 * Runs a keyset-paginated list in the caller's open transaction and
 * replies: st takes nfilters filter parameters (params[0..nfilters-1])
 * followed by the cursor (micros, id) and the limit, which this fills in
 * (params must have room for nfilters + 3).  row() gives each row's JSON,
 * column ccol its cursor.
 */
void	 page_query(struct lk_ctx *, const struct db_stmt *st,
	    const char **params, size_t nfilters, const struct page *,
	    json_object *(*row)(const struct db_res *, size_t), int ccol);

/* Replies an empty last page in the caller's open transaction. */
void	 page_reply_empty(struct lk_ctx *, const struct page *);

/*
 * A list whose filters cannot all be index conditions examines at most
 * PAGE_SCAN_ROWS rows per page, so that its cost does not grow with the
 * history (issue 14): a page may then hold fewer than limit items, even
 * none, with has_more true and next_cursor where the scan stopped.
 */
#define PAGE_SCAN_ROWS		10000
#define PAGE_SCAN_ROWS_TEXT	"10000"

/*
 * page_query() for such a list: st takes one more parameter after the
 * limit, the number of rows to examine (filled in here: params must have
 * room for nfilters + 4), and each row has two more columns: at fcol
 * true for the last row examined (the edge, returned whether it matches
 * or not), at fcol + 1 true for a row that matches every filter.
 */
void	 page_query_scan(struct lk_ctx *, const struct db_stmt *st,
	    const char **params, size_t nfilters, const struct page *,
	    json_object *(*row)(const struct db_res *, size_t), int ccol,
	    int fcol);

/* audit.c: the audit trail. */

/*
 * Records an audit event for the caller's org inside the open transaction,
 * so it commits or rolls back with the change it describes.  target_id and
 * detail (a JSON object, ownership taken) may be NULL.  Errors: those of
 * db_exec().
 */
enum lk_err audit_tx(struct lk_ctx *, const char *action,
	    const char *target_type, const char *target_id,
	    json_object *detail) LK_MUST_CHECK;
/* The same outside a transaction (a login, a refusal): the event goes to
 * the request-history writer; a lost event is logged. */
void	 audit_send(struct lk_ctx *, const char *action,
	    const char *target_type, const char *target_id,
	    json_object *detail);

/* authorizer.c: the AUTHORIZER role. */

/*
 * Decides method and path (len bytes) of the upstream by the most
 * specific route: public, or the caller authenticated (any credential,
 * direct tokens only on routes of their resource type) and holding the
 * route's permission.  *route is the deciding route (NULL when unrouted
 * requests are let through by configuration).  Returns 0 when allowed,
 * -1 with the error decided.
 */
int	 authorizer_route_check(struct lk_ctx *, const char *method,
	    const char *path, size_t len, const struct authz_route **route)
	    LK_MUST_CHECK;
/*
 * Answers an AUTHORIZER request: the request is for the upstream API.  An
 * allowed request gets 200 and the caller's identity as Variable-*
 * headers, which the web server hands the upstream; a refused one the
 * same JSON error the management API gives.
 */
void	 authorizer_handle(struct lk_ctx *);

/* history.c: the request-history record. */

/* Sends the request's history record to the writer (nothing when the
 * worker has no ring); a record that is lost is logged. */
void	 history_record(struct lk_ctx *);

/* jsonx.c: json-c helpers. */

/* json-c helpers: a new string, or JSON null for NULL. */
json_object *jsonx_str_or_null(const char *);
/* Adds key: value, or key: null when value is NULL. */
void	 jsonx_add_str(json_object *, const char *key, const char *value);
/* Adds key: v to o, taking v; with o NULL (a constructor that failed)
 * or on failure v is released, and the builder's NULL is caught at
 * reply_success(). */
void	 jsonx_add(json_object *o, const char *key, json_object *v);
/* Appends v to array a, taking v; as jsonx_add(). */
void	 jsonx_push(json_object *a, json_object *v);
/* Adds key: true/false from a PostgreSQL boolean ("t"/"f"). */
void	 jsonx_add_bool(json_object *, const char *key, const char *pg_bool);
/* One member of a row's JSON: key from column col, as text (or null)
 * or as a PostgreSQL boolean. */
struct jsonx_col {
	const char	*key;
	int		 col;
	int		 is_bool;
};
/* Adds the n members cols of row of res to o, in order. */
void	 jsonx_add_cols(json_object *o, const struct db_res *res, size_t row,
	    const struct jsonx_col *cols, size_t n);
#define JSONX_NCOLS(a)	(sizeof(a) / sizeof((a)[0]))
/* A new array of the set's patterns (NULL set: empty); NULL when json-c
 * is out of memory.  Caller owns the result. */
json_object *jsonx_perm_array(const struct perm_set *);
/* Adds who id is: kind, org_id, mode, user_id, api_key_id (an API key's
 * id, null for any other credential) and permissions. */
void	 jsonx_add_identity(json_object *, const struct lk_identity *id);
/* For reply_json(): appends "key":value as JSON text, value NULL as
 * null, with a leading comma unless first. */
void	 jsonx_text_str(struct lk_buf *, const char *key, const char *value,
	    int first);
/* For reply_json(): appends the members jsonx_add_identity() adds, as
 * JSON text, each after a comma unless first (the first one). */
void	 jsonx_text_identity(struct lk_buf *, const struct lk_identity *id,
	    int first);
/* The member names jsonx_text_identity() writes, NULL-terminated. */
#define JSONX_IDENTITY_NAMES	"kind", "org_id", "mode", "user_id", \
	"api_key_id", "permissions"

#endif
