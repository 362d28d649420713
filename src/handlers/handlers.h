/*
 * handlers.h: the route tables of the management API, one per resource
 * file.  app.c matches a request against all of them.
 */
#ifndef LK_HANDLERS_H
#define LK_HANDLERS_H

#include "router.h"

/* A timestamptz column as RFC 3339 UTC text. */
#define SQL_TS(col) \
	"to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
/* The keyset cursor "<micros since epoch>.<uuid>" of a row. */
#define SQL_CURSOR(tscol, idcol) \
	"((extract(epoch FROM " tscol ") * 1000000)::bigint || '.' || " \
	idcol ")"
/* The keyset condition after the cursor in $a (micros) and $b (uuid). */
#define SQL_AFTER(tscol, idcol, a, b) \
	"(" a "::bigint IS NULL OR (" tscol ", " idcol ") > " \
	"(timestamptz 'epoch' + " a "::bigint * interval '1 microsecond', " \
	b "::uuid))"

extern const struct route_table handlers_health;
extern const struct route_table handlers_auth;
extern const struct route_table handlers_me;
extern const struct route_table handlers_users;

#endif
