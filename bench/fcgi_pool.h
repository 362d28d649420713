/*
 * fcgi_pool.h: what bench/hello.c and bench/noop_authz.c share, the
 * smallest FastCGI server there is: a listening socket, a prefork pool
 * that respawns a worker that dies, and a loop answering each request with
 * the program's answer().  No database, no parsing, no allocation per
 * request, so that the web server and libfcgi are all it costs.  Included
 * by exactly one .c file per program: everything here is static.
 */
#ifndef BENCH_FCGI_POOL_H
#define BENCH_FCGI_POOL_H

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#define POOL_BACKLOG		256
#define POOL_MAX_WORKERS	256

typedef void	(*pool_answer)(FCGX_Request *);

static volatile sig_atomic_t pool_stopping;

static void
pool_on_stop(int sig)
{
	(void)sig;
	pool_stopping = 1;
}

/* Parses WORKERS (1..POOL_MAX_WORKERS); -1 if it is not that. */
static int
pool_workers(const char *s, int *out)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 ||
	    v > POOL_MAX_WORKERS) {
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* Writes s as the body of a JSON string (without the quotes). */
static void
pool_json_string(FCGX_Stream *out, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			FCGX_PutChar('\\', out);
			FCGX_PutChar(*p, out);
		} else if (*p < 0x20) {
			FCGX_FPrintF(out, "\\u%04x", *p);
		} else {
			FCGX_PutChar(*p, out);
		}
	}
}

/* Answers with status and {"NAME": "VALUE", ...} of every FastCGI param,
 * in arrival order: what a web server sends, for looking at. */
static void
pool_dump_params(FCGX_Request *req, const char *status)
{
	char	**e;
	char	 *eq;
	int	   first = 1;

	FCGX_FPrintF(req->out, "Status: %s\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n\r\n{", status);
	for (e = req->envp; *e != NULL; e++) {
		if ((eq = strchr(*e, '=')) == NULL) {
			continue;
		}
		FCGX_PutS(first ? "\n  \"" : ",\n  \"", req->out);
		first = 0;
		*eq = '\0';
		pool_json_string(req->out, *e);
		*eq = '=';
		FCGX_PutS("\": \"", req->out);
		pool_json_string(req->out, eq + 1);
		FCGX_PutChar('"', req->out);
	}
	FCGX_PutS("\n}\n", req->out);
}

static void
pool_worker(const char *name, int sock, pool_answer answer)
{
	FCGX_Request	req;

	if (FCGX_InitRequest(&req, sock, 0) != 0) {
		fprintf(stderr, "%s: FCGX_InitRequest failed\n", name);
		_exit(1);
	}
	while (FCGX_Accept_r(&req) >= 0) {
		answer(&req);
		FCGX_Finish_r(&req);
	}
	_exit(0);
}

static pid_t
pool_spawn(const char *name, int sock, pool_answer answer)
{
	pid_t	pid;

	pid = fork();
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		pool_worker(name, sock, answer);
	}
	return pid;
}

/*
 * Listens on addr (HOST:PORT) with nworkers workers answering with
 * answer() until SIGTERM or SIGINT; respawns a worker that dies.
 * Returns the exit status.
 */
static int
pool_run(const char *name, const char *addr, int nworkers,
    pool_answer answer)
{
	struct sigaction	 sa;
	pid_t			 pids[POOL_MAX_WORKERS];
	pid_t			 pid;
	int			 i, sock, status;

	if (FCGX_Init() != 0) {
		fprintf(stderr, "%s: FCGX_Init failed\n", name);
		return 1;
	}
	if ((sock = FCGX_OpenSocket(addr, POOL_BACKLOG)) < 0) {
		fprintf(stderr, "%s: cannot listen on %s\n", name, addr);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = pool_on_stop;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0 ||
	    sigaction(SIGINT, &sa, NULL) != 0) {
		perror("sigaction");
		return 1;
	}
	for (i = 0; i < nworkers; i++) {
		if ((pids[i] = pool_spawn(name, sock, answer)) < 0) {
			perror("fork");
			return 1;
		}
	}
	fprintf(stderr, "%s: listening on %s with %d workers\n", name, addr,
	    nworkers);
	/* Respawn a worker that dies; on SIGTERM or SIGINT stop them all. */
	while (!pool_stopping) {
		if ((pid = waitpid(-1, &status, 0)) < 0) {
			if (errno == EINTR) {
				continue;
			}
			break;
		}
		for (i = 0; i < nworkers && !pool_stopping; i++) {
			if (pids[i] == pid) {
				pids[i] = pool_spawn(name, sock, answer);
			}
		}
	}
	for (i = 0; i < nworkers; i++) {
		if (pids[i] > 0) {
			(void)kill(pids[i], SIGTERM);	/* it may be gone */
		}
	}
	while (waitpid(-1, &status, 0) > 0 || errno == EINTR) {
		continue;
	}
	return 0;
}

#endif
