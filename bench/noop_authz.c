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

#include "fcgi_pool.h"

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

/* Set once in main(), before the workers fork. */
static int dump, respond;

static void
answer(FCGX_Request *req)
{
	const char *role = FCGX_GetParam("FCGI_ROLE", req->envp);

	if (respond && role != NULL && strcmp(role, "RESPONDER") == 0) {
		FCGX_PutStr(hello_response, sizeof(hello_response) - 1,
		    req->out);
	} else if (dump) {
		pool_dump_params(req, "403 Forbidden");
	} else {
		FCGX_PutStr(grant_response, sizeof(grant_response) - 1,
		    req->out);
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: noop_authz [-d] [-r] HOST:PORT WORKERS\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	int	ch, nworkers;

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
	if (argc != 2 || pool_workers(argv[1], &nworkers) != 0) {
		usage();
	}
	return pool_run("noop_authz", argv[0], nworkers, answer);
}
