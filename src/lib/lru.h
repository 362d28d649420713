/*
 * lru.h: a fixed-capacity set of 32-byte ids (SHA-256 digests), each with
 * the time it was stored and the cache generation it belongs to, that
 * forgets the least recently used id when full.  Pure: no locks, no
 * clock, no allocation.  It lives in whatever memory the caller gives it
 * (the auth cache puts it in memory shared by a host's workers), so it
 * links its entries by index, never by pointer.  What the ids mean, and
 * who locks the set, is the caller's business.
 */
#ifndef LK_LRU_H
#define LK_LRU_H

#include <stddef.h>
#include <stdint.h>

#include "lk_limits.h"

#define LRU_ID_LEN	32
#define LRU_CAP_MAX	AUTH_UNKNOWN_MAX	/* entries, at most */
#define LRU_SLOTS	AUTH_UNKNOWN_MAX	/* hash chains */

struct lru_node {
	unsigned char	 id[LRU_ID_LEN];
	int64_t		 stored_ms;
	uint64_t	 epoch;
	uint32_t	 newer, older;	/* the recency list */
	uint32_t	 chain;		/* the next id in its slot */
};

struct lru {
	uint32_t	 cap;		/* entries kept, 1..LRU_CAP_MAX */
	uint32_t	 count;		/* entries in use: node[0..count) */
	uint32_t	 newest, oldest;
	uint32_t	 slot[LRU_SLOTS];
	struct lru_node	 node[LRU_CAP_MAX];
};

/* Empties l and sets its capacity (clamped to 1..LRU_CAP_MAX). */
void	lru_init(struct lru *l, uint32_t cap);

/* How many ids l holds, stale ones included (never more than l->cap). */
uint32_t lru_count(const struct lru *l);

/*
 * Returns 1 if l holds id, stored in generation epoch at most ttl_ms
 * before now_ms (and not after it), and makes it the most recently used;
 * else 0, and an id held but stale is dropped.
 */
int	lru_get(struct lru *l, const unsigned char *id, int64_t now_ms,
	    int64_t ttl_ms, uint64_t epoch);

/* Stores id at now_ms in generation epoch as the most recently used,
 * forgetting the least recently used id when l is full. */
void	lru_put(struct lru *l, const unsigned char *id, int64_t now_ms,
	    uint64_t epoch);

#endif
