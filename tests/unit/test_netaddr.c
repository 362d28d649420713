/*
 * test_netaddr.c: unit tests of netaddr.c: CIDR parsing and matching,
 * and which address a request's throttles count, with and without
 * trusted proxies and X-Forwarded-For.  Table-driven.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "netaddr.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static struct netaddr_cidr
cidr(const char *s)
{
	struct netaddr_cidr c;

	cr_assert_eq(netaddr_parse_cidr(s, strlen(s), &c), LK_OK, "%s", s);
	return c;
}

Test(netaddr, parses_addresses_and_blocks)
{
	static const struct {
		const char	*text;
		int		 v6;
		unsigned	 prefix;
	} cases[] = {
		{ "192.0.2.1", 0, 32 },
		{ "10.0.0.0/8", 0, 8 },
		{ "0.0.0.0/0", 0, 0 },
		{ "::1", 1, 128 },
		{ "2001:db8::/32", 1, 32 },
		{ "::/0", 1, 0 },
		{ "::ffff:192.0.2.1", 0, 32 },		/* mapped: IPv4 */
		{ "::ffff:10.0.0.0/104", 0, 8 },
	};
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		struct netaddr_cidr c = cidr(cases[i].text);

		cr_expect_eq(c.v6, cases[i].v6, "%s", cases[i].text);
		cr_expect_eq(c.prefix, cases[i].prefix, "%s", cases[i].text);
	}
}

Test(netaddr, refuses_what_is_not_an_address_or_block)
{
	static const char *const bad[] = {
		"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1",
		"10.0.0.0/8x", "10.0.0.1/8", "2001:db8::1/32",
		"2001:db8::/129", "::ffff:10.0.0.0/95", "1.2.3", "1.2.3.256",
		"example.test", "10.0.0.0 /8", "[::1]",
		"0000000000000000000000000000000000000000000000000000000000001",
	};
	struct netaddr_cidr c;
	size_t i;

	for (i = 0; i < NITEMS(bad); i++) {
		cr_expect_eq(netaddr_parse_cidr(bad[i], strlen(bad[i]), &c),
		    LK_EINVAL, "\"%s\" accepted", bad[i]);
	}
	cr_expect_eq(netaddr_parse_cidr("10.0.0.0\0/8", 11, &c), LK_EINVAL);
}

Test(netaddr, matches_addresses_against_blocks)
{
	static const struct {
		const char	*addr;
		const char	*block;
		int		 want;
	} cases[] = {
		{ "10.1.2.3", "10.0.0.0/8", 1 },
		{ "11.0.0.0", "10.0.0.0/8", 0 },
		{ "192.0.2.129", "192.0.2.128/25", 1 },
		{ "192.0.2.127", "192.0.2.128/25", 0 },
		{ "192.0.2.7", "192.0.2.7", 1 },
		{ "192.0.2.8", "192.0.2.7", 0 },
		{ "8.8.8.8", "0.0.0.0/0", 1 },
		{ "2001:db8:1::5", "2001:db8::/32", 1 },
		{ "2001:db9::5", "2001:db8::/32", 0 },
		{ "::ffff:10.0.0.1", "10.0.0.0/8", 1 },
		{ "10.0.0.1", "::/0", 0 },		/* families apart */
		{ "::1", "0.0.0.0/0", 0 },
	};
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		struct netaddr_cidr a = cidr(cases[i].addr);
		struct netaddr_cidr b = cidr(cases[i].block);

		cr_expect_eq(netaddr_in(&a, &b), cases[i].want, "%s in %s",
		    cases[i].addr, cases[i].block);
	}
}

Test(netaddr, decides_the_client_address_of_a_request)
{
	static const struct {
		const char	*name;
		const char	*remote;
		const char	*xff;
		const char	*want;
	} cases[] = {
		{ "no header: the peer", "198.51.100.7", NULL,
		    "198.51.100.7" },
		{ "an untrusted peer's header is ignored", "198.51.100.7",
		    "203.0.113.9", "198.51.100.7" },
		{ "a trusted peer's header names the client", "10.0.0.2",
		    "203.0.113.9", "203.0.113.9" },
		{ "the right-most untrusted entry wins over a forged one",
		    "10.0.0.2", "1.1.1.1, 203.0.113.9", "203.0.113.9" },
		{ "trusted hops are skipped from the right", "10.0.0.2",
		    "1.1.1.1, 203.0.113.9, 10.0.0.5, 192.0.2.7",
		    "203.0.113.9" },
		{ "only proxies: the left-most", "10.0.0.2",
		    "10.0.0.9,192.0.2.7", "10.0.0.9" },
		{ "garbage stops the walk at the hop to its right",
		    "10.0.0.2", "203.0.113.9, nonsense, 10.0.0.3",
		    "10.0.0.3" },
		{ "garbage as the only entry: the peer", "10.0.0.2",
		    "unknown", "10.0.0.2" },
		{ "an empty header: the peer", "10.0.0.2", "", "10.0.0.2" },
		{ "spaces and tabs are trimmed", "10.0.0.2",
		    " \t203.0.113.9 \t", "203.0.113.9" },
		{ "an empty entry stops the walk", "10.0.0.2",
		    "203.0.113.9,,10.0.0.4", "10.0.0.4" },
		{ "an IPv6 client behind a v4 proxy, cut to its /64",
		    "10.0.0.2", "2001:DB8:1:2:3:4:5:6", "2001:db8:1:2::/64" },
		{ "an IPv6 peer, cut to its /64", "2001:db8::1", NULL,
		    "2001:db8::/64" },
		{ "a trusted IPv6 proxy", "2001:db8:ffff::1",
		    "203.0.113.9", "203.0.113.9" },
		{ "a mapped IPv4 peer is IPv4", "::ffff:198.51.100.7", NULL,
		    "198.51.100.7" },
		{ "no peer: -", NULL, "203.0.113.9", "-" },
		{ "an unparsable peer: -", "unix:", NULL, "-" },
	};
	struct netaddr_cidr proxies[3];
	char out[NETADDR_STR_MAX];
	size_t i;

	proxies[0] = cidr("10.0.0.0/8");
	proxies[1] = cidr("192.0.2.7");
	proxies[2] = cidr("2001:db8:ffff::/48");
	for (i = 0; i < NITEMS(cases); i++) {
		netaddr_client(cases[i].remote, cases[i].xff, proxies, 3, 1,
		    out);
		cr_expect_str_eq(out, cases[i].want, "%s", cases[i].name);
	}
}

Test(netaddr, trusts_no_header_without_proxies)
{
	char out[NETADDR_STR_MAX];

	netaddr_client("10.0.0.2", "203.0.113.9", NULL, 0, 1, out);
	cr_expect_str_eq(out, "10.0.0.2");
}

Test(netaddr, keeps_a_whole_ipv6_address_when_asked)
{
	char out[NETADDR_STR_MAX];

	netaddr_client("2001:db8::1", NULL, NULL, 0, 0, out);
	cr_expect_str_eq(out, "2001:db8::1");
}

Test(netaddr, walks_at_most_the_hop_limit)
{
	char xff[NETADDR_XFF_LEN_MAX + 2], out[NETADDR_STR_MAX];
	struct netaddr_cidr proxy = cidr("10.0.0.0/8");
	size_t off = 0, i;
	int n;

	/* A real client on the left, then more proxies than the limit. */
	n = snprintf(xff, sizeof(xff), "203.0.113.9");
	cr_assert(n > 0);
	off = (size_t)n;
	for (i = 0; i < NETADDR_XFF_HOPS_MAX + 1; i++) {
		n = snprintf(xff + off, sizeof(xff) - off, ",10.0.0.%zu", i);
		cr_assert(n > 0 && (size_t)n < sizeof(xff) - off);
		off += (size_t)n;
	}
	netaddr_client("10.0.0.1", xff, &proxy, 1, 1, out);
	cr_expect(strncmp(out, "10.0.0.", 7) == 0, "%s", out);
	/* A header over the length limit is not trusted at all. */
	memset(xff, '1', sizeof(xff) - 1);
	xff[sizeof(xff) - 1] = '\0';
	netaddr_client("10.0.0.1", xff, &proxy, 1, 1, out);
	cr_expect_str_eq(out, "10.0.0.1");
}
