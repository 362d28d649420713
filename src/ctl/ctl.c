/*
 * ctl.c: what every latchkeyctl command shares: its messages (stderr,
 * prefixed "latchkeyctl: "), its output (stdout, checked once by main),
 * bounded reads of a file or stdin, and loading -c CONFIG.
 *
 * It knows no command and no SQL.  Secrets pass through ctl_read_fd()'s
 * caller's buffer only; wiping it is the caller's part.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"

/* Prints "latchkeyctl: " and the message to stderr, without a line end. */
static void
vreport(const char *fmt, va_list ap)
{
	/* stderr failing leaves nothing to tell; hence the (void)s. */
	(void)fputs(CTL_PROG ": ", stderr);
	(void)vfprintf(stderr, fmt, ap);
}

void
ctl_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	(void)fputc('\n', stderr);	/* see vreport() */
}

int
ctl_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	(void)fprintf(stderr, "\nRun '%s help' for usage.\n", CTL_PROG);
	return CTL_EXIT_USAGE;
}

void
ctl_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vprintf(fmt, ap);	/* see ctl.h: main() checks stdout */
	va_end(ap);
}

int
ctl_is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

void
ctl_say_clean(const char *s)
{
	for (; *s != '\0'; s++) {
		ctl_say("%c", ctl_is_control((unsigned char)*s) ? ' ' : *s);
	}
}

enum lk_err
ctl_read_fd(int fd, char *buf, size_t max, size_t *len)
{
	size_t n = 0;
	ssize_t r;

	for (;;) {
		r = read(fd, buf + n, max + 1 - n);
		if (r == -1 && errno == EINTR) {
			continue;
		}
		if (r == -1) {
			return LK_EINVAL;
		}
		if (r == 0) {
			break;
		}
		n += (size_t)r;
		if (n > max) {
			return LK_ETOOBIG;
		}
	}
	*len = n;
	return LK_OK;
}

/*
 * Prints "[latchkeyctl: cmd: ]path: error" for a config_load() error,
 * whose I/O errors already start with the path.  cmd may be NULL.
 */
static void
config_error(const char *cmd, const char *path, const char *err)
{
	size_t plen = strlen(path);

	/* stderr failing leaves nothing to tell; hence the (void)s. */
	if (cmd != NULL) {
		(void)fprintf(stderr, "%s: %s: ", CTL_PROG, cmd);
	}
	if (strncmp(err, path, plen) == 0 && err[plen] == ':') {
		(void)fprintf(stderr, "%s\n", err);
	} else {
		(void)fprintf(stderr, "%s: %s\n", path, err);
	}
}

struct lk_config *
ctl_config_load(const char *path, const char *cmd, int plain)
{
	struct lk_config *cfg;
	char err[CONFIG_ERR_MAX];

	if ((cfg = malloc(sizeof(*cfg))) == NULL) {
		ctl_err("%s: out of memory", cmd);
		return NULL;
	}
	if (config_load(cfg, path, err) != LK_OK) {
		config_error(plain ? NULL : cmd, path, err);
		ctl_config_free(cfg);
		return NULL;
	}
	return cfg;
}

void
ctl_config_free(struct lk_config *cfg)
{
	if (cfg == NULL) {
		return;
	}
	config_wipe(cfg);
	free(cfg);
}
