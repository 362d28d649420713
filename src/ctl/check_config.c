/*
 * check_config.c: latchkeyctl check-config: validates a configuration
 * file as latchkeyd would load it (config_load(), which also refuses the
 * example's placeholder secret and weak ones), then what latchkeyd alone
 * needs (config_validate_daemon()), and says "path: ok".
 *
 * No database.  The config's secrets are wiped before it is freed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "args.h"
#include "conf.h"
#include "ctl.h"

int
ctl_check_config(const struct args *a)
{
	struct lk_config *cfg;
	char err[CONFIG_ERR_MAX];
	const char *path;

	if (a->value[OPT_CONFIG] != NULL && a->npos == 1) {
		path = a->value[OPT_CONFIG];
	} else if (a->value[OPT_CONFIG] == NULL && a->npos == 2) {
		path = a->pos[1];
	} else {
		return ctl_usage("check-config takes one file: "
		    "check-config -c FILE");
	}
	if ((cfg = ctl_config_load(path, "check-config", 1)) == NULL) {
		return EXIT_FAILURE;
	}
	/* latchkeyd also needs the history writer's connection. */
	if (config_validate_daemon(cfg, err) != LK_OK) {
		ctl_config_free(cfg);
		/* stderr failing leaves nothing to tell. */
		(void)fprintf(stderr, "%s: %s\n", path, err);
		return EXIT_FAILURE;
	}
	ctl_config_free(cfg);
	ctl_say("%s: ok\n", path);
	return EXIT_SUCCESS;
}
