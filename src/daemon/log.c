/*
 * log.c: timestamped lines on stderr.  Each line is written with one
 * write(2) so lines of concurrent workers do not interleave.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	1024

static const char *prog = "latchkey";

void
log_init(const char *progname)
{
	prog = progname;
}

static void
vlog(const char *level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	struct tm tm;
	time_t now = time(NULL);
	size_t off = 0, i;
	int n;

	if (gmtime_r(&now, &tm) == NULL) {
		memset(&tm, 0, sizeof(tm));
	}
	n = snprintf(line, sizeof(line),
	    "%04d-%02d-%02dT%02d:%02d:%02dZ %s[%ld] %s: ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, prog, (long)getpid(), level);
	if (n < 0) {
		return;
	}
	off = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
	n = vsnprintf(line + off, sizeof(line) - off, fmt, ap);
	if (n < 0) {
		return;
	}
	off += (size_t)n < sizeof(line) - off ? (size_t)n :
	    sizeof(line) - off - 1;
	/* Scrub control characters so one call is one line. */
	for (i = 0; i < off; i++) {
		if ((unsigned char)line[i] < 0x20) {
			line[i] = ' ';
		}
	}
	if (off >= sizeof(line) - 1) {
		off = sizeof(line) - 2;
	}
	line[off++] = '\n';
	/* Nothing sensible is left to do if stderr is gone. */
	(void)!write(STDERR_FILENO, line, off);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("info", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warning", fmt, ap);
	va_end(ap);
}

void
log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("error", fmt, ap);
	va_end(ap);
}
