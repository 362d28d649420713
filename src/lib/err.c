/*
 * err.c: names of the error enum.  Knows nothing else.
 */
#include "config.h"

#include <stddef.h>

#include "err.h"

static const char *const names[LK_ERR_COUNT] = {
	[LK_OK] = "ok",
	[LK_EINVAL] = "invalid input",
	[LK_ETOOBIG] = "input too large",
	[LK_ENOMEM] = "out of memory",
	[LK_ENOTFOUND] = "not found",
	[LK_EEXPIRED] = "expired",
	[LK_EREVOKED] = "revoked",
	[LK_EDENIED] = "denied",
	[LK_ECONFLICT] = "conflict",
	[LK_EDB] = "database error",
	[LK_EUNAVAIL] = "database unavailable",
	[LK_ECRYPTO] = "crypto failure",
	[LK_EIO] = "i/o error",
};

const char *
lk_err_str(enum lk_err e)
{
	if ((unsigned)e >= LK_ERR_COUNT || names[e] == NULL) {
		return "unknown error";
	}
	return names[e];
}
