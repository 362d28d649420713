/*
 * lru.c: a fixed-capacity least-recently-used set of 32-byte ids over
 * caller-provided memory.  Hash chains and a doubly linked recency list
 * by index; every walk is bounded by the capacity.  Pure: must not know
 * locks, clocks or what an id stands for.
 */
#include "config.h"

#include <string.h>

#include "lru.h"

#define NIL	UINT32_MAX

void
lru_init(struct lru *l, uint32_t cap)
{
	uint32_t i;

	l->cap = cap < 1 ? 1 : cap > LRU_CAP_MAX ? LRU_CAP_MAX : cap;
	l->count = 0;
	l->newest = l->oldest = NIL;
	for (i = 0; i < LRU_SLOTS; i++) {
		l->slot[i] = NIL;
	}
}

uint32_t
lru_count(const struct lru *l)
{
	return l->count;
}

/* The slot of an id: a digest, so any four bytes are uniform. */
static uint32_t
slot_of(const unsigned char *id)
{
	uint32_t h;

	memcpy(&h, id, sizeof(h));
	return h % LRU_SLOTS;
}

static uint32_t
find(const struct lru *l, const unsigned char *id)
{
	uint32_t i, n;

	for (i = l->slot[slot_of(id)], n = 0; i != NIL && n < l->count;
	    i = l->node[i].chain, n++) {
		if (memcmp(l->node[i].id, id, LRU_ID_LEN) == 0) {
			return i;
		}
	}
	return NIL;
}

static void
list_unlink(struct lru *l, uint32_t i)
{
	struct lru_node *e = &l->node[i];

	if (e->newer != NIL) {
		l->node[e->newer].older = e->older;
	} else {
		l->newest = e->older;
	}
	if (e->older != NIL) {
		l->node[e->older].newer = e->newer;
	} else {
		l->oldest = e->newer;
	}
	e->newer = e->older = NIL;
}

static void
list_push(struct lru *l, uint32_t i)
{
	struct lru_node *e = &l->node[i];

	e->newer = NIL;
	e->older = l->newest;
	if (l->newest != NIL) {
		l->node[l->newest].newer = i;
	}
	l->newest = i;
	if (l->oldest == NIL) {
		l->oldest = i;
	}
}

static void
chain_unlink(struct lru *l, uint32_t i)
{
	uint32_t *p = &l->slot[slot_of(l->node[i].id)];
	uint32_t n;

	for (n = 0; *p != NIL && n < l->count; p = &l->node[*p].chain, n++) {
		if (*p == i) {
			*p = l->node[i].chain;
			return;
		}
	}
}

/* Frees entry i: the last entry moves into its place, so entries in use
 * stay node[0..count). */
static void
drop(struct lru *l, uint32_t i)
{
	uint32_t last = l->count - 1, *p, n;

	chain_unlink(l, i);
	list_unlink(l, i);
	if (i != last) {
		/* Whoever pointed at last points at i now. */
		p = &l->slot[slot_of(l->node[last].id)];
		for (n = 0; *p != NIL && n < l->count; p = &l->node[*p].chain,
		    n++) {
			if (*p == last) {
				*p = i;
				break;
			}
		}
		l->node[i] = l->node[last];
		if (l->node[i].newer != NIL) {
			l->node[l->node[i].newer].older = i;
		} else {
			l->newest = i;
		}
		if (l->node[i].older != NIL) {
			l->node[l->node[i].older].newer = i;
		} else {
			l->oldest = i;
		}
	}
	l->count--;
}

int
lru_get(struct lru *l, const unsigned char *id, int64_t now_ms,
    int64_t ttl_ms, uint64_t epoch)
{
	uint32_t i = find(l, id);
	struct lru_node *e;

	if (i == NIL) {
		return 0;
	}
	e = &l->node[i];
	if (e->epoch != epoch || now_ms < e->stored_ms ||
	    now_ms - e->stored_ms >= ttl_ms) {
		drop(l, i);
		return 0;
	}
	list_unlink(l, i);
	list_push(l, i);
	return 1;
}

void
lru_put(struct lru *l, const unsigned char *id, int64_t now_ms,
    uint64_t epoch)
{
	uint32_t i = find(l, id), s;

	if (i == NIL) {
		if (l->count == l->cap) {
			drop(l, l->oldest);
		}
		i = l->count++;
		memcpy(l->node[i].id, id, LRU_ID_LEN);
		s = slot_of(id);
		l->node[i].chain = l->slot[s];
		l->slot[s] = i;
		l->node[i].newer = l->node[i].older = NIL;
	} else {
		list_unlink(l, i);
	}
	l->node[i].stored_ms = now_ms;
	l->node[i].epoch = epoch;
	list_push(l, i);
}
