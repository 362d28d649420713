/*
 * authcache.h: what one latchkeyd host remembers between requests, in
 * memory the master maps before it forks so every worker shares it:
 *
 *  - identities: the answer of the database to "who is behind this key
 *    hash / this user's token", kept for a short time (auth_cache_ttl_ms,
 *    a second by default) and dropped at once when the host learns of a
 *    change (its own handlers, or a NOTIFY from another host);
 *  - unknown credentials: hashes of well-formed API keys and session
 *    cookies the database did not know, in a bounded LRU (AUTH_UNKNOWN_MAX entries, each for at most
 *    AUTH_UNKNOWN_TTL_MS, lk_limits.h), kept apart from the identities so
 *    that random keys cannot push valid ones out; a flush ends them too;
 *    and per client address, how many distinct unknown ones it had
 *    looked up lately (AUTH_UNKNOWN_PER_ADDR a minute);
 *  - rate-limit leases: tokens a worker took from a PostgreSQL bucket in
 *    advance (011, 032), spent here without a round trip and owed back
 *    if unspent within a second; and refusals: a bucket that refused is
 *    known empty until its retry time.  The arithmetic of both is
 *    src/lib/ratelimit.c's.
 *
 * Entries live in small sets guarded by process-shared robust mutexes: a
 * worker killed while holding one costs that set's entries, not a hang.
 * Knows nothing of FastCGI or libpq.
 */
#ifndef LK_AUTHCACHE_H
#define LK_AUTHCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "lk_limits.h"
#include "ratelimit.h"

#define AUTHCACHE_ID_LEN	32	/* SHA-256 */
#define AUTHCACHE_PERMS_MAX	1024
#define AUTHCACHE_EMAIL_MAX	EMAIL_MAX_LEN
#define AUTHCACHE_BUCKET_MAX	63

enum authcache_status {
	AUTHCACHE_VALID,
	AUTHCACHE_UNKNOWN,		/* no such key or user */
	AUTHCACHE_REVOKED,
	AUTHCACHE_ORG_INACTIVE,
	AUTHCACHE_CREATOR_INACTIVE,	/* a key whose user is disabled
					 * or gone */
	AUTHCACHE_DISABLED,		/* a user who is disabled */
	AUTHCACHE_ANCESTOR_REVOKED	/* a key an ancestor of which is
					 * revoked */
};

/* One identity as the database described it. */
struct authcache_ident {
	enum authcache_status	 status;
	char		 key_id[UUID_SIZE];
	char		 org_id[UUID_SIZE];
	char		 user_id[UUID_SIZE];
	char		 mode[5];
	int		 role;		/* enum lk_role */
	long		 token_version;
	int64_t		 expires_at_ms;	/* 0: never; a direct: its creating
					 * key's (and ancestors') soonest */
	int64_t		 ancestor_expires_at_ms;	/* a key: soonest
							 * of its ancestors;
							 * 0: never */
	/* A direct's creator, as authority_direct_creator() needs it. */
	int		 by_key;	/* made by an API key */
	int		 by_service;	/* made by a service key */
	int		 creator_inactive;	/* its user disabled or gone */
	int		 creator_key_revoked;	/* the key or an ancestor */
	int		 cred_limit;	/* per minute */
	int		 org_limit;
	char		 email[AUTHCACHE_EMAIL_MAX + 1];
	char		 perms[AUTHCACHE_PERMS_MAX];	/* "a,b.*"; a direct:
							 * its creating key's
							 * own, else "*" */
	char		 rtype[65];	/* a direct: resource type */
	char		 rid[129];	/* a direct: resource id */
};

struct authcache;

/* Maps the shared region (in the master, before forking).  NULL when
 * the system refuses; latchkeyd then runs without a cache. */
struct authcache *authcache_create(void);

/* The generation of the cache: it changes on every flush. */
uint64_t	authcache_epoch(struct authcache *);
/* Forgets every identity and unknown key (not the leases). */
void		authcache_flush(struct authcache *);

/* Copies the identity stored under id if younger than ttl_ms and stored
 * in this generation; returns 1 on a hit, 0 otherwise. */
int		authcache_get(struct authcache *, const unsigned char *id,
		    int64_t now_ms, int ttl_ms, struct authcache_ident *out);
/* Stores an identity fetched while the generation was epoch: if the
 * cache was flushed since, the answer may be stale and is not kept. */
void		authcache_put(struct authcache *, const unsigned char *id,
		    uint64_t epoch, int64_t now_ms,
		    const struct authcache_ident *in);

/* Returns 1 if id (a key's hash) was found unknown in this generation
 * within AUTH_UNKNOWN_TTL_MS of now_ms. */
int		authcache_unknown(struct authcache *, const unsigned char *id,
		    int64_t now_ms);
/* Remembers id as unknown, as found while the generation was epoch (not
 * kept if the cache was flushed since). */
void		authcache_put_unknown(struct authcache *,
		    const unsigned char *id, uint64_t epoch, int64_t now_ms);

/* A client address's budget of unknown keys (limit per minute, this host
 * only): returns 1 if it has one left at now_ms, and spends it when
 * spend is 1; else 0 with *retry_ms until the next.  1 when the set
 * cannot be locked. */
int		authcache_addr_unknown(struct authcache *, const char *addr,
		    int limit, int64_t now_ms, int spend, int *retry_ms);

/* Spends one leased token of bucket (limit per minute) if there is one,
 * else says whether the bucket is known empty, or how many tokens to
 * lease and give back (ratelimit_lease_take()). */
void		authcache_take(struct authcache *, const char *bucket,
		    int limit, int64_t now_ms, struct ratelimit_take *t);
/* Gives back what authcache_take() handed over and the request did not
 * use: a token (0 or 1), tokens owed to the bucket (back). */
void		authcache_giveback(struct authcache *, const char *bucket,
		    int token, int back);
/* Remembers that bucket refused at now_ms with the answer ri. */
void		authcache_refused(struct authcache *, const char *bucket,
		    int limit, const struct ratelimit_info *ri, int64_t now_ms);
/* Records a lease of granted tokens, spend of which (0 or 1) the caller
 * uses now; pg_remaining and pg_reset_ms are the bucket's after it. */
void		authcache_leased(struct authcache *, const char *bucket,
		    int limit, int granted, int spend, int pg_remaining,
		    int pg_reset_ms, int64_t now_ms);

#endif
