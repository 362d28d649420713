/*
 * jsoncheck.h: is a request body JSON as RFC 8259 defines it, and no
 * more?  json-c's strict mode still takes single-quoted strings, NaN,
 * Infinity and raw control characters in strings; a body the API
 * accepts must be one that every other JSON parser (the redactor of the
 * request history, a client's library) reads the same way.
 *
 * Pure: no I/O, no allocation.  Knows the grammar only; whether the bytes
 * are UTF-8 is sanitize.c's question, what the values mean the handlers'.
 */
#ifndef LK_JSONCHECK_H
#define LK_JSONCHECK_H

#include <stddef.h>

#include "err.h"

/*
 * Checks that s (len bytes, need not be NUL-terminated) is exactly one
 * JSON value with optional white space around it, nested at most
 * max_depth arrays and objects deep.  Returns LK_OK, or LK_EINVAL with
 * *at the offset of the first byte that breaks the grammar (len when the
 * text ends too soon), or LK_ETOOBIG with *at where max_depth is passed.
 * *at is untouched on success.
 */
enum lk_err	jsoncheck_strict(const char *s, size_t len, int max_depth,
		    size_t *at) LK_MUST_CHECK;

#endif
