/*
 * netaddr.h: client addresses for throttling.  Pure: parses IP addresses
 * and CIDR blocks (IPv4 and IPv6) and decides which address a request
 * came from, trusting X-Forwarded-For only from configured proxies.  No
 * I/O, no globals.
 */
#ifndef LK_NETADDR_H
#define LK_NETADDR_H

#include <stddef.h>

#include "err.h"

#define NETADDR_STR_MAX		64	/* an address or a /64, with NUL */
#define NETADDR_XFF_HOPS_MAX	32	/* X-Forwarded-For entries examined */
#define NETADDR_XFF_LEN_MAX	4096	/* longer headers are not trusted */

/* An address (prefix 32 or 128) or a block; IPv4-mapped IPv6 addresses
 * are stored as IPv4. */
struct netaddr_cidr {
	int		 v6;		/* 0: IPv4 (4 bytes of addr used) */
	unsigned char	 addr[16];	/* network order, host bits zero */
	unsigned	 prefix;	/* 0..32 or 0..128 */
};

/*
 * Parses "ADDR" or "ADDR/PREFIX" (s, len bytes) into *out.  Host bits
 * set beyond the prefix are refused, so that a typo ("10.0.0.1/8") is
 * not silently widened.  Errors: LK_EINVAL.
 */
enum lk_err	netaddr_parse_cidr(const char *s, size_t len,
		    struct netaddr_cidr *out) LK_MUST_CHECK;

/* Returns 1 if the address a (a prefix-32/128 netaddr_cidr) lies in
 * block b. */
int		netaddr_in(const struct netaddr_cidr *a,
		    const struct netaddr_cidr *b);

/*
 * Decides the client address of a request.  remote is REMOTE_ADDR (the
 * peer), xff the X-Forwarded-For header (NULL if absent), proxies the n
 * trusted proxies.  When the peer is a trusted proxy, the right-most
 * X-Forwarded-For entry that is not itself a trusted proxy is the
 * client (an unparsable entry stops the walk at the hop to its right;
 * a chain of proxies only gives the left-most).  Otherwise the header,
 * which anyone can send, is ignored.  Writes the address in canonical
 * text into out (NETADDR_STR_MAX bytes); an unparsable or absent remote
 * gives "-".  IPv6 addresses are cut to their /64 when throttle_v6_64
 * is set: one host owns at least a /64.
 */
void		netaddr_client(const char *remote, const char *xff,
		    const struct netaddr_cidr *proxies, size_t n,
		    int throttle_v6_64, char out[NETADDR_STR_MAX]);

#endif
