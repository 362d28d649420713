/*
 * rollup.c: counts a batch of history tuples per request_rollup key and
 * writes the counts as request_rollup_add()'s array parameters.  Pure:
 * reads tuples with pgcopy_field(), knows neither libpq nor the ring.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "lk_limits.h"
#include "pgcopy.h"
#include "rollup.h"

/* Field indexes in RECORD_COPY_COLUMNS (record.h); test_rollup.c checks
 * them against tuples made by record_row_copy(). */
#define F_ID		0
#define F_ORG		2
#define F_MODE		3
#define F_KIND		5
#define F_CRED		6
#define F_STATUS	11
#define F_DURATION	13
#define F_CREATED	18

#define HOUR_US		INT64_C(3600000000)
#define PG_EPOCH_UNIX_US	INT64_C(946684800000000)
#define NSLOTS		(2 * ROLLUP_GROUPS_MAX)

static uint64_t
get_be(const char *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		v = v << 8 | (unsigned char)p[i];
	}
	return v;
}

void
rollup_reset(struct rollup *r)
{
	r->n = 0;
	memset(r->slot, 0, sizeof(r->slot));
}

/* Reads a fixed-size field (NULL allowed when nullable); -1 if absent
 * or of another size. */
static int
fixed(const char *t, size_t len, unsigned idx, size_t size, int nullable,
    const char **p)
{
	int32_t flen;

	if (pgcopy_field(t, len, idx, p, &flen) != LK_OK) {
		return -1;
	}
	if (flen == -1) {
		return nullable ? 0 : -1;
	}
	return (size_t)flen == size ? 0 : -1;
}

/* Copies a short label (mode, kind) into out; -1 if NULL or too long. */
static int
label(const char *t, size_t len, unsigned idx, char out[ROLLUP_LABEL_MAX + 1])
{
	const char *p;
	int32_t flen;

	if (pgcopy_field(t, len, idx, &p, &flen) != LK_OK || flen < 0 ||
	    flen > ROLLUP_LABEL_MAX || memchr(p, '\0', (size_t)flen) != NULL) {
		return -1;
	}
	memcpy(out, p, (size_t)flen);
	out[flen] = '\0';
	return 0;
}

static int
same(const struct rollup_group *a, const struct rollup_group *b)
{
	return a->hour == b->hour && a->status == b->status &&
	    a->has_cred == b->has_cred &&
	    memcmp(a->org, b->org, UUID_BIN_LEN) == 0 &&
	    (!a->has_cred || memcmp(a->cred, b->cred, UUID_BIN_LEN) == 0) &&
	    strcmp(a->mode, b->mode) == 0 && strcmp(a->kind, b->kind) == 0;
}

/* FNV-1a over the key's bytes. */
static uint32_t
hash(const struct rollup_group *g)
{
	uint32_t h = 2166136261u;
	size_t i;

#define MIX(p, n) do { \
	for (i = 0; i < (n); i++) { \
		h = (h ^ ((const unsigned char *)(p))[i]) * 16777619u; \
	} \
} while (0)
	MIX(g->org, UUID_BIN_LEN);
	if (g->has_cred) {
		MIX(g->cred, UUID_BIN_LEN);
	}
	MIX(&g->hour, sizeof(g->hour));
	MIX(&g->status, sizeof(g->status));
	MIX(g->mode, strlen(g->mode));
	MIX(g->kind, strlen(g->kind));
#undef MIX
	return h;
}

enum lk_err
rollup_add_tuple(struct rollup *r, const char *t, size_t len)
{
	struct rollup_group g;
	const char *org, *cred, *st, *dur, *created, *mode;
	int32_t mlen;
	int64_t us;
	uint32_t s;
	size_t probe;

	if (fixed(t, len, F_ORG, UUID_BIN_LEN, 1, &org) == -1 ||
	    pgcopy_field(t, len, F_MODE, &mode, &mlen) != LK_OK) {
		return LK_EINVAL;
	}
	if (org == NULL || mode == NULL) {
		return LK_OK;	/* no org: in no org's usage */
	}
	memset(&g, 0, sizeof(g));
	if (label(t, len, F_MODE, g.mode) == -1 ||
	    label(t, len, F_KIND, g.kind) == -1 ||
	    fixed(t, len, F_CRED, UUID_BIN_LEN, 1, &cred) == -1 ||
	    fixed(t, len, F_STATUS, 2, 0, &st) == -1 ||
	    fixed(t, len, F_DURATION, 4, 0, &dur) == -1 ||
	    fixed(t, len, F_CREATED, 8, 0, &created) == -1) {
		return LK_EINVAL;
	}
	memcpy(g.org, org, UUID_BIN_LEN);
	if (cred != NULL) {
		memcpy(g.cred, cred, UUID_BIN_LEN);
		g.has_cred = 1;
	}
	g.status = (int16_t)(uint16_t)get_be(st, 2);
	g.duration_us = (int32_t)(uint32_t)get_be(dur, 4);
	us = (int64_t)get_be(created, 8);
	if (us < INT64_MIN / 2 || us > INT64_MAX / 2) {
		return LK_EINVAL;	/* far outside any real clock */
	}
	us += PG_EPOCH_UNIX_US;
	us -= ((us % HOUR_US) + HOUR_US) % HOUR_US;	/* floor, also < 0 */
	g.hour = us / 1000000;
	g.requests = 1;

	s = hash(&g) % NSLOTS;
	/* Bounded: at most ROLLUP_GROUPS_MAX of NSLOTS slots are used. */
	for (probe = 0; probe < NSLOTS; probe++) {
		struct rollup_group *have;

		if (r->slot[s] == 0) {
			if (r->n == ROLLUP_GROUPS_MAX) {
				return LK_ETOOBIG;
			}
			r->groups[r->n] = g;
			r->slot[s] = (uint16_t)(++r->n);
			return LK_OK;
		}
		have = &r->groups[r->slot[s] - 1];
		if (same(have, &g)) {
			have->requests++;
			have->duration_us += g.duration_us;
			return LK_OK;
		}
		s = (s + 1) % NSLOTS;
	}
	return LK_ETOOBIG;	/* not reached: the table is never full */
}

static void
put_uuid(struct lk_buf *b, const unsigned char u[UUID_BIN_LEN])
{
	static const char hex[] = "0123456789abcdef";
	char s[PGCOPY_UUID_TEXT_LEN];
	size_t i, o = 0;

	for (i = 0; i < UUID_BIN_LEN; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10) {
			s[o++] = '-';
		}
		s[o++] = hex[u[i] >> 4];
		s[o++] = hex[u[i] & 0xf];
	}
	buf_append(b, s, sizeof(s));
}

/* An array element in double quotes, '"' and '\' escaped. */
static void
put_quoted(struct lk_buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\') {
			buf_putc(b, '\\');
		}
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

void
rollup_params(const struct rollup *r, struct lk_buf out[ROLLUP_NPARAMS])
{
	const struct rollup_group *g;
	size_t i, k;

	for (k = 0; k < ROLLUP_NPARAMS; k++) {
		buf_reset(&out[k]);
		buf_putc(&out[k], '{');
	}
	for (i = 0; i < r->n; i++) {
		g = &r->groups[i];
		if (i > 0) {
			for (k = 0; k < ROLLUP_NPARAMS; k++) {
				buf_putc(&out[k], ',');
			}
		}
		put_uuid(&out[0], g->org);
		put_quoted(&out[1], g->mode);
		buf_put_i64(&out[2], g->hour);
		put_quoted(&out[3], g->kind);
		if (g->has_cred) {
			put_uuid(&out[4], g->cred);
		} else {
			buf_puts(&out[4], "NULL");
		}
		buf_put_i64(&out[5], g->status);
		buf_put_i64(&out[6], g->requests);
		buf_put_i64(&out[7], g->duration_us);
	}
	for (k = 0; k < ROLLUP_NPARAMS; k++) {
		buf_putc(&out[k], '}');
	}
}

enum lk_err
rollup_key_append(const char *t, size_t len, int first, struct lk_buf *ids,
    struct lk_buf *created_us)
{
	const char *id, *created;
	int64_t us;

	if (fixed(t, len, F_ID, UUID_BIN_LEN, 0, &id) == -1 ||
	    fixed(t, len, F_CREATED, 8, 0, &created) == -1) {
		return LK_EINVAL;
	}
	us = (int64_t)get_be(created, 8);
	if (us < INT64_MIN / 2 || us > INT64_MAX / 2) {
		return LK_EINVAL;
	}
	if (!first) {
		buf_putc(ids, ',');
		buf_putc(created_us, ',');
	}
	put_uuid(ids, (const unsigned char *)id);
	buf_put_i64(created_us, us + PG_EPOCH_UNIX_US);
	return LK_OK;
}
