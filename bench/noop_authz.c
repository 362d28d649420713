/*
 * noop_authz.c: the no-op FastCGI authorizer that latchkey's authorizer
 * role is measured against.  Like hello.c it owns nothing but a listening
 * socket and a prefork pool: no database, no parsing, no allocation per
 * request.  It grants every request with the same set of Variable-*
 * headers that latchkey sends for an API key (fixed values), so the web
 * server does the same work on both sides of the comparison: bench/run
 * puts it behind the same lighttpd configuration as latchkeyd, with the
 * same number of workers.
 *
 * It also stands in for latchkeyd while the web server configs are
 * developed (the harness can run it in latchkeyd's place):
 *
 *   -d  deny every request with 403 and a JSON object of the FastCGI
 *       params received as the body (a denial's body reaches the client
 *       through both web servers; a grant's body is discarded), to see
 *       what each web server sends to an authorizer;
 *   -r  answer a RESPONDER request (the web server's "/" mount) with
 *       {"hello":"world"}, so one process can play both roles.
 *
 * Usage: noop_authz [-d] [-r] HOST:PORT WORKERS
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#define NOOP_BACKLOG		256
#define NOOP_MAX_WORKERS	256

/*
 * A grant: 200 and the variables, no body (an authorizer's 200 body is
 * discarded by the web server).  The values have the shape of latchkey's
 * for a live API key.
 */
static const char grant_response[] =
    "Status: 200 OK\r\n"
    "Variable-LK_ORG_ID: 00000000-0000-4000-8000-000000000001\r\n"
    "Variable-LK_MODE: live\r\n"
    "Variable-LK_KEY_ID: 00000000-0000-4000-8000-000000000002\r\n"
    "Variable-LK_USER_ID: 00000000-0000-4000-8000-000000000003\r\n"
    "Variable-LK_PERMISSIONS: *\r\n"
    "Variable-LK_REQUEST_ID: 00000000-0000-4000-8000-000000000004\r\n"
    "Variable-LK_CREDENTIAL_KIND: api_key\r\n"
    "\r\n";

static const char hello_response[] =
    "Status: 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "\r\n"
    "{\"hello\":\"world\"}\n";

static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: noop_authz [-d] [-r] HOST:PORT WORKERS\n");
	exit(2);
}

static int
parse_workers(const char *s, int *out)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 ||
	    v > NOOP_MAX_WORKERS) {
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* Writes s as the body of a JSON string (without the quotes). */
static void
put_json_string(FCGX_Stream *out, const char *s)
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

/* Denies with 403 and {"NAME": "VALUE", ...} of every param, in order. */
static void
deny_with_params(FCGX_Request *req)
{
	char	**e;
	char	 *eq;
	int	   first = 1;

	FCGX_PutS("Status: 403 Forbidden\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n\r\n{", req->out);
	for (e = req->envp; *e != NULL; e++) {
		eq = strchr(*e, '=');
		if (eq == NULL) {
			continue;
		}
		FCGX_PutS(first ? "\n  \"" : ",\n  \"", req->out);
		first = 0;
		*eq = '\0';
		put_json_string(req->out, *e);
		*eq = '=';
		FCGX_PutS("\": \"", req->out);
		put_json_string(req->out, eq + 1);
		FCGX_PutChar('"', req->out);
	}
	FCGX_PutS("\n}\n", req->out);
}

static void
worker(int sock, int dump, int respond)
{
	FCGX_Request	 req;
	const char	*role;

	if (FCGX_InitRequest(&req, sock, 0) != 0) {
		fprintf(stderr, "noop_authz: FCGX_InitRequest failed\n");
		_exit(1);
	}
	while (FCGX_Accept_r(&req) >= 0) {
		role = FCGX_GetParam("FCGI_ROLE", req.envp);
		if (respond && role != NULL && strcmp(role, "RESPONDER") == 0) {
			FCGX_PutStr(hello_response, sizeof(hello_response) - 1,
			    req.out);
		} else if (dump) {
			deny_with_params(&req);
		} else {
			FCGX_PutStr(grant_response, sizeof(grant_response) - 1,
			    req.out);
		}
		FCGX_Finish_r(&req);
	}
	_exit(0);
}

static pid_t
spawn(int sock, int dump, int respond)
{
	pid_t	pid;

	pid = fork();
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		worker(sock, dump, respond);
	}
	return pid;
}

int
main(int argc, char *argv[])
{
	struct sigaction	 sa;
	pid_t			 pids[NOOP_MAX_WORKERS];
	pid_t			 pid;
	int			 ch, dump = 0, respond = 0, i, nworkers, sock;
	int			 status;

	while ((ch = getopt(argc, argv, "dr")) != -1) {
		if (ch == 'd') {
			dump = 1;
		} else if (ch == 'r') {
			respond = 1;
		} else {
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 || parse_workers(argv[1], &nworkers) != 0) {
		usage();
	}

	if (FCGX_Init() != 0) {
		fprintf(stderr, "noop_authz: FCGX_Init failed\n");
		return 1;
	}
	sock = FCGX_OpenSocket(argv[0], NOOP_BACKLOG);
	if (sock < 0) {
		fprintf(stderr, "noop_authz: cannot listen on %s\n", argv[0]);
		return 1;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0 ||
	    sigaction(SIGINT, &sa, NULL) != 0) {
		perror("noop_authz: sigaction");
		return 1;
	}

	for (i = 0; i < nworkers; i++) {
		pids[i] = spawn(sock, dump, respond);
		if (pids[i] < 0) {
			perror("noop_authz: fork");
			return 1;
		}
	}
	fprintf(stderr, "noop_authz: listening on %s with %d workers%s%s\n",
	    argv[0], nworkers, dump ? " (denying with the params)" : "",
	    respond ? " (answering responders)" : "");

	/* Respawn a worker that dies; on SIGTERM or SIGINT stop them all. */
	while (!stopping) {
		pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno == EINTR) {
				continue;
			}
			break;
		}
		for (i = 0; i < nworkers && !stopping; i++) {
			if (pids[i] == pid) {
				pids[i] = spawn(sock, dump, respond);
			}
		}
	}
	for (i = 0; i < nworkers; i++) {
		if (pids[i] > 0) {
			(void)kill(pids[i], SIGTERM); /* It may be gone. */
		}
	}
	while (waitpid(-1, &status, 0) > 0 || errno == EINTR) {
		continue;
	}
	return 0;
}
