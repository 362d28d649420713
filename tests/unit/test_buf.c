/*
 * test_buf.c: bounded buffers, JSON string escaping and the arena.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "buf.h"

Test(buf, grows_and_stays_nul_terminated)
{
	struct lk_buf b;

	buf_init(&b, 1024);
	cr_assert_str_eq(buf_cstr(&b), "");
	buf_puts(&b, "abc");
	buf_putc(&b, 'd');
	buf_printf(&b, "%d-%s", 42, "x");
	cr_assert_str_eq(buf_cstr(&b), "abcd42-x");
	cr_assert_eq(b.len, 8);
	cr_assert(!buf_failed(&b));
	buf_reset(&b);
	cr_assert_str_eq(buf_cstr(&b), "");
	buf_free(&b);
}

Test(buf, fails_stickily_at_its_maximum)
{
	struct lk_buf b;

	buf_init(&b, 4);
	buf_puts(&b, "abcd");
	cr_assert(!buf_failed(&b));
	buf_putc(&b, 'e');
	cr_assert(buf_failed(&b));
	buf_puts(&b, "");
	buf_printf(&b, "x");
	cr_assert(buf_failed(&b));
	cr_assert_str_eq(buf_cstr(&b), "abcd");
	buf_reset(&b);
	cr_assert(!buf_failed(&b));
	buf_free(&b);
}

Test(buf, escapes_json_strings)
{
	struct lk_buf b;
	const char in[] = "a\"b\\c\nd\re\tf\x01g\x1f/\xc3\xa9";

	buf_init(&b, 1024);
	buf_json_str(&b, in, sizeof(in) - 1);
	cr_assert_str_eq(buf_cstr(&b),
	    "\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001f/\xc3\xa9\"");
	buf_reset(&b);
	buf_json_str(&b, "", 0);
	cr_assert_str_eq(buf_cstr(&b), "\"\"");
	buf_reset(&b);
	buf_json_str(&b, "x\0y", 3);
	cr_assert_str_eq(buf_cstr(&b), "\"x\\u0000y\"");
	buf_free(&b);
}

Test(buf, views_compare_with_c_strings)
{
	struct lk_str s = lk_str_c("abc");

	cr_assert_eq(s.len, 3);
	cr_assert(lk_str_eq(s, "abc"));
	cr_assert(!lk_str_eq(s, "ab"));
	cr_assert(!lk_str_eq(s, "abcd"));
	cr_assert_eq(lk_str_c(NULL).len, 0);
}

Test(arena, allocates_zeroed_memory_until_its_limit)
{
	struct lk_arena *a = arena_new(256 * 1024);
	char *p, *q;

	cr_assert_not_null(a);
	p = arena_alloc(a, 100);
	cr_assert_not_null(p);
	cr_assert_eq(p[0], 0);
	cr_assert_eq(p[99], 0);
	q = arena_strdup(a, "hello");
	cr_assert_str_eq(q, "hello");
	cr_assert_str_eq(arena_printf(a, "%s-%d", "n", 7), "n-7");
	cr_assert_str_eq(arena_strndup(a, "abcdef", 3), "abc");
	/* Past the limit: NULL, not a crash. */
	cr_assert_null(arena_alloc(a, 512 * 1024));
	arena_reset(a);
	cr_assert_not_null(arena_alloc(a, 100 * 1024));
	arena_free(a);
}

Test(arena, keeps_allocations_aligned)
{
	struct lk_arena *a = arena_new(1024 * 1024);
	size_t i;

	cr_assert_not_null(a);
	for (i = 1; i < 50; i++) {
		void *p = arena_alloc(a, i);

		cr_assert_eq((uintptr_t)p % 16, 0);
	}
	arena_free(a);
}

Test(buf, writes_integers_as_printf_would)
{
	static const int64_t values[] = {
		0, 1, -1, 9, 10, 200, -429, 1234567890123LL,
		INT64_MAX, INT64_MIN,
	};
	struct lk_buf b;
	char want[32];
	size_t i;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		buf_init(&b, 64);
		buf_put_i64(&b, values[i]);
		snprintf(want, sizeof(want), "%lld", (long long)values[i]);
		cr_assert_str_eq(buf_cstr(&b), want);
		buf_free(&b);
	}
}

Test(buf, escapes_backspace_and_form_feed_as_json_c_does)
{
	struct lk_buf b;

	buf_init(&b, 64);
	buf_json_str(&b, "\b\f\x01", 3);
	cr_assert_str_eq(buf_cstr(&b), "\"\\b\\f\\u0001\"");
	buf_free(&b);
}

Test(buf, writes_a_json_string_that_fits_exactly_near_its_maximum)
{
	struct lk_buf b;

	/* The worst case (6 bytes a byte) would not fit; the text does. */
	buf_init(&b, 10);
	buf_json_str(&b, "a\"b\n", 4);
	cr_assert(!buf_failed(&b));
	cr_assert_str_eq(buf_cstr(&b), "\"a\\\"b\\n\"");
	buf_json_str(&b, "xy", 2);
	cr_assert(buf_failed(&b));
	buf_free(&b);
}

/* The reference: json-c's escapes, byte by byte. */
static void
escape_ref(const char *s, size_t len, char *out)
{
	size_t i;

	*out++ = '"';
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"': out += sprintf(out, "\\\""); break;
		case '\\': out += sprintf(out, "\\\\"); break;
		case '\n': out += sprintf(out, "\\n"); break;
		case '\r': out += sprintf(out, "\\r"); break;
		case '\t': out += sprintf(out, "\\t"); break;
		case '\b': out += sprintf(out, "\\b"); break;
		case '\f': out += sprintf(out, "\\f"); break;
		default:
			if (c < 0x20) {
				out += sprintf(out, "\\u%04x", c);
			} else {
				*out++ = (char)c;
			}
		}
	}
	*out++ = '"';
	*out = '\0';
}

/* Every special byte at every position of strings up to 40 bytes, so
 * that both the eight-byte and the byte-by-byte paths meet it. */
Test(buf, escapes_a_special_byte_wherever_it_stands)
{
	static const char specials[] = { '"', '\\', '\n', '\x01', '\x1f',
	    '\b', '\f', ' ', '\x7f', (char)0xc3, '\0' };
	char s[41], want[41 * 6 + 3];
	struct lk_buf b;
	size_t len, pos, k;

	for (len = 1; len <= 40; len++) {
		for (pos = 0; pos < len; pos++) {
			for (k = 0; k < sizeof(specials); k++) {
				memset(s, 'a' + (int)(pos % 26), len);
				s[pos] = specials[k];
				escape_ref(s, len, want);
				buf_init(&b, 1024);
				buf_json_str(&b, s, len);
				cr_assert_str_eq(buf_cstr(&b), want,
				    "len %zu pos %zu byte %02x", len, pos,
				    (unsigned char)specials[k]);
				buf_free(&b);
			}
		}
	}
}
