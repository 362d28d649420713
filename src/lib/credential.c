/*
 * credential.c: which credential a request carries (pure extraction,
 * with the precedence of the session cookie), the names of credential
 * kinds and roles, permission lists as PostgreSQL and the API spell them,
 * and the constant-time service-key check.  No libpq, no libfcgi, no I/O:
 * must not know how a credential is verified or where identities live
 * (daemon/auth.c).
 */
#include "config.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "apikey.h"
#include "credential.h"
#include "digest.h"
#include "jwt.h"
#include "session.h"

static const char *const role_names[] = {
	[ROLE_NONE] = "none",
	[ROLE_VIEWER] = "viewer",
	[ROLE_MEMBER] = "member",
	[ROLE_ADMIN] = "admin",
	[ROLE_OWNER] = "owner",
};

const char *
credential_kind_str(enum credential_kind k)
{
	switch (k) {
	case CRED_JWT:
		return "user";
	case CRED_KEY:
		return "api_key";
	case CRED_SERVICE:
		return "service";
	case CRED_DIRECT:
		return "direct";
	case CRED_NONE:
		break;
	}
	return "none";
}

enum lk_role
credential_role_parse(const char *s)
{
	int r;

	if (s == NULL) {
		return ROLE_NONE;
	}
	for (r = ROLE_VIEWER; r <= ROLE_OWNER; r++) {
		if (strcmp(s, role_names[r]) == 0) {
			return (enum lk_role)r;
		}
	}
	return ROLE_NONE;
}

const char *
credential_role_str(enum lk_role r)
{
	if ((unsigned)r > ROLE_OWNER) {
		return "none";
	}
	return role_names[r];
}

int
credential_refuse(struct credential_fail *f, int status, const char *code,
    const char *msg)
{
	f->status = status;
	f->code = code;
	f->message = msg;
	return -1;
}

/* The session cookie, when nothing else was sent. */
static int
session_extract(const char *header, struct credential *cred,
    struct credential_fail *fail)
{
	const char *v;
	size_t len;
	int n;

	if ((n = session_cookie_find(header, &v, &len)) == 0) {
		return 0;
	}
	if (n > 1) {
		return credential_refuse(fail, 400, "duplicate_credentials",
		    "the " SESSION_COOKIE_NAME " cookie appears more than "
		    "once");
	}
	cred->kind = CRED_JWT;
	cred->value = v;
	cred->len = len;
	cred->bearer = 0;
	cred->cookie = 1;
	return 1;
}

int
credential_extract(const struct credential_input *in, struct credential *cred,
    struct credential_fail *fail)
{
	const char *v = NULL;
	enum credential_kind kind = CRED_NONE;
	int sources = 0;

	if (in->q_token_count > 1 || in->q_accesskey_count > 1) {
		return credential_refuse(fail, 400, "duplicate_credentials",
		    "a credential parameter appears more than once");
	}
	sources = (in->authorization != NULL) + (in->x_api_key != NULL) +
	    (in->q_token != NULL) + (in->q_accesskey != NULL) +
	    (in->x_internal_key != NULL);
	if (sources == 0) {
		return session_extract(in->cookie, cred, fail);
	}
	if (sources > 1) {
		return credential_refuse(fail, 400, "multiple_credentials",
		    "send exactly one credential: Authorization, X-API-Key, "
		    "X-Internal-Key, ?token= or ?accesskey=");
	}
	cred->bearer = 0;
	cred->cookie = 0;
	if (in->x_internal_key != NULL) {
		v = in->x_internal_key;
		kind = CRED_SERVICE;
	} else if (in->authorization != NULL) {
		const char *a = in->authorization;

		if (strncasecmp(a, "Bearer ", 7) != 0) {
			return credential_refuse(fail, 401,
			    "invalid_authorization",
			    "the Authorization header must be "
			    "\"Bearer <token or API key>\"");
		}
		v = a + 7;
		while (*v == ' ') {
			v++;
		}
		kind = apikey_looks_like(v, strlen(v)) ? CRED_KEY : CRED_JWT;
		cred->bearer = 1;
	} else if (in->x_api_key != NULL) {
		v = in->x_api_key;
		kind = CRED_KEY;
	} else if (in->q_token != NULL) {
		v = in->q_token;
		if (apikey_looks_like(v, strlen(v))) {
			return credential_refuse(fail, 401, "wrong_parameter",
			    "an API key was sent in ?token=; send API keys "
			    "in ?accesskey=, X-API-Key or "
			    "Authorization: Bearer");
		}
		kind = CRED_JWT;
	} else {
		v = in->q_accesskey;
		if (jwt_looks_like(v, strlen(v))) {
			return credential_refuse(fail, 401, "wrong_parameter",
			    "a login token was sent in ?accesskey=; send "
			    "tokens in ?token= or Authorization: Bearer");
		}
		kind = CRED_KEY;
	}
	if (*v == '\0') {
		return credential_refuse(fail, 401, "missing_credentials",
		    "the credential is empty");
	}
	cred->kind = kind;
	cred->value = v;
	cred->len = strlen(v);
	return 1;
}

/* The end of member f of struct lk_identity. */
#define ID_END(f)	(offsetof(struct lk_identity, f) + \
	sizeof(((struct lk_identity *)0)->f))

_Static_assert(offsetof(struct lk_identity, perms) <
    offsetof(struct lk_identity, creator_perms), "identity layout");

void
credential_identity_clear(struct lk_identity *id)
{
	char *p = (char *)id;

	memset(p, 0, offsetof(struct lk_identity, perms));
	perm_set_clear(&id->perms);
	memset(p + ID_END(perms), 0,
	    offsetof(struct lk_identity, creator_perms) - ID_END(perms));
	perm_set_clear(&id->creator_perms);
	memset(p + ID_END(creator_perms), 0,
	    sizeof(*id) - ID_END(creator_perms));
}

enum lk_err
credential_perms_split(const char *list, size_t len, struct perm_set *set)
{
	char item[PERM_NAME_MAX + 1];
	const char *p = list, *end = list + len;
	size_t n;
	enum lk_err e;

	perm_set_clear(set);
	for (; p < end; p++) {
		const char *comma = memchr(p, ',', (size_t)(end - p));

		n = (size_t)((comma != NULL ? comma : end) - p);
		if (n == 0 || n > PERM_NAME_MAX) {
			return LK_EINVAL;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		if ((e = perm_set_add(set, item)) != LK_OK) {
			return e;
		}
		p += n;
	}
	return LK_OK;
}

enum lk_err
credential_perm_array_parse(const char *a, struct perm_set *set)
{
	size_t n = strlen(a);

	if (n < 2 || a[0] != '{' || a[n - 1] != '}') {
		memset(set, 0, sizeof(*set));
		return LK_EINVAL;
	}
	/* Patterns are [a-z0-9_.*]: PostgreSQL never quotes them. */
	return credential_perms_split(a + 1, n - 2, set);
}

int
credential_service_key(const unsigned char (*keys)[32], size_t n,
    const char *value, size_t len)
{
	unsigned char md[32];
	size_t i;
	int found = 0;

	if (n == 0) {
		return 0;
	}
	if (digest_sha256(value, len, md) != LK_OK) {
		return 0;
	}
	/* Every hash is compared, so timing tells nothing of which. */
	for (i = 0; i < n; i++) {
		found |= CRYPTO_memcmp(md, keys[i], sizeof(md)) == 0;
	}
	OPENSSL_cleanse(md, sizeof(md));
	return found;
}
