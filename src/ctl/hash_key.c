/*
 * hash_key.c: latchkeyctl hash-key: prints the hex SHA-256 of a service
 * key, the form service_keys takes in latchkey.conf, so the key itself
 * need not be written to the config.
 *
 * No database.  The key, read from the argument or stdin, is wiped from
 * our buffers; the digest and its hex are apikey.h's.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "apikey.h"
#include "args.h"
#include "ctl.h"
#include "err.h"

#define KEY_MAX_BYTES	4096

/*
 * Reads a key from stdin into buf (KEY_MAX_BYTES + 1), dropping one
 * trailing line end.  Returns LK_OK with *len set; LK_ETOOBIG; LK_EINVAL
 * after reporting a read error.
 */
static enum lk_err
read_key_stdin(char buf[KEY_MAX_BYTES + 1], size_t *len)
{
	enum lk_err e;
	size_t n = 0;

	if ((e = ctl_read_fd(STDIN_FILENO, buf, KEY_MAX_BYTES, &n)) !=
	    LK_OK) {
		if (e != LK_ETOOBIG) {
			ctl_err("hash-key: stdin: %s", strerror(errno));
		}
		return e;
	}
	if (n > 0 && buf[n - 1] == '\n') {
		n--;
		if (n > 0 && buf[n - 1] == '\r') {
			n--;
		}
	}
	*len = n;
	return LK_OK;
}

int
ctl_hash_key(const struct args *a)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char buf[KEY_MAX_BYTES + 1], hex[2 * APIKEY_HASH_LEN + 1];
	const char *key = buf;
	unsigned int mdlen = 0;
	size_t len = 0;
	enum lk_err e = LK_OK;
	int rc = EXIT_FAILURE;

	if (a->npos != 2) {
		rc = ctl_usage("hash-key takes one KEY, or - to read it from "
		    "stdin");
		goto done;
	}
	if (strcmp(a->pos[1], "-") == 0) {
		e = read_key_stdin(buf, &len);
	} else {
		key = a->pos[1];
		len = strlen(key);
		e = len > KEY_MAX_BYTES ? LK_ETOOBIG : LK_OK;
	}
	if (e == LK_ETOOBIG) {
		ctl_err("hash-key: key longer than %d bytes", KEY_MAX_BYTES);
	}
	if (e != LK_OK) {
		goto done;
	}
	if (len == 0 || memchr(key, '\n', len) != NULL ||
	    memchr(key, '\r', len) != NULL || memchr(key, '\0', len) != NULL) {
		ctl_err("hash-key: the key must be one non-empty line");
		rc = CTL_EXIT_USAGE;
		goto done;
	}
	if (EVP_Digest(key, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != APIKEY_HASH_LEN) {
		ctl_err("hash-key: SHA-256 failed");
		goto done;
	}
	apikey_hex(md, hex);
	ctl_say("%s\n", hex);
	rc = EXIT_SUCCESS;
done:
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(md, sizeof(md));
	return rc;
}
