/*
 * conf_load.c: reads the configuration file, the one piece of
 * configuration that does I/O, and hands the text to config_load_text()
 * (src/lib/conf.c) with the real environment.  Linked into latchkeyd and
 * latchkeyctl.  Must not know any key: parsing and validation are
 * conf.c's.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conf.h"
#include "util.h"

static const char *
env_get(const char *name)
{
	return getenv(name);
}

enum lk_err
config_load(struct lk_config *c, const char *path, char err[CONFIG_ERR_MAX])
{
	char *text = NULL;
	size_t len = 0;
	ssize_t n;
	enum lk_err e = LK_EIO;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		util_message(err, CONFIG_ERR_MAX, "%s: %s", path,
		    strerror(errno));
		return LK_EIO;
	}
	if ((text = malloc(CONFIG_FILE_MAX + 1)) == NULL) {
		e = LK_ENOMEM;
		util_message(err, CONFIG_ERR_MAX, "out of memory");
		goto done;
	}
	for (;;) {
		n = read(fd, text + len, CONFIG_FILE_MAX + 1 - len);
		if (n == -1 && errno == EINTR) {
			continue;
		}
		if (n == -1) {
			util_message(err, CONFIG_ERR_MAX, "%s: %s", path,
		    strerror(errno));
			goto done;
		}
		if (n == 0) {
			break;
		}
		len += (size_t)n;
		if (len > CONFIG_FILE_MAX) {
			e = LK_ETOOBIG;
			util_message(err, CONFIG_ERR_MAX,
			    "%s: larger than %d bytes", path,
			    CONFIG_FILE_MAX);
			goto done;
		}
	}
	e = config_load_text(c, text, len, env_get, err);
done:
	if (text != NULL) {
		OPENSSL_cleanse(text, CONFIG_FILE_MAX + 1);
		free(text);
	}
	(void)close(fd);	/* read-only: nothing to lose */
	return e;
}
