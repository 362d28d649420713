/*
 * arena.h: the per-request arena.  Allocations live until arena_reset(),
 * which the worker calls once per request; memory is never freed
 * piecemeal.  Pure: must not know what a request is.
 */
#ifndef LK_ARENA_H
#define LK_ARENA_H

#include <stddef.h>

struct lk_arena;

struct lk_arena	*arena_new(size_t limit);	/* caller frees */
void		 arena_free(struct lk_arena *);
void		 arena_reset(struct lk_arena *);
/* Returns zeroed memory or NULL when the arena's limit is reached. */
void		*arena_alloc(struct lk_arena *, size_t);
/* Returns a NUL-terminated copy or NULL. */
char		*arena_strndup(struct lk_arena *, const char *, size_t);
char		*arena_strdup(struct lk_arena *, const char *);
char		*arena_printf(struct lk_arena *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
