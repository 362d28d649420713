/*
 * hello.c: the FastCGI "hello" that latchkey's benchmarks are measured
 * against.  It owns nothing but a listening socket and a prefork pool: no
 * database, no parsing, no allocation per request, so that whatever the web
 * server and libfcgi cost is all it costs.  bench/run puts it behind the same
 * lighttpd configuration as latchkeyd, with the same number of workers.
 *
 * With -d it instead answers every request with a JSON object of the
 * FastCGI params it received (the harness uses this to show what each web
 * server sends, e.g. that Authorization arrives as HTTP_AUTHORIZATION).
 *
 * Usage: hello [-d] HOST:PORT WORKERS
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

#define HELLO_BACKLOG		256
#define HELLO_MAX_WORKERS	256

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
	fprintf(stderr, "usage: hello [-d] HOST:PORT WORKERS\n");
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
	    v > HELLO_MAX_WORKERS) {
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

/* Answers with {"NAME": "VALUE", ...} for every param, in arrival order. */
static void
dump_params(FCGX_Request *req)
{
	char	**e;
	char	 *eq;
	int	   first = 1;

	FCGX_PutS("Status: 200 OK\r\n"
	    "Content-Type: application/json\r\n\r\n{", req->out);
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
worker(int sock, int dump)
{
	FCGX_Request	req;

	if (FCGX_InitRequest(&req, sock, 0) != 0) {
		fprintf(stderr, "hello: FCGX_InitRequest failed\n");
		_exit(1);
	}
	while (FCGX_Accept_r(&req) >= 0) {
		if (dump) {
			dump_params(&req);
		} else {
			FCGX_PutStr(hello_response, sizeof(hello_response) - 1,
			    req.out);
		}
		FCGX_Finish_r(&req);
	}
	_exit(0);
}

static pid_t
spawn(int sock, int dump)
{
	pid_t	pid;

	pid = fork();
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		worker(sock, dump);
	}
	return pid;
}

int
main(int argc, char *argv[])
{
	struct sigaction	 sa;
	pid_t			 pids[HELLO_MAX_WORKERS];
	pid_t			 pid;
	int			 ch, dump = 0, i, nworkers, sock, status;

	while ((ch = getopt(argc, argv, "d")) != -1) {
		if (ch == 'd') {
			dump = 1;
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
		fprintf(stderr, "hello: FCGX_Init failed\n");
		return 1;
	}
	sock = FCGX_OpenSocket(argv[0], HELLO_BACKLOG);
	if (sock < 0) {
		fprintf(stderr, "hello: cannot listen on %s\n", argv[0]);
		return 1;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0 ||
	    sigaction(SIGINT, &sa, NULL) != 0) {
		perror("hello: sigaction");
		return 1;
	}

	for (i = 0; i < nworkers; i++) {
		pids[i] = spawn(sock, dump);
		if (pids[i] < 0) {
			perror("hello: fork");
			return 1;
		}
	}
	fprintf(stderr, "hello: listening on %s with %d workers%s\n",
	    argv[0], nworkers, dump ? " (dumping params)" : "");

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
				pids[i] = spawn(sock, dump);
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
