/*
 * metrics.c: the host's shared metrics block.  See metrics.h.  Knows
 * mmap(); the counting and the exposition are stats.c's.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "log.h"
#include "metrics.h"

/* Written once by the master before it forks, read-only after. */
static struct stats_block *block;

enum lk_err
metrics_map(void)
{
	void *p;

	if (block != NULL) {
		return LK_OK;
	}
	p = mmap(NULL, sizeof(*block), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		log_err("metrics: mmap: %s", strerror(errno));
		return LK_ENOMEM;
	}
	/* mmap gives zeroed pages: every counter starts at 0. */
	block = p;
	return LK_OK;
}

struct stats_block *
metrics_block(void)
{
	return block;
}
