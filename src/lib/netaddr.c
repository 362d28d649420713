/*
 * netaddr.c: IP addresses, CIDR blocks and the client address of a
 * request (see netaddr.h).  Pure: inet_pton and inet_ntop only convert
 * text; nothing here does I/O.  Must not know about HTTP or FastCGI:
 * the caller hands over REMOTE_ADDR and X-Forwarded-For as strings.
 */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include "netaddr.h"
#include "util.h"

#define ADDR_TEXT_MAX	64	/* longest address text we parse */
#define UNKNOWN		"-"	/* what an unreadable address is written as */

static const unsigned char v4_mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* Parses one address (len bytes, no prefix) into *out (prefix full). */
static enum lk_err
parse_addr(const char *s, size_t len, struct netaddr_cidr *out)
{
	char text[ADDR_TEXT_MAX];
	struct netaddr_cidr a;

	if (len == 0 || len >= sizeof(text) || memchr(s, '\0', len) != NULL) {
		return LK_EINVAL;
	}
	memcpy(text, s, len);
	text[len] = '\0';
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, text, a.addr) == 1) {
		a.prefix = 32;
	} else if (inet_pton(AF_INET6, text, a.addr) == 1) {
		if (memcmp(a.addr, v4_mapped, sizeof(v4_mapped)) == 0) {
			memmove(a.addr, a.addr + 12, 4);
			memset(a.addr + 4, 0, 12);
			a.prefix = 32;
		} else {
			a.v6 = 1;
			a.prefix = 128;
		}
	} else {
		return LK_EINVAL;
	}
	*out = a;
	return LK_OK;
}

/* Returns 1 if the first bits of x and y agree. */
static int
prefix_equal(const unsigned char *x, const unsigned char *y, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	unsigned char mask;

	if (memcmp(x, y, full) != 0) {
		return 0;
	}
	if (rest == 0) {
		return 1;
	}
	mask = (unsigned char)(0xff << (8 - rest));
	return (x[full] & mask) == (y[full] & mask);
}

enum lk_err
netaddr_parse_cidr(const char *s, size_t len, struct netaddr_cidr *out)
{
	struct netaddr_cidr a, zero;
	const char *slash = memchr(s, '/', len);
	size_t alen = slash != NULL ? (size_t)(slash - s) : len;
	unsigned max;
	long p;

	if (parse_addr(s, alen, &a) != LK_OK) {
		return LK_EINVAL;
	}
	max = a.v6 ? 128 : 32;
	if (slash != NULL) {
		/* A mapped address's prefix counts IPv6 bits. */
		if (util_parse_long(slash + 1, len - alen - 1, 0, 128, &p) !=
		    LK_OK) {
			return LK_EINVAL;
		}
		if (!a.v6 && alen > 0 && memchr(s, ':', alen) != NULL) {
			if (p < 96) {
				return LK_EINVAL;
			}
			p -= 96;
		}
		if ((unsigned long)p > max) {
			return LK_EINVAL;
		}
		a.prefix = (unsigned)p;
	}
	/* Host bits must be zero: "10.0.0.1/8" is a typo, not 10/8. */
	memset(&zero, 0, sizeof(zero));
	memcpy(zero.addr, a.addr, a.prefix / 8);
	if (a.prefix % 8 != 0) {
		zero.addr[a.prefix / 8] = (unsigned char)(a.addr[a.prefix / 8] &
		    (0xff << (8 - a.prefix % 8)));
	}
	if (memcmp(zero.addr, a.addr, sizeof(a.addr)) != 0) {
		return LK_EINVAL;
	}
	*out = a;
	return LK_OK;
}

int
netaddr_in(const struct netaddr_cidr *a, const struct netaddr_cidr *b)
{
	return a->v6 == b->v6 && prefix_equal(a->addr, b->addr, b->prefix);
}

static int
trusted(const struct netaddr_cidr *a, const struct netaddr_cidr *proxies,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (netaddr_in(a, &proxies[i])) {
			return 1;
		}
	}
	return 0;
}

/* Writes a's canonical text (cut to /64 if asked) into out. */
static void
format(const struct netaddr_cidr *a, int v6_64, char out[NETADDR_STR_MAX])
{
	unsigned char b[16];
	char text[INET6_ADDRSTRLEN];

	memcpy(b, a->addr, sizeof(b));
	if (a->v6 && v6_64) {
		memset(b + 8, 0, 8);
	}
	if (inet_ntop(a->v6 ? AF_INET6 : AF_INET, b, text, sizeof(text)) ==
	    NULL) {
		memcpy(out, UNKNOWN, sizeof(UNKNOWN));
		return;
	}
	if (util_snprintf(out, NETADDR_STR_MAX, "%s%s", text,
	    a->v6 && v6_64 ? "/64" : "") != LK_OK) {
		memcpy(out, UNKNOWN, sizeof(UNKNOWN));
	}
}

/* Trims spaces and tabs around [*s, *e). */
static void
trim(const char **s, const char **e)
{
	while (*s < *e && (**s == ' ' || **s == '\t')) {
		(*s)++;
	}
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t')) {
		(*e)--;
	}
}

void
netaddr_client(const char *remote, const char *xff,
    const struct netaddr_cidr *proxies, size_t n, int throttle_v6_64,
    char out[NETADDR_STR_MAX])
{
	struct netaddr_cidr client, hop;
	const char *end, *start, *s, *e;
	size_t len, hops;

	if (remote == NULL || parse_addr(remote, strlen(remote), &client) !=
	    LK_OK) {
		memcpy(out, UNKNOWN, sizeof(UNKNOWN));
		return;
	}
	if (xff != NULL && n > 0 && trusted(&client, proxies, n) &&
	    (len = strlen(xff)) <= NETADDR_XFF_LEN_MAX) {
		end = xff + len;
		for (hops = 0; hops < NETADDR_XFF_HOPS_MAX && end > xff;
		    hops++) {
			start = end;
			while (start > xff && start[-1] != ',') {
				start--;
			}
			s = start;
			e = end;
			trim(&s, &e);
			if (parse_addr(s, (size_t)(e - s), &hop) != LK_OK) {
				break;
			}
			client = hop;
			if (!trusted(&hop, proxies, n)) {
				break;
			}
			end = start > xff ? start - 1 : xff;
		}
	}
	format(&client, throttle_v6_64, out);
}
