/*
 * reqlog.h: the request history, from a worker's answered request to a
 * row in latchkey.request_log.
 *
 * A worker redacts and serialises the record itself, then hands it to the
 * writer process over a SOCK_SEQPACKET channel the master created before
 * forking, before it finishes the request.  So a record is in the kernel's
 * queue before the caller has its response, and a worker killed right
 * after answering loses nothing.  The writer batches records and appends
 * them with one call per batch (latchkey.append_requests()), so the
 * database write never sits between a caller and its response.  The same
 * channel carries audit events recorded outside an org transaction.
 */
#ifndef LK_REQLOG_H
#define LK_REQLOG_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "conf.h"
#include "err.h"

#define REQLOG_MSG_MAX		(192 * 1024)	/* one record */
#define REQLOG_BATCH_ROWS	1000
#define REQLOG_FLUSH_MS		50

enum reqlog_kind {
	REQLOG_REQUEST = 'R',	/* a request_log row */
	REQLOG_EVENT = 'E'	/* an audit_events row */
};

/* What a worker knows of a finished request, bodies already redacted. */
struct reqlog_row {
	const char	*id;		/* row uuid */
	const char	*request_id;
	const char	*org_id;	/* NULL: failed before an org */
	const char	*mode;
	const char	*role;		/* "responder" or "authorizer" */
	const char	*credential_kind;
	const char	*credential_id;
	const char	*user_id;
	const char	*method;
	const char	*path;
	const char	*query;		/* redacted */
	int		 status;
	const char	*error_code;
	int64_t		 duration_us;
	const char	*client_ip;
	const char	*user_agent;
	const char	*request_body;	/* redacted, truncated, or NULL */
	size_t		 request_body_len;
	const char	*response_body;
	size_t		 response_body_len;
	int64_t		 created_us;	/* wall clock, microseconds */
};

/* Creates the channel (master, before forking): fds[0] is read by the
 * writer, fds[1] written by the workers.  Errors: LK_EIO. */
enum lk_err	reqlog_channel(int fds[2]) LK_MUST_CHECK;

/* Appends r as one JSON object (the writer's row format) to out. */
void		reqlog_row_json(const struct reqlog_row *r, struct lk_buf *out);

/*
 * Sends one record of kind with its JSON text.  Waits a bounded time if
 * the channel is full.  Errors: LK_ETOOBIG (over REQLOG_MSG_MAX), LK_EIO
 * (channel full for too long, or closed): the record is lost and the
 * caller logs it.
 */
enum lk_err	reqlog_send(int fd, enum reqlog_kind, const char *json,
		    size_t len) LK_MUST_CHECK;

struct authcache;

/* The writer process: reads records, appends them in batches, and on
 * *stop drains the channel, flushes and returns.  It also LISTENs on
 * latchkey_auth and empties cache (if not NULL) on every notice, and
 * whenever its session was lost (notices may have been missed). */
void		reqlog_writer(const struct lk_config *, int fd,
		    volatile sig_atomic_t *stop, struct authcache *cache);

#endif
