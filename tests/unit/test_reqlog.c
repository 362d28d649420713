/*
 * test_reqlog.c: unit tests of the history ring's limits: a record over
 * REQLOG_MSG_MAX, a full ring with no writer, a size that is not a power
 * of two.  The record's serialiser is tested in test_record.c.
 */
#include "config.h"

#include <string.h>

#include <criterion/criterion.h>

#include "reqlog.h"

#define RING		(1024 * 1024)	/* a power of two */

Test(reqlog, refuses_a_record_over_the_limit)
{
	struct reqlog_ring *ring = reqlog_ring_create(RING);
	static char big[REQLOG_MSG_MAX];

	cr_assert_not_null(ring);
	memset(big, 'x', sizeof(big));
	cr_assert_eq(reqlog_append(ring, REQLOG_REQUEST, big, sizeof(big)),
	    LK_ETOOBIG);
	cr_assert_eq(reqlog_append(ring, REQLOG_REQUEST, "{}", 2), LK_OK);
}

Test(reqlog, gives_up_on_a_full_ring_after_a_bounded_wait)
{
	struct reqlog_ring *ring = reqlog_ring_create(RING);
	static char rec[REQLOG_MSG_MAX / 2];
	int i, n = 0;

	cr_assert_not_null(ring);
	memset(rec, 'x', sizeof(rec));
	/* No writer: the ring holds what fits, then refuses. */
	for (i = 0; i < 16; i++) {
		if (reqlog_append(ring, REQLOG_REQUEST, rec, sizeof(rec)) !=
		    LK_OK) {
			break;
		}
		n++;
	}
	cr_assert(n >= 7 && n < 16, "%d records fit", n);
	cr_assert_eq(reqlog_append(ring, REQLOG_REQUEST, rec, sizeof(rec)),
	    LK_EIO);
}

Test(reqlog, refuses_a_ring_that_is_not_a_power_of_two)
{
	cr_assert_null(reqlog_ring_create(3 * REQLOG_MSG_MAX));
	cr_assert_null(reqlog_ring_create(1024));
}
