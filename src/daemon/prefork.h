/*
 * prefork.h: the master process of latchkeyd and its workers' lifecycle.
 *
 * The master owns the listening socket and nothing else: it forks the
 * workers, respawns one that dies (backing off when they die young), stops
 * them all on SIGTERM/SIGINT (no new accepts, in-flight requests finish,
 * SIGKILL after the shutdown timeout) and on SIGHUP reloads the config
 * and replaces every worker with one running the new config.
 */
#ifndef LK_PREFORK_H
#define LK_PREFORK_H

#include "conf.h"

/* Opens the listening socket the config names (fd 0 for "stdin").
 * Returns the fd or -1 with a message logged. */
int	prefork_listen(const struct lk_config *);

/* Closes the socket and removes a unix socket's path. */
void	prefork_unlisten(const struct lk_config *, int fd);

/*
 * Runs the master until it is told to stop.  cfg is the loaded
 * configuration (updated in place on reload); config_path is re-read on
 * SIGHUP.  Returns the process exit status.
 */
int	prefork_run(struct lk_config *cfg, const char *config_path,
	    int listen_fd);

#endif
