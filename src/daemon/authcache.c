/*
 * authcache.c: the shared identity cache and where rate-limit leases are
 * kept: shared memory, set-associative, under process-shared robust
 * mutexes.  The lease arithmetic itself is src/lib/ratelimit.c's; this
 * file must not know FastCGI, libpq, or how a lease is sized.
 */
#include "config.h"

#include <sys/mman.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "authcache.h"
#include "lru.h"
#include "sys.h"

#define ID_SETS		1024
#define ID_WAYS		4
#define BUCKET_SETS	1024
#define BUCKET_WAYS	4
#define ADDR_SETS	(AUTH_UNKNOWN_ADDRS / BUCKET_WAYS)

struct id_entry {
	uint64_t	 epoch;		/* 0: empty */
	int64_t		 stored_ms;
	unsigned char	 id[AUTHCACHE_ID_LEN];
	struct authcache_ident	 ident;
};

struct id_set {
	pthread_mutex_t	 lock;
	struct id_entry	 e[ID_WAYS];
};

struct bucket {
	char		 name[AUTHCACHE_BUCKET_MAX + 1];	/* "": empty */
	struct ratelimit_lease lease;	/* the arithmetic is ratelimit.c's */
	int64_t		 local_tat_ms;	/* a host-only bucket's state */
	int64_t		 used_ms;	/* last touched, for eviction */
};

struct bucket_set {
	pthread_mutex_t	 lock;
	struct bucket	 b[BUCKET_WAYS];
};

/* Well-formed keys the database did not know (lru.h), apart from the
 * identities so that random keys cannot push valid ones out. */
struct unknown_set {
	pthread_mutex_t	 lock;
	struct lru	 lru;
};

struct authcache {
	_Atomic uint64_t	 epoch;
	struct id_set		 ids[ID_SETS];
	struct bucket_set	 buckets[BUCKET_SETS];
	struct unknown_set	 unknown;
	/* Client addresses' budgets of unknown keys: apart from the
	 * leases, so that many addresses cannot push leases out. */
	struct bucket_set	 addrs[ADDR_SETS];
};

struct authcache *
authcache_create(void)
{
	struct authcache *c;
	size_t i;

	c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED) {
		return NULL;
	}
	/* mmap gives zeroed pages: entries start empty. */
	atomic_init(&c->epoch, 1);
	for (i = 0; i < ID_SETS; i++) {
		if (sys_shared_mutex_init(&c->ids[i].lock) == -1) {
			(void)munmap(c, sizeof(*c));
			return NULL;
		}
	}
	for (i = 0; i < BUCKET_SETS; i++) {
		if (sys_shared_mutex_init(&c->buckets[i].lock) == -1) {
			(void)munmap(c, sizeof(*c));
			return NULL;
		}
	}
	for (i = 0; i < ADDR_SETS; i++) {
		if (sys_shared_mutex_init(&c->addrs[i].lock) == -1) {
			(void)munmap(c, sizeof(*c));
			return NULL;
		}
	}
	if (sys_shared_mutex_init(&c->unknown.lock) == -1) {
		(void)munmap(c, sizeof(*c));
		return NULL;
	}
	lru_init(&c->unknown.lru, AUTH_UNKNOWN_MAX);
	return c;
}

/*
 * Locks m.  A holder that died leaves its set half-written: the set is
 * wiped by the caller-supplied reset, then the lock is usable again.
 * Returns 0 when locked.
 */
static int
lock(pthread_mutex_t *m, void *set, size_t setsz, size_t hdr)
{
	int rc = pthread_mutex_lock(m);

	if (rc == EOWNERDEAD) {
		memset((char *)set + hdr, 0, setsz - hdr);
		(void)pthread_mutex_consistent(m);	/* we own it */
		return 0;
	}
	return rc == 0 ? 0 : -1;
}

static void
unlock(pthread_mutex_t *m)
{
	(void)pthread_mutex_unlock(m);	/* we hold it: cannot fail */
}

uint64_t
authcache_epoch(struct authcache *c)
{
	return atomic_load(&c->epoch);
}

void
authcache_flush(struct authcache *c)
{
	atomic_fetch_add(&c->epoch, 1);
}

static struct id_set *
id_set_of(struct authcache *c, const unsigned char *id)
{
	uint64_t h;

	memcpy(&h, id, sizeof(h));	/* a SHA-256: any 8 bytes will do */
	return &c->ids[h % ID_SETS];
}

int
authcache_get(struct authcache *c, const unsigned char *id, int64_t now_ms,
    int ttl_ms, struct authcache_ident *out)
{
	struct id_set *s = id_set_of(c, id);
	uint64_t epoch = authcache_epoch(c);
	int i, hit = 0;

	if (ttl_ms <= 0 || lock(&s->lock, s, sizeof(*s),
	    offsetof(struct id_set, e)) == -1) {
		return 0;
	}
	for (i = 0; i < ID_WAYS; i++) {
		struct id_entry *e = &s->e[i];

		if (e->epoch == epoch && memcmp(e->id, id,
		    AUTHCACHE_ID_LEN) == 0 && now_ms - e->stored_ms < ttl_ms &&
		    now_ms >= e->stored_ms) {
			*out = e->ident;
			hit = 1;
			break;
		}
	}
	unlock(&s->lock);
	return hit;
}

void
authcache_put(struct authcache *c, const unsigned char *id, uint64_t epoch,
    int64_t now_ms, const struct authcache_ident *in)
{
	struct id_set *s = id_set_of(c, id);
	struct id_entry *victim = NULL;
	uint64_t cur;
	int i;

	if (lock(&s->lock, s, sizeof(*s), offsetof(struct id_set, e)) == -1) {
		return;
	}
	cur = authcache_epoch(c);
	if (epoch == cur) {
		/* The same id, else a stale or empty way, else the oldest. */
		for (i = 0; i < ID_WAYS && victim == NULL; i++) {
			if (s->e[i].epoch == cur &&
			    memcmp(s->e[i].id, id, AUTHCACHE_ID_LEN) == 0) {
				victim = &s->e[i];
			}
		}
		for (i = 0; i < ID_WAYS && victim == NULL; i++) {
			if (s->e[i].epoch != cur) {
				victim = &s->e[i];
			}
		}
		if (victim == NULL) {
			victim = &s->e[0];
			for (i = 1; i < ID_WAYS; i++) {
				if (s->e[i].stored_ms < victim->stored_ms) {
					victim = &s->e[i];
				}
			}
		}
		victim->epoch = cur;
		victim->stored_ms = now_ms;
		memcpy(victim->id, id, AUTHCACHE_ID_LEN);
		victim->ident = *in;
	}
	unlock(&s->lock);
}

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* Finds bucket name in its set, or claims the least recently used way.
 * The set must be locked. */
static struct bucket *
find(struct bucket_set *s, const char *name, int create)
{
	struct bucket *lru = NULL;
	int i;

	for (i = 0; i < BUCKET_WAYS; i++) {
		struct bucket *b = &s->b[i];

		if (strcmp(b->name, name) == 0) {
			return b;
		}
		if (lru == NULL || b->used_ms < lru->used_ms) {
			lru = b;
		}
	}
	if (!create || strlen(name) > AUTHCACHE_BUCKET_MAX) {
		return NULL;
	}
	memset(lru, 0, sizeof(*lru));
	memcpy(lru->name, name, strlen(name) + 1);
	lru->lease.chunk = 1;
	return lru;
}

static struct bucket_set *
bucket_set_of(struct authcache *c, const char *name)
{
	return &c->buckets[fnv1a(name) % BUCKET_SETS];
}

void
authcache_take(struct authcache *c, const char *bucket, int limit,
    int64_t now_ms, struct ratelimit_take *t)
{
	struct bucket_set *s = bucket_set_of(c, bucket);
	struct bucket *b;

	memset(t, 0, sizeof(*t));
	t->chunk = 1;
	if (lock(&s->lock, s, sizeof(*s), offsetof(struct bucket_set, b)) ==
	    -1) {
		return;
	}
	if ((b = find(s, bucket, 1)) == NULL) {
		unlock(&s->lock);
		return;
	}
	b->used_ms = now_ms;
	ratelimit_lease_take(&b->lease, limit, now_ms, t);
	unlock(&s->lock);
}

void
authcache_giveback(struct authcache *c, const char *bucket, int token,
    int back)
{
	struct bucket_set *s = bucket_set_of(c, bucket);
	struct bucket *b;

	if (lock(&s->lock, s, sizeof(*s), offsetof(struct bucket_set, b)) ==
	    -1) {
		return;
	}
	if ((b = find(s, bucket, 0)) != NULL) {
		ratelimit_lease_giveback(&b->lease, token, back);
	}
	unlock(&s->lock);
}

void
authcache_refused(struct authcache *c, const char *bucket, int limit,
    const struct ratelimit_info *ri, int64_t now_ms)
{
	struct bucket_set *s = bucket_set_of(c, bucket);
	struct bucket *b;

	if (lock(&s->lock, s, sizeof(*s), offsetof(struct bucket_set, b)) ==
	    -1) {
		return;
	}
	if ((b = find(s, bucket, 1)) != NULL) {
		ratelimit_lease_refused(&b->lease, limit, ri, now_ms);
		b->used_ms = now_ms;
	}
	unlock(&s->lock);
}

/* Locks the unknown-key set; a holder that died may have left its links
 * half-written, so the set starts empty again. */
static int
lock_unknown(struct unknown_set *u)
{
	int rc = pthread_mutex_lock(&u->lock);

	if (rc == EOWNERDEAD) {
		lru_init(&u->lru, AUTH_UNKNOWN_MAX);
		(void)pthread_mutex_consistent(&u->lock);	/* we own it */
		return 0;
	}
	return rc == 0 ? 0 : -1;
}

int
authcache_unknown(struct authcache *c, const unsigned char *id,
    int64_t now_ms)
{
	int hit;

	if (lock_unknown(&c->unknown) == -1) {
		return 0;
	}
	hit = lru_get(&c->unknown.lru, id, now_ms, AUTH_UNKNOWN_TTL_MS,
	    authcache_epoch(c));
	unlock(&c->unknown.lock);
	return hit;
}

void
authcache_put_unknown(struct authcache *c, const unsigned char *id,
    uint64_t epoch, int64_t now_ms)
{
	if (lock_unknown(&c->unknown) == -1) {
		return;
	}
	/* Flushed since the question was asked: the key may exist now. */
	if (epoch == authcache_epoch(c)) {
		lru_put(&c->unknown.lru, id, now_ms, epoch);
	}
	unlock(&c->unknown.lock);
}

void
authcache_leased(struct authcache *c, const char *bucket, int limit,
    int granted, int spend, int pg_remaining, int pg_reset_ms,
    int64_t now_ms)
{
	struct bucket_set *s = bucket_set_of(c, bucket);
	struct bucket *b;

	if (lock(&s->lock, s, sizeof(*s), offsetof(struct bucket_set, b)) ==
	    -1) {
		return;
	}
	if ((b = find(s, bucket, 1)) != NULL) {
		ratelimit_lease_record(&b->lease, limit, granted, spend,
		    pg_remaining, pg_reset_ms, now_ms);
		b->used_ms = now_ms;
	}
	unlock(&s->lock);
}

int
authcache_addr_unknown(struct authcache *c, const char *addr, int limit,
    int64_t now_ms, int spend, int *retry_ms)
{
	struct bucket_set *s = &c->addrs[fnv1a(addr) % ADDR_SETS];
	struct bucket *b;
	int ok = 1;

	*retry_ms = 0;
	if (lock(&s->lock, s, sizeof(*s), offsetof(struct bucket_set, b)) ==
	    -1) {
		return 1;
	}
	/* An address never seen has its whole budget: it is stored only
	 * once it spends. */
	if ((b = find(s, addr, spend)) != NULL) {
		ok = ratelimit_local(&b->local_tat_ms, limit, now_ms, spend,
		    retry_ms);
		b->used_ms = now_ms;
	}
	unlock(&s->lock);
	return ok;
}
