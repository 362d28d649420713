/*
 * prefork.c: master and workers.  The master waits for signals with
 * sigtimedwait() (all of them blocked), so no handler runs in the master
 * and every state change happens in its one loop.  A worker keeps SIGTERM
 * blocked while it answers a request, so a request in flight is never cut
 * short; the master repeats SIGTERM until the worker is gone, which also
 * covers a signal that lands just before the worker blocks in accept().
 */
#include "config.h"

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


#include "app.h"
#include "authcache.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "prefork.h"
#include "reqlog.h"
#include "sys.h"

#define LISTEN_BACKLOG		1024
#define RESPAWN_MIN_MS		100
#define RESPAWN_MAX_MS		10000
#define YOUNG_DEATH_MS		2000	/* dying sooner counts as a
					 * crash loop */
#define TERM_REPEAT_MS		200
#define EMFILE_PAUSE_MS		100

struct slot {
	pid_t		 pid;		/* 0: empty */
	int64_t		 started_ms;
	int64_t		 respawn_ms;	/* when an empty slot may be refilled */
	int		 backoff_ms;
};

static volatile sig_atomic_t worker_stop;

/* The request-history ring, mapped before the first fork; NULL if it
 * could not be had (then nothing is recorded). */
static struct reqlog_ring *ring;
/* The host's shared authentication cache; NULL if it could not be had. */
static struct authcache *cache;

static void
pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
		;
	}
}

int
prefork_listen(const struct lk_config *cfg)
{
	struct sockaddr_in sin;
	struct sockaddr_un sun;
	struct stat st;
	int fd, one = 1;

	switch (cfg->listen_kind) {
	case CONFIG_LISTEN_STDIN:
		return 0;
	case CONFIG_LISTEN_TCP:
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)cfg->listen_port);
		if (inet_pton(AF_INET, cfg->listen_host, &sin.sin_addr) != 1) {
			log_err("listen: %s is not an IPv4 address",
			    cfg->listen_host);
			return -1;
		}
		if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) ==
		    -1) {
			log_err("socket: %s", strerror(errno));
			return -1;
		}
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one)) == -1 ||
		    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
		    listen(fd, LISTEN_BACKLOG) == -1) {
			log_err("listen on %s:%d: %s", cfg->listen_host,
			    cfg->listen_port, strerror(errno));
			(void)close(fd);
			return -1;
		}
		return fd;
	case CONFIG_LISTEN_UNIX:
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(cfg->listen_path) >= sizeof(sun.sun_path)) {
			log_err("listen: socket path too long");
			return -1;
		}
		memcpy(sun.sun_path, cfg->listen_path,
		    strlen(cfg->listen_path) + 1);
		/* Remove a stale socket, never any other kind of file. */
		if (lstat(cfg->listen_path, &st) == 0 && S_ISSOCK(st.st_mode) &&
		    unlink(cfg->listen_path) == -1) {
			log_err("unlink %s: %s", cfg->listen_path,
			    strerror(errno));
			return -1;
		}
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) ==
		    -1) {
			log_err("socket: %s", strerror(errno));
			return -1;
		}
		if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
		    chmod(cfg->listen_path, cfg->listen_mode) == -1 ||
		    listen(fd, LISTEN_BACKLOG) == -1) {
			log_err("listen on %s: %s", cfg->listen_path,
			    strerror(errno));
			(void)close(fd);
			return -1;
		}
		return fd;
	}
	return -1;
}

void
prefork_unlisten(const struct lk_config *cfg, int fd)
{
	if (fd > 0) {
		(void)close(fd);
	}
	if (cfg->listen_kind == CONFIG_LISTEN_UNIX &&
	    unlink(cfg->listen_path) == -1 && errno != ENOENT) {
		log_warn("unlink %s: %s", cfg->listen_path, strerror(errno));
	}
}

static void
on_worker_term(int sig)
{
	(void)sig;
	worker_stop = 1;
	http_shutdown();
}

/* The worker: accept, answer, repeat until told to stop.  Never returns. */
static void
worker_main(const struct lk_config *cfg, int listen_fd)
{
	struct sigaction sa;
	sigset_t term, none;
	struct http_conn *conn;
	struct app_worker w;
	enum lk_err e;
	int rc;

	(void)prctl(PR_SET_NAME, "lk-worker", 0, 0, 0);	/* cosmetic */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_worker_term;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocked accept() must return on SIGTERM. */
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1) {
		log_err("sigaction: %s", strerror(errno));
		_exit(1);
	}
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1) {
		log_err("sigaction: %s", strerror(errno));
		_exit(1);
	}
	sa.sa_handler = SIG_DFL;
	if (sigaction(SIGCHLD, &sa, NULL) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1) {
		log_err("sigaction: %s", strerror(errno));
		_exit(1);
	}
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	sigemptyset(&none);
	/* The master's mask is inherited: only SIGTERM/SIGINT stay blocked
	 * until the accept loop opens them. */
	if (sigprocmask(SIG_SETMASK, &term, NULL) == -1) {
		_exit(1);
	}
	if (http_conn_open(listen_fd, &conn) != LK_OK) {
		log_err("cannot initialise libfcgi");
		_exit(1);
	}
	if ((e = app_worker_init(&w, cfg)) != LK_OK) {
		log_err("worker initialisation failed: %s", lk_err_str(e));
		_exit(1);
	}
	w.ring = ring;
	w.cache = cache;
	while (!worker_stop) {
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		rc = worker_stop ? -1 : http_accept(conn);
		(void)sigprocmask(SIG_SETMASK, &term, NULL);
		if (rc < 0) {
			if (worker_stop) {
				break;
			}
			if (errno == EMFILE || errno == ENFILE) {
				pause_ms(EMFILE_PAUSE_MS);
			}
			continue;
		}
		app_handle(&w, conn);
		http_finish(conn);
	}
	http_conn_close(conn);
	app_worker_free(&w);
	_exit(0);
}

/* The request-history writer: writes the ring's records into the
 * database until told to stop, then what was published by then.  A
 * writer that dies leaves its unacknowledged records in the ring for its
 * successor.  Never returns. */
static void
writer_main(const struct lk_config *cfg, int listen_fd)
{
	struct sigaction sa;
	sigset_t none;

	if (listen_fd > 0) {
		(void)close(listen_fd);	/* the writer accepts nothing */
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_worker_term;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1) {
		_exit(1);
	}
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1) {
		_exit(1);
	}
	sa.sa_handler = SIG_DFL;
	if (sigaction(SIGCHLD, &sa, NULL) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1) {
		_exit(1);
	}
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) == -1) {
		_exit(1);
	}
	/* Its own name, so operators (and tests) can tell it from the
	 * workers in ps. */
	(void)prctl(PR_SET_NAME, "lk-writer", 0, 0, 0);
	if (ring != NULL) {
		reqlog_writer(cfg, ring, &worker_stop, cache);
	}
	_exit(0);
}

static pid_t
spawn(const struct lk_config *cfg, int listen_fd, int writer)
{
	pid_t pid, master = getpid();

	if ((pid = fork()) == -1) {
		log_err("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/*
		 * A master killed outright (SIGKILL, the OOM killer) stops its
		 * children as SIGTERM would: orphaned workers would keep the
		 * listening socket open, so the web server would not fail over
		 * to another host and a new master could not bind it.  SIGTERM
		 * is blocked until the accept loop, so a request in flight
		 * still finishes, and the writer writes what was published.
		 */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) == -1 ||
		    getppid() != master) {
			_exit(1);	/* the master died before prctl */
		}
		if (writer) {
			writer_main(cfg, listen_fd);
		}
		worker_main(cfg, listen_fd);
	}
	return pid;
}

static void
signal_all(const struct slot *slots, int n, int sig)
{
	int i;

	for (i = 0; i < n; i++) {
		if (slots[i].pid > 0) {
			(void)kill(slots[i].pid, sig);
		}
	}
}

/* Reaps every exited child: a worker of slots gets a respawn time (later
 * when workers die young), one of retiring is simply forgotten.  When not
 * stopping, the last of slots is the request-log writer. */
static void
reap(struct slot *slots, int n, struct slot *retiring, int nret,
    int stopping)
{
	int64_t now = sys_mono_ms();
	const char *who;
	pid_t pid;
	int status, i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < nret; i++) {
			if (retiring[i].pid == pid) {
				retiring[i].pid = 0;
			}
		}
		for (i = 0; i < n; i++) {
			struct slot *s = &slots[i];

			if (s->pid != pid) {
				continue;
			}
			s->pid = 0;
			if (stopping) {
				break;
			}
			/* Outside a stop, slots ends with the writer. */
			who = i == n - 1 ? "request-log writer" : "worker";
			if (WIFSIGNALED(status)) {
				log_warn("%s %ld killed by signal %d", who,
				    (long)pid, WTERMSIG(status));
			} else {
				log_warn("%s %ld exited with status %d", who,
				    (long)pid, WEXITSTATUS(status));
			}
			if (now - s->started_ms < YOUNG_DEATH_MS) {
				s->backoff_ms = s->backoff_ms * 2;
				if (s->backoff_ms > RESPAWN_MAX_MS) {
					s->backoff_ms = RESPAWN_MAX_MS;
				}
			} else {
				s->backoff_ms = RESPAWN_MIN_MS;
			}
			s->respawn_ms = now + s->backoff_ms;
			metrics_count(STATS_WORKERS_RESPAWNED, i != n - 1);
		}
	}
}

static int
alive(const struct slot *slots, int n)
{
	int i, k = 0;

	for (i = 0; i < n; i++) {
		k += slots[i].pid > 0;
	}
	return k;
}

/* Stops the workers in slots: SIGTERM, repeated, then SIGKILL. */
static void
stop_all(struct slot *slots, int n, int timeout_s)
{
	int64_t deadline = sys_mono_ms() + (int64_t)timeout_s * 1000;

	while (alive(slots, n) > 0 && sys_mono_ms() < deadline) {
		signal_all(slots, n, SIGTERM);
		pause_ms(TERM_REPEAT_MS);
		reap(slots, n, NULL, 0, 1);
	}
	if (alive(slots, n) > 0) {
		log_warn("workers still busy after %d s; killing them",
		    timeout_s);
		signal_all(slots, n, SIGKILL);
		while (alive(slots, n) > 0) {
			pause_ms(10);
			reap(slots, n, NULL, 0, 1);
		}
	}
}

int
prefork_run(struct lk_config *cfg, const char *config_path, int listen_fd)
{
	struct slot slots[CONFIG_WORKERS_MAX + 1];
	struct slot retiring[CONFIG_WORKERS_MAX + 1];
	struct timespec wait_ts;
	sigset_t set;
	siginfo_t info;
	int n, nret = 0, i, sig;
	int64_t now, next;
	long cores;

	if (cfg->workers == 0) {
		cores = sysconf(_SC_NPROCESSORS_ONLN);
		cfg->workers = cores > 0 ? (int)(2 * cores) : 2;
		if (cfg->workers > CONFIG_WORKERS_MAX) {
			cfg->workers = CONFIG_WORKERS_MAX;
		}
	}
	n = cfg->workers;
	if (ring == NULL &&
	    (ring = reqlog_ring_create(REQLOG_RING_BYTES)) == NULL) {
		return 1;
	}
	if (metrics_map() != LK_OK) {
		log_warn("no shared memory for the metrics: GET /metrics "
		    "will show zeros");
	}
	if (cfg->auth_cache_ttl_ms > 0 &&
	    (cache = authcache_create()) == NULL) {
		log_warn("no shared memory for the auth cache: every request "
		    "will ask the database");
	}
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1) {
		log_err("sigprocmask: %s", strerror(errno));
		return 1;
	}
	memset(slots, 0, sizeof(slots));
	memset(retiring, 0, sizeof(retiring));
	for (i = 0; i <= n; i++) {
		slots[i].backoff_ms = RESPAWN_MIN_MS;
	}
	log_info("master started: %d workers and a request-log writer", n);
	for (;;) {
		now = sys_mono_ms();
		next = now + 1000;
		/* Slots 0..n-1 are workers, slot n the writer. */
		for (i = 0; i <= n; i++) {
			struct slot *s = &slots[i];

			if (s->pid > 0) {
				continue;
			}
			if (s->respawn_ms <= now) {
				s->pid = spawn(cfg, listen_fd, i == n);
				s->started_ms = now;
				if (s->pid == -1) {
					s->pid = 0;
					s->respawn_ms = now + RESPAWN_MAX_MS;
				}
			}
			if (s->pid == 0 && s->respawn_ms < next) {
				next = s->respawn_ms;
			}
		}
		stats_set(metrics_block(), STATS_WORKERS_ALIVE,
		    alive(slots, n));
		wait_ts.tv_sec = (next - now) / 1000;
		wait_ts.tv_nsec = (long)((next - now) % 1000) * 1000000;
		sig = sigtimedwait(&set, &info, &wait_ts);
		if (sig == -1) {
			continue;	/* timeout or EINTR: loop re-checks */
		}
		if (sig == SIGCHLD) {
			reap(slots, n + 1, retiring, nret, 0);
		} else if (sig == SIGTERM || sig == SIGINT) {
			log_info("stopping: waiting up to %d s for workers",
			    cfg->shutdown_timeout);
			stop_all(retiring, nret, cfg->shutdown_timeout);
			stop_all(slots, n, cfg->shutdown_timeout);
			/* Workers are gone: the writer drains what they
			 * sent, then leaves. */
			stop_all(&slots[n], 1, cfg->shutdown_timeout);
			log_info("stopped");
			return 0;
		} else if (sig == SIGHUP) {
			struct lk_config fresh;
			char err[CONFIG_ERR_MAX];

			if (config_load(&fresh, config_path, err) != LK_OK ||
			    config_validate_daemon(&fresh, err) != LK_OK) {
				log_err("reload refused: %s", err);
				continue;
			}
			if (fresh.listen_kind != cfg->listen_kind ||
			    fresh.listen_port != cfg->listen_port ||
			    strcmp(fresh.listen_path, cfg->listen_path) != 0 ||
			    strcmp(fresh.listen_host, cfg->listen_host) != 0) {
				log_warn("reload: listen changes need a "
				    "restart; keeping the old socket");
				fresh.listen_kind = cfg->listen_kind;
				fresh.listen_port = cfg->listen_port;
				memcpy(fresh.listen_host, cfg->listen_host,
				    sizeof(fresh.listen_host));
				memcpy(fresh.listen_path, cfg->listen_path,
				    sizeof(fresh.listen_path));
			}
			if (fresh.workers == 0) {
				fresh.workers = n;
			}
			/* Old workers finish their request and leave; new
			 * ones start now with the new config. */
			reap(slots, n + 1, retiring, nret, 0);
			nret = 0;
			for (i = 0; i <= CONFIG_WORKERS_MAX; i++) {
				if (retiring[i].pid > 0) {
					retiring[nret++] = retiring[i];
				}
			}
			for (i = 0; i <= n && nret <= CONFIG_WORKERS_MAX;
			    i++) {
				if (slots[i].pid > 0) {
					retiring[nret++] = slots[i];
					(void)kill(slots[i].pid, SIGTERM);
				}
			}
			config_wipe(cfg);
			*cfg = fresh;
			n = cfg->workers;
			memset(slots, 0, sizeof(slots));
			for (i = 0; i <= n; i++) {
				slots[i].backoff_ms = RESPAWN_MIN_MS;
			}
			log_info("reloaded %s: %d workers", config_path, n);
		}
	}
}
