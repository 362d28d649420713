/*
 * log.h: one-line diagnostics on stderr, which the supervisor of latchkeyd
 * (systemd, the web server, the test harness) collects.  Never given a
 * secret: callers log ids, never credentials or bodies.
 */
#ifndef LK_LOG_H
#define LK_LOG_H

void	log_init(const char *progname);
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
