/*
 * main.c: latchkeyd, the FastCGI server.  Loads the config, opens the
 * listening socket and hands over to the prefork master.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "prefork.h"

static void
usage(void)
{
	fprintf(stderr, "usage: latchkeyd -c CONFIG_FILE\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct lk_config cfg;
	char err[CONFIG_ERR_MAX];
	const char *path = NULL;
	int ch, fd, status;

	log_init("latchkeyd");
	while ((ch = getopt(argc, argv, "c:h")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		default:
			usage();
		}
	}
	if (path == NULL || optind != argc) {
		usage();
	}
	if (config_load(&cfg, path, err) != LK_OK ||
	    config_validate_daemon(&cfg, err) != LK_OK) {
		log_err("%s", err);
		config_wipe(&cfg);
		return 1;
	}
	if ((fd = prefork_listen(&cfg)) == -1) {
		return 1;
	}
	status = prefork_run(&cfg, path, fd);
	prefork_unlisten(&cfg, fd);
	config_wipe(&cfg);
	return status;
}
