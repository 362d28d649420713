/*
 * reqlog.c: the request-history channel and its writer process.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "authcache.h"
#include "db.h"
#include "log.h"
#include "reqlog.h"
#include "util.h"

#define CHANNEL_BUF		(4 * 1024 * 1024)
#define SEND_WAIT_MS		200
#define PENDING_MAX		(64u * 1024 * 1024)	/* per kind, in memory */
#define RETRY_MIN_MS		100
#define RETRY_MAX_MS		5000
#define STOP_RETRIES		5

static const struct db_stmt append_requests = {
	"reqlog_append_requests",
	"SELECT latchkey.append_requests($1::jsonb)",
	1
};

static const struct db_stmt append_events = {
	"reqlog_append_events",
	"SELECT latchkey.append_events($1::jsonb)",
	1
};

enum lk_err
reqlog_channel(int fds[2])
{
	int size = CHANNEL_BUF;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) == -1) {
		log_err("socketpair: %s", strerror(errno));
		return LK_EIO;
	}
	/* The kernel caps these at its maxima; bigger is only better. */
	if (setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &size,
	    sizeof(size)) == -1 || setsockopt(fds[0], SOL_SOCKET, SO_RCVBUF,
	    &size, sizeof(size)) == -1) {
		log_warn("cannot size the request-log channel: %s",
		    strerror(errno));
	}
	return LK_OK;
}

static void
add_str(struct lk_buf *b, const char *key, const char *v, size_t len,
    int comma)
{
	if (comma) {
		buf_putc(b, ',');
	}
	buf_json_str(b, key, strlen(key));
	buf_putc(b, ':');
	if (v == NULL) {
		buf_puts(b, "null");
	} else {
		buf_json_str(b, v, len);
	}
}

static void
add_cstr(struct lk_buf *b, const char *key, const char *v)
{
	add_str(b, key, v, v != NULL ? strlen(v) : 0, 1);
}

void
reqlog_row_json(const struct reqlog_row *r, struct lk_buf *b)
{
	char ts[RFC3339_LEN + 8];
	int64_t secs = r->created_us / 1000000;
	char base[RFC3339_LEN + 1];

	if (time_format(secs, base) != LK_OK ||
	    snprintf(ts, sizeof(ts), "%.19s.%06lldZ", base,
	    (long long)(r->created_us % 1000000)) < 0) {
		ts[0] = '\0';
	}
	buf_putc(b, '{');
	add_str(b, "id", r->id, strlen(r->id), 0);
	add_cstr(b, "request_id", r->request_id);
	add_cstr(b, "org_id", r->org_id);
	add_cstr(b, "mode", r->mode);
	add_cstr(b, "role", r->role);
	add_cstr(b, "credential_kind", r->credential_kind);
	add_cstr(b, "credential_id", r->credential_id);
	add_cstr(b, "user_id", r->user_id);
	add_cstr(b, "method", r->method);
	add_cstr(b, "path", r->path);
	add_cstr(b, "query", r->query);
	buf_printf(b, ",\"status\":%d", r->status);
	add_cstr(b, "error_code", r->error_code);
	buf_printf(b, ",\"duration_us\":%lld", (long long)r->duration_us);
	add_cstr(b, "client_ip", r->client_ip);
	add_cstr(b, "user_agent", r->user_agent);
	add_str(b, "request_body", r->request_body, r->request_body_len, 1);
	add_str(b, "response_body", r->response_body, r->response_body_len,
	    1);
	add_cstr(b, "created_at", ts[0] != '\0' ? ts : NULL);
	buf_putc(b, '}');
}

enum lk_err
reqlog_send(int fd, enum reqlog_kind kind, const char *json, size_t len)
{
	struct iovec iov[2];
	struct msghdr msg;
	struct pollfd pfd;
	char k = (char)kind;
	ssize_t n;
	int tries;

	if (len + 1 > REQLOG_MSG_MAX) {
		return LK_ETOOBIG;
	}
	iov[0].iov_base = &k;
	iov[0].iov_len = 1;
	iov[1].iov_base = (void *)(uintptr_t)json;
	iov[1].iov_len = len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	for (tries = 0; tries < 2; tries++) {
		n = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == (ssize_t)(len + 1)) {
			return LK_OK;
		}
		if (n == -1 && errno == EINTR) {
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* The writer is behind: wait a little, once. */
			pfd.fd = fd;
			pfd.events = POLLOUT;
			(void)poll(&pfd, 1, SEND_WAIT_MS);
			continue;
		}
		break;
	}
	return LK_EIO;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1) {
		return 0;
	}
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A batch of one kind: a JSON array being built. */
struct batch {
	const struct db_stmt	*st;
	const char		*what;
	struct lk_buf		 json;
	size_t			 n;
	unsigned long		 dropped;
};

static void
batch_init(struct batch *b, const struct db_stmt *st, const char *what)
{
	b->st = st;
	b->what = what;
	buf_init(&b->json, PENDING_MAX);
	b->n = 0;
	b->dropped = 0;
}

/* Writes the batch; keeps it when the database is unavailable. */
static enum lk_err
flush(struct db *db, struct batch *b)
{
	const char *params[1];
	enum lk_err e;

	if (b->n == 0) {
		return LK_OK;
	}
	buf_putc(&b->json, ']');
	params[0] = buf_cstr(&b->json);
	e = db_exec(db, b->st, params, NULL);
	if (e != LK_EUNAVAIL) {
		if (e != LK_OK) {
			/* A batch the database rejects will not improve. */
			log_err("dropping %zu %s records: %s", b->n, b->what,
			    lk_err_str(e));
		}
		buf_reset(&b->json);
		b->n = 0;
		return e;
	}
	b->json.len--;		/* reopen the array */
	b->json.p[b->json.len] = '\0';
	return e;
}

static void
add(struct db *db, struct batch *b, const char *json, size_t len)
{
	if (b->json.len + len + 2 > b->json.max) {
		(void)flush(db, b);	/* makes room unless the db is down */
	}
	if (b->json.len + len + 2 > b->json.max) {
		if (b->dropped++ % 1000 == 0) {
			log_err("request-log backlog full: dropped %lu %s "
			    "records so far", b->dropped, b->what);
		}
		return;
	}
	buf_putc(&b->json, b->n == 0 ? '[' : ',');
	buf_append(&b->json, json, len);
	b->n++;
}

/*
 * Keeps a LISTEN session for cache invalidation: (re)connects when needed
 * and, on a new session, listens again and empties the cache, since
 * notices sent meanwhile were missed.  Then reads pending notices.
 */
static void
listen_auth(struct db *db, uint64_t *gen, struct authcache *cache)
{
	int n;

	if (cache == NULL) {
		return;
	}
	if (db_socket(db) < 0 && db_connect(db) != LK_OK) {
		return;		/* down: db_connect() backs off */
	}
	if (db_generation(db) != *gen) {
		if (db_command(db, "LISTEN latchkey_auth") != LK_OK) {
			return;
		}
		*gen = db_generation(db);
		authcache_flush(cache);
	}
	if ((n = db_notifications(db)) > 0) {
		authcache_flush(cache);
	}
}

void
reqlog_writer(const struct lk_config *cfg, int fd, volatile sig_atomic_t *stop,
    struct authcache *cache)
{
	struct batch rows, events;
	struct pollfd pfd[2];
	uint64_t gen = 0;
	struct db *db;
	char *msg;
	int64_t first = 0, retry_at = 0, now;
	int backoff = RETRY_MIN_MS, stopping_tries = 0, timeout;
	ssize_t n;

	if ((db = db_new(cfg->database_url)) == NULL ||
	    (msg = malloc(REQLOG_MSG_MAX)) == NULL) {
		log_err("request-log writer: out of memory");
		db_free(db);
		return;
	}
	batch_init(&rows, &append_requests, "request");
	batch_init(&events, &append_events, "event");
	for (;;) {
		now = mono_ms();
		if (rows.n + events.n == 0) {
			timeout = *stop ? 0 : 1000;
		} else {
			timeout = (int)(first + REQLOG_FLUSH_MS - now);
			if (retry_at > now && retry_at - now > timeout) {
				timeout = (int)(retry_at - now);
			}
			if (timeout < 0 || *stop) {
				timeout = 0;
			}
		}
		listen_auth(db, &gen, cache);
		pfd[0].fd = fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = cache != NULL ? db_socket(db) : -1;
		pfd[1].events = POLLIN;
		if (pfd[1].fd >= 0 && timeout > REQLOG_FLUSH_MS) {
			timeout = REQLOG_FLUSH_MS;	/* bounds a lost wakeup */
		}
		/* A timeout or EINTR needs no action: the loop re-checks. */
		(void)poll(pfd, 2, timeout);
		/* Drain what is queued, flushing full batches on the way. */
		while ((n = recv(fd, msg, REQLOG_MSG_MAX, MSG_DONTWAIT)) > 0) {
			struct batch *b = msg[0] == REQLOG_EVENT ? &events :
			    &rows;

			if (rows.n + events.n == 0) {
				first = mono_ms();
			}
			add(db, b, msg + 1, (size_t)n - 1);
			if (b->n >= REQLOG_BATCH_ROWS && retry_at <= mono_ms()) {
				(void)flush(db, b);
			}
		}
		now = mono_ms();
		if (rows.n + events.n > 0 && now >= retry_at &&
		    (now - first >= REQLOG_FLUSH_MS || *stop)) {
			if (flush(db, &rows) == LK_EUNAVAIL ||
			    flush(db, &events) == LK_EUNAVAIL) {
				retry_at = now + backoff;
				backoff = backoff * 2 > RETRY_MAX_MS ?
				    RETRY_MAX_MS : backoff * 2;
				if (*stop && ++stopping_tries >= STOP_RETRIES) {
					log_err("stopping with %zu requests "
					    "and %zu events unwritten: "
					    "database unavailable", rows.n,
					    events.n);
					break;
				}
			} else {
				backoff = RETRY_MIN_MS;
				retry_at = 0;
				first = now;
			}
		}
		if (*stop && rows.n + events.n == 0) {
			break;
		}
	}
	buf_free(&rows.json);
	buf_free(&events.json);
	free(msg);
	db_free(db);
}
