/*
 * sys.h: the daemon's two small system helpers that several modules
 * need: the monotonic clock in milliseconds and a mutex that lives in
 * shared memory and survives a holder's death.  Knows no latchkey type.
 */
#ifndef LK_SYS_H
#define LK_SYS_H

#include <pthread.h>
#include <stdint.h>

/* Milliseconds of the monotonic clock; 0 if it cannot be read. */
int64_t	 sys_mono_ms(void);

/* Initialises *m (in memory shared between processes) as a robust,
 * process-shared mutex.  Returns 0, or -1 on failure. */
int	 sys_shared_mutex_init(pthread_mutex_t *m);

#endif
