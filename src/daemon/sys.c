/*
 * sys.c: the monotonic clock in milliseconds and the robust,
 * process-shared mutex of the shared-memory modules (authcache.c,
 * reqlog.c).  It knows no latchkey type and allocates nothing.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "sys.h"

int64_t
sys_mono_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1) {
		return 0;
	}
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
sys_shared_mutex_init(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;
	int rc;

	if (pthread_mutexattr_init(&a) != 0) {
		return -1;
	}
	rc = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED) != 0 ||
	    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) != 0 ||
	    pthread_mutex_init(m, &a) != 0 ? -1 : 0;
	(void)pthread_mutexattr_destroy(&a);	/* cannot fail here */
	return rc;
}
