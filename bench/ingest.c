/*
 * bench/ingest.c: request-history ingestion alone, no web server, no
 * workers answering requests.  Built and run by bench/ingest.
 *
 *   ingest writer  ROWS CONNINFO ADMIN   the real writer (reqlog_writer(),
 *                                        binary COPY as latchkey_writer)
 *                                        draining a ring this process fills
 *   ingest copy    ROWS CONNINFO BATCH   binary COPY into request_log
 *   ingest staging ROWS CONNINFO BATCH   binary COPY into an un-RLS'd
 *                                        staging table, moved by a
 *                                        SECURITY DEFINER function
 *   ingest json    ROWS CONNINFO BATCH   the old path: one jsonb array per
 *                                        batch to append_requests()
 *
 * Every row is a `GET /v1/me` by API key with its ~440-byte answer, as
 * the hot path records it, each with its own time-ordered id.  Prints one line:
 * mode, rows, seconds, rows/s, PostgreSQL backend CPU µs per row, and
 * the CPU µs per row of the sending side (writer mode: the writer
 * process, and separately this process encoding and appending, which is
 * what a worker pays per record).  CPU comes from /proc/PID/schedstat
 * (nanoseconds), or /proc/PID/stat (clock ticks) without it.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "buf.h"
#include "conf.h"
#include "pgcopy.h"
#include "record.h"
#include "reqlog.h"
#include "util.h"

#define RING_BYTES	(64u * 1024 * 1024)
#define REC_MAX		(64 * 1024)
#define DRAIN_TIMEOUT_S	300

static const char answer[] =
    "{\"kind\":\"api_key\",\"org_id\":\"0b9d6a52-2b1c-4f47-9e0f-5d0c"
    "4f6a1e11\",\"mode\":\"live\",\"key\":{\"id\":\"7d3f0c7e-1a2b-4c3d-"
    "8e9f-0a1b2c3d4e5f\",\"name\":\"bench\",\"prefix\":\"lk_live_ab\","
    "\"last4\":\"9f3c\"},\"user\":{\"id\":\"4c1e2d3f-5a6b-4c7d-8e9f-1a2b"
    "3c4d5e6f\",\"email\":\"owner@example.com\",\"role\":\"owner\"},"
    "\"permissions\":[\"keys.read\",\"keys.write\",\"requests.read\","
    "\"usage.read\",\"users.write\",\"directs.write\",\"demo.read\"],"
    "\"rate_limit\":{\"limit\":1000000,\"remaining\":999999}}";

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static double
now_s(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU nanoseconds a process used so far, or -1. */
static double
proc_cpu_ns(pid_t pid)
{
	char path[64], line[1024], *p;
	unsigned long long ns, ut, st;
	FILE *f;
	int i;

	(void)snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	if ((f = fopen(path, "r")) != NULL) {
		i = fscanf(f, "%llu", &ns);
		(void)fclose(f);
		if (i == 1) {
			return (double)ns;
		}
	}
	(void)snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL) {
		return -1;
	}
	p = fgets(line, sizeof(line), f);
	(void)fclose(f);
	if (p == NULL || (p = strrchr(line, ')')) == NULL) {
		return -1;
	}
	/* After "pid (comm)": state is field 3; utime 14, stime 15. */
	for (i = 3; i < 14 && p != NULL; i++) {
		p = strchr(p + 1, ' ');
	}
	if (p == NULL || sscanf(p, " %llu %llu", &ut, &st) != 2) {
		return -1;
	}
	return (double)(ut + st) * 1e9 / (double)sysconf(_SC_CLK_TCK);
}

static double
self_cpu_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* A row of the run: a GET /v1/me by key, its id made as a worker makes
 * it (time-ordered, util_uuid_v7()). */
static int
row(struct record_row *r, char id[UUID_LEN + 1])
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	if (util_uuid_v7((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
	    id) != LK_OK) {
		return -1;
	}
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->request_id = "bench-ingest-0123456789abcdef";
	r->org_id = "0b9d6a52-2b1c-4f47-9e0f-5d0c4f6a1e11";
	r->mode = "live";
	r->role = "responder";
	r->credential_kind = "api_key";
	r->credential_id = "7d3f0c7e-1a2b-4c3d-8e9f-0a1b2c3d4e5f";
	r->user_id = "4c1e2d3f-5a6b-4c7d-8e9f-1a2b3c4d5e6f";
	r->method = "GET";
	r->path = "/v1/me";
	r->query = "";
	r->status = 200;
	r->duration_us = 812;
	r->client_ip = "127.0.0.1";
	r->user_agent = "wrk";
	r->response_body = answer;
	r->response_body_len = sizeof(answer) - 1;
	r->created_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	return 0;
}

static void
report(const char *mode, uint64_t rows, double secs, double pg_ns,
    double send_ns, double fill_ns)
{
	printf("%-8s rows=%llu seconds=%.3f rows_per_s=%.0f "
	    "pg_cpu_us_per_row=%.2f sender_cpu_us_per_row=%.2f",
	    mode, (unsigned long long)rows, secs, (double)rows / secs,
	    pg_ns / 1e3 / (double)rows, send_ns / 1e3 / (double)rows);
	if (fill_ns >= 0) {
		printf(" worker_cpu_us_per_record=%.2f",
		    fill_ns / 1e3 / (double)rows);
	}
	printf("\n");
}

static int
run_writer(uint64_t rows, const char *conninfo, const char *admin)
{
	struct lk_config cfg;
	struct reqlog_ring *ring;
	struct record_row r;
	struct lk_buf rec;
	char id[UUID_LEN + 1];
	const char *params[1];
	PGconn *adm;
	PGresult *res;
	double t0, t1, c0, fill, pg = -1, wr = -1;
	pid_t child, backend = 0;
	uint64_t n;
	int status;

	memset(&cfg, 0, sizeof(cfg));
	(void)snprintf(cfg.history_database_url,
	    sizeof(cfg.history_database_url), "%s", conninfo);
	if ((ring = reqlog_ring_create(RING_BYTES)) == NULL) {
		return 1;
	}
	if ((child = fork()) == -1) {
		perror("fork");
		return 1;
	}
	if (child == 0) {
		(void)signal(SIGTERM, on_term);
		reqlog_writer(&cfg, ring, &stop, NULL);
		_exit(0);
	}
	buf_init(&rec, REC_MAX);
	t0 = now_s();
	c0 = self_cpu_ns();
	for (n = 0; n < rows; n++) {
		buf_reset(&rec);
		if (row(&r, id) != 0 ||
		    record_row_copy(&r, &rec, NULL) != LK_OK ||
		    buf_failed(&rec)) {
			fprintf(stderr, "ingest: cannot encode a row\n");
			goto fail;
		}
		/* A full ring waits for the writer; keep trying. */
		while (reqlog_append(ring, REQLOG_REQUEST, rec.p,
		    rec.len) != LK_OK) {
			if (now_s() - t0 > DRAIN_TIMEOUT_S) {
				fprintf(stderr, "ingest: the writer is "
				    "stuck\n");
				goto fail;
			}
		}
	}
	fill = self_cpu_ns() - c0;
	while (reqlog_ring_pending(ring) > 0) {
		if (now_s() - t0 > DRAIN_TIMEOUT_S) {
			fprintf(stderr, "ingest: the writer did not drain\n");
			goto fail;
		}
		(void)usleep(1000);
	}
	t1 = now_s();
	/* The writer's backend, still connected. */
	if ((adm = PQconnectdb(admin)) == NULL ||
	    PQstatus(adm) != CONNECTION_OK) {
		fprintf(stderr, "ingest: admin connection: %s",
		    adm != NULL ? PQerrorMessage(adm) : "out of memory\n");
		PQfinish(adm);
		goto fail;
	}
	params[0] = "latchkeyd";
	res = PQexecParams(adm, "SELECT pid FROM pg_stat_activity "
	    "WHERE application_name = $1 AND backend_type = 'client backend'",
	    1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		backend = (pid_t)atoi(PQgetvalue(res, 0, 0));
	}
	PQclear(res);
	PQfinish(adm);
	if (backend > 0) {
		pg = proc_cpu_ns(backend);
	}
	wr = proc_cpu_ns(child);
	(void)kill(child, SIGTERM);
	(void)waitpid(child, &status, 0);
	buf_free(&rec);
	if (pg < 0) {
		fprintf(stderr, "ingest: cannot read the backend's CPU\n");
		return 1;
	}
	report("writer", rows, t1 - t0, pg, wr, fill);
	return reqlog_ring_set_aside(ring) == 0 ? 0 : 1;
fail:
	(void)kill(child, SIGTERM);
	(void)waitpid(child, &status, 0);
	buf_free(&rec);
	return 1;
}

/* Sends one batch the way mode says; returns 0 on success. */
static int
send_batch(PGconn *c, const char *mode, struct lk_buf *out)
{
	static char copy_sql[512];
	static const char stage_sql[] = "COPY latchkey.request_log_staging ("
	    RECORD_COPY_COLUMNS ") FROM STDIN (FORMAT binary)";
	const char *params[1];
	PGresult *res;
	int staging = strcmp(mode, "staging") == 0, ok;

	if (copy_sql[0] == '\0') {
		/* INGEST_TABLE: another table of request_log's columns, to
		 * see what indexes and partitions cost. */
		(void)snprintf(copy_sql, sizeof(copy_sql), "COPY %s (%s) FROM "
		    "STDIN (FORMAT binary)", getenv("INGEST_TABLE") != NULL ?
		    getenv("INGEST_TABLE") : "latchkey.request_log",
		    RECORD_COPY_COLUMNS);
	}
	if (strcmp(mode, "json") == 0) {
		params[0] = out->p;
		res = PQexecParams(c, "SELECT latchkey.append_requests($1)",
		    1, NULL, params, NULL, NULL, 0);
		ok = PQresultStatus(res) == PGRES_TUPLES_OK;
		goto done;
	}
	if (staging) {
		PQclear(PQexec(c, "BEGIN"));
	}
	res = PQexec(c, staging ? stage_sql : copy_sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		ok = 0;
		goto done;
	}
	PQclear(res);
	if (PQputCopyData(c, out->p, (int)out->len) != 1 ||
	    PQputCopyEnd(c, NULL) != 1) {
		fprintf(stderr, "ingest: %s", PQerrorMessage(c));
		return -1;
	}
	res = PQgetResult(c);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	while ((res = PQgetResult(c)) != NULL) {
		PQclear(res);
	}
	if (staging && ok) {
		res = PQexec(c, "SELECT latchkey.move_staged_requests()");
		ok = PQresultStatus(res) == PGRES_TUPLES_OK;
		PQclear(res);
		res = PQexec(c, "COMMIT");
		ok = ok && PQresultStatus(res) == PGRES_COMMAND_OK;
	} else {
		return ok ? 0 : -1;
	}
done:
	if (!ok) {
		fprintf(stderr, "ingest: %s: %s", mode, PQerrorMessage(c));
	}
	PQclear(res);
	return ok ? 0 : -1;
}

static int
run_direct(const char *mode, uint64_t rows, const char *conninfo,
    uint64_t batch)
{
	struct record_row r;
	struct lk_buf out;
	PGconn *c;
	PGresult *res;
	pid_t backend;
	char id[UUID_LEN + 1];
	double t0, c0, p0;
	uint64_t n, k;
	int json = strcmp(mode, "json") == 0;

	c = PQconnectdb(conninfo);
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "ingest: %s", c != NULL ? PQerrorMessage(c) :
		    "out of memory\n");
		PQfinish(c);
		return 1;
	}
	res = PQexec(c, "SELECT pg_backend_pid()");
	backend = (pid_t)atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	buf_init(&out, (size_t)batch * REC_MAX);
	t0 = now_s();
	c0 = self_cpu_ns();
	p0 = proc_cpu_ns(backend);
	for (n = 0; n < rows; ) {
		buf_reset(&out);
		if (json) {
			buf_putc(&out, '[');
		} else {
			pgcopy_header(&out);
		}
		for (k = 0; k < batch && n < rows; k++, n++) {
			if (row(&r, id) != 0) {
				fprintf(stderr, "ingest: no id\n");
				return 1;
			}
			if (json) {
				if (k > 0) {
					buf_putc(&out, ',');
				}
				(void)record_row_json(&r, &out);
			} else if (record_row_copy(&r, &out, NULL) != LK_OK) {
				fprintf(stderr, "ingest: cannot encode\n");
				return 1;
			}
		}
		if (json) {
			buf_putc(&out, ']');
		} else {
			pgcopy_trailer(&out);
		}
		if (buf_failed(&out) || send_batch(c, mode, &out) != 0) {
			PQfinish(c);
			return 1;
		}
	}
	report(mode, rows, now_s() - t0, proc_cpu_ns(backend) - p0,
	    self_cpu_ns() - c0, -1);
	buf_free(&out);
	PQfinish(c);
	return 0;
}

int
main(int argc, char **argv)
{
	char *end;
	unsigned long long rows, batch;

	if (argc != 5) {
		fprintf(stderr, "usage: ingest writer ROWS CONNINFO ADMIN\n"
		    "       ingest copy|staging|json ROWS CONNINFO BATCH\n");
		return 2;
	}
	errno = 0;
	rows = strtoull(argv[2], &end, 10);
	if (errno != 0 || *end != '\0' || rows == 0) {
		fprintf(stderr, "ingest: bad ROWS\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[1], "writer") == 0) {
		return run_writer(rows, argv[3], argv[4]);
	}
	batch = strtoull(argv[4], &end, 10);
	if (*end != '\0' || batch == 0 || batch > 100000) {
		fprintf(stderr, "ingest: bad BATCH\n");
		return 2;
	}
	if (strcmp(argv[1], "copy") != 0 && strcmp(argv[1], "staging") != 0 &&
	    strcmp(argv[1], "json") != 0) {
		fprintf(stderr, "ingest: unknown mode %s\n", argv[1]);
		return 2;
	}
	return run_direct(argv[1], rows, argv[3], batch);
}
