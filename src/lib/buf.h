/*
 * buf.h: length-carrying strings and a bounded growable byte buffer (the
 * per-request arena is in arena.h, included here for its callers).
 *
 * A struct lk_buf has a sticky failure flag: appends after a failure (out of
 * memory or over the buffer's maximum) are no-ops, so a builder checks
 * buf_failed() once at the end.  The buffer is always NUL-terminated.
 */
#ifndef LK_BUF_H
#define LK_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"	/* the arena was declared here: callers rely on it */
#include "err.h"

struct lk_str {
	const char	*p;
	size_t		 len;
};

#define LK_STR(lit)	((struct lk_str){ (lit), sizeof(lit) - 1 })

/* Returns a view of a NUL-terminated string; NULL gives the empty view. */
struct lk_str	 lk_str_c(const char *);
/* Returns 1 if the view equals the NUL-terminated string. */
int		 lk_str_eq(struct lk_str, const char *);

struct lk_buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	size_t	 max;		/* hard limit on len */
	int	 failed;
};

/* Sets up an empty buffer that may grow to max bytes; allocates lazily. */
void	 buf_init(struct lk_buf *, size_t max);
/* Frees the storage; the buffer may be initialised again. */
void	 buf_free(struct lk_buf *);
/* Empties the buffer and clears the failure flag, keeping the storage. */
void	 buf_reset(struct lk_buf *);
void	 buf_append(struct lk_buf *, const void *, size_t);
void	 buf_puts(struct lk_buf *, const char *);
void	 buf_putc(struct lk_buf *, char);
void	 buf_printf(struct lk_buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 buf_vprintf(struct lk_buf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
/* Appends v in decimal, as "%lld" would, without printf's cost (a
 * history record's numbers were 5 % of a worker's CPU through
 * buf_printf(), measured). */
void	 buf_put_i64(struct lk_buf *, int64_t v);
/* Appends s as a JSON string literal, quotes included. */
void	 buf_json_str(struct lk_buf *, const char *s, size_t len);
/* Returns 1 once any append has failed. */
int	 buf_failed(const struct lk_buf *);
/* Returns the contents, NUL-terminated, owned by the buffer; never NULL. */
const char *buf_cstr(const struct lk_buf *);

#endif
