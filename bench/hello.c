/*
 * hello.c: the FastCGI "hello" that latchkey's benchmarks are measured
 * against (see fcgi_pool.h).  bench/run puts it behind the same lighttpd
 * configuration as latchkeyd, with the same number of workers.
 *
 * With -d it instead answers every request with a JSON object of the
 * FastCGI params it received (to show what each web server sends, e.g.
 * that Authorization arrives as HTTP_AUTHORIZATION).
 *
 * Usage: hello [-d] HOST:PORT WORKERS
 */

#include "fcgi_pool.h"

static const char hello_response[] =
    "Status: 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "\r\n"
    "{\"hello\":\"world\"}\n";

static void
answer_hello(FCGX_Request *req)
{
	FCGX_PutStr(hello_response, sizeof(hello_response) - 1, req->out);
}

static void
answer_dump(FCGX_Request *req)
{
	pool_dump_params(req, "200 OK");
}

static void
usage(void)
{
	fprintf(stderr, "usage: hello [-d] HOST:PORT WORKERS\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	int	ch, dump = 0, nworkers;

	while ((ch = getopt(argc, argv, "d")) != -1) {
		if (ch != 'd') {
			usage();
		}
		dump = 1;
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 || pool_workers(argv[1], &nworkers) != 0) {
		usage();
	}
	return pool_run("hello", argv[0], nworkers, dump ? answer_dump :
	    answer_hello);
}
