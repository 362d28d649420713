/*
 * fuzz.h: what the libFuzzer harnesses of tests/fuzz share: the entry
 * point's prototype, an invariant check that stops the run with a
 * message, and a NUL-terminated copy of the input.
 *
 * A harness only drives pure modules (no FastCGI, no libpq, no I/O), and
 * checks invariants of their results, not only that they do not crash.
 */
#ifndef LK_FUZZ_H
#define LK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* An invariant broke: say which, and let libFuzzer save the input. */
#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/* Returns a NUL-terminated copy of data (size bytes); caller frees. */
static inline char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL) {
		abort();	/* the fuzzer's own malloc limit */
	}
	if (size > 0) {
		memcpy(s, data, size);
	}
	s[size] = '\0';
	return s;
}

/*
 * Splits the input at the first occurrence of byte sep: *rest and
 * *restlen get what follows it.  Returns the length of what precedes it
 * (all of it when sep does not occur; *rest is then empty).
 */
static inline size_t
fuzz_split(const uint8_t *data, size_t size, uint8_t sep,
    const uint8_t **rest, size_t *restlen)
{
	const uint8_t *p = size > 0 ? memchr(data, sep, size) : NULL;

	if (p == NULL) {
		*rest = data + size;
		*restlen = 0;
		return size;
	}
	*rest = p + 1;
	*restlen = size - (size_t)(p - data) - 1;
	return (size_t)(p - data);
}

#endif
