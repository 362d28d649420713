/*
 * arena.c: the request arena: chunks of memory handed out bump by bump,
 * all freed at once by arena_reset(), which the worker calls once per
 * request.  Pure: no I/O; must not know what a request is or who calls
 * reset.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define ARENA_CHUNK	(64 * 1024)
#define ARENA_ALIGN	16

struct chunk {
	struct chunk	*next;
	size_t		 size;
	size_t		 used;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

struct lk_arena {
	struct chunk	*head;
	size_t		 total;		/* bytes in chunks */
	size_t		 limit;
};

struct lk_arena *
arena_new(size_t limit)
{
	struct lk_arena *a;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		return NULL;
	}
	a->limit = limit;
	return a;
}

static void
free_chunks(struct chunk *c)
{
	struct chunk *next;

	for (; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
}

void
arena_free(struct lk_arena *a)
{
	if (a == NULL) {
		return;
	}
	free_chunks(a->head);
	free(a);
}

void
arena_reset(struct lk_arena *a)
{
	/* Keep the first chunk, which is the one most requests fit in. */
	struct chunk *keep;

	if (a->head == NULL) {
		return;
	}
	for (keep = a->head; keep->next != NULL; keep = keep->next) {
		;
	}
	if (keep != a->head) {
		struct chunk *c, *next;

		for (c = a->head; c != keep; c = next) {
			next = c->next;
			free(c);
		}
	}
	keep->used = 0;
	a->head = keep;
	a->total = keep->size;
}

void *
arena_alloc(struct lk_arena *a, size_t n)
{
	struct chunk *c = a->head;
	size_t size;
	void *p;

	if (n > SIZE_MAX - ARENA_ALIGN) {
		return NULL;
	}
	n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (c == NULL || c->size - c->used < n) {
		size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		if (size > a->limit || a->total > a->limit - size) {
			return NULL;
		}
		if ((c = malloc(sizeof(*c) + size)) == NULL) {
			return NULL;
		}
		c->size = size;
		c->used = 0;
		c->next = a->head;
		a->head = c;
		a->total += size;
	}
	p = c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *
arena_strndup(struct lk_arena *a, const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX || (p = arena_alloc(a, n + 1)) == NULL) {
		return NULL;
	}
	if (n > 0) {
		memcpy(p, s, n);
	}
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct lk_arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_printf(struct lk_arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (p = arena_alloc(a, (size_t)n + 1)) == NULL) {
		return NULL;
	}
	va_start(ap, fmt);
	if (vsnprintf(p, (size_t)n + 1, fmt, ap) != n) {
		p = NULL;
	}
	va_end(ap);
	return p;
}
