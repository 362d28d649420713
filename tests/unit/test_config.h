/*
 * test_config.h: what the configuration's unit tests share: strong
 * secrets and the parse helper.  Included by test_config.c and
 * test_config_load.c only.
 */
#ifndef LK_TEST_CONFIG_H
#define LK_TEST_CONFIG_H

#include <string.h>

#include <criterion/criterion.h>

#include "conf.h"

#define ERR_NONE	"(none)"
/* 64 hex digits from a random source: about 250 estimated bits. */
#define STRONG_SECRET \
	"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define STRONG_SECRET_2 \
	"Xq7vRk2LmN9pTz4wYb6cHd8fJg3sKa5uEo1iWr0tQy2zVx4nMb6lPk8jHg0fDs"

/* Builds "key = " followed by n copies of c into a static buffer. */
static inline const char *
repeat(const char *key, char c, size_t n)
{
	static char line[4096];
	size_t k = strlen(key);

	cr_assert(k + 3 + n < sizeof(line));
	memcpy(line, key, k);
	memcpy(line + k, " = ", 3);
	memset(line + k + 3, c, n);
	line[k + 3 + n] = '\0';
	return line;
}

/* Parses text over the defaults; returns the result and fills err. */
static inline enum lk_err
parse(struct lk_config *c, const char *text, char err[CONFIG_ERR_MAX])
{
	config_defaults(c);
	err[0] = '\0';
	return config_parse(c, text, strlen(text), err);
}

#endif
