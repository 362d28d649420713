/*
 * test_jsonx.c: the identity written two ways agrees.  GET /v1/me writes
 * it as JSON text (jsonx_text_identity(), the hot path); POST
 * /v1/directs/verify and others add it to a json-c object
 * (jsonx_add_identity()).  Each identity of the table must come out byte
 * for byte the same both ways, as json-c prints a reply (app.c: plain,
 * slashes unescaped), so neither can drift from the other.
 */
#include "config.h"

#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "app.h"

struct case_ {
	const char		*name;
	enum credential_kind	 kind;
	const char		*org, *user, *key, *mode;
	const char		*perms[4];
};

static const struct case_ cases[] = {
	{ "an API key with permissions", CRED_KEY,
	    "0b9d6a52-2b1c-4f47-9e0f-5d0c4f6a1e11",
	    "4c1e2d3f-5a6b-4c7d-8e9f-1a2b3c4d5e6f",
	    "7d3f0c7e-1a2b-4c3d-8e9f-0a1b2c3d4e5f", "live",
	    { "keys.read", "requests.read", NULL } },
	{ "a login token: no key id", CRED_JWT,
	    "0b9d6a52-2b1c-4f47-9e0f-5d0c4f6a1e11",
	    "4c1e2d3f-5a6b-4c7d-8e9f-1a2b3c4d5e6f",
	    "7d3f0c7e-1a2b-4c3d-8e9f-0a1b2c3d4e5f", "test", { "*", NULL } },
	{ "a service key: no user, no permissions", CRED_SERVICE,
	    "0b9d6a52-2b1c-4f47-9e0f-5d0c4f6a1e11", "", "", "live",
	    { NULL } },
	{ "a direct: its own id is not a key's", CRED_DIRECT,
	    "0b9d6a52-2b1c-4f47-9e0f-5d0c4f6a1e11",
	    "4c1e2d3f-5a6b-4c7d-8e9f-1a2b3c4d5e6f",
	    "9e8d7c6b-5a49-4382-9716-a5b4c3d2e1f0", "live",
	    { "calls.read", "keys.*", NULL } },
};

static void
fill(struct lk_identity *id, const struct case_ *c)
{
	size_t i;

	credential_identity_clear(id);
	id->kind = c->kind;
	strcpy(id->org_id, c->org);
	strcpy(id->user_id, c->user);
	strcpy(id->key_id, c->key);
	strcpy(id->mode, c->mode);
	for (i = 0; c->perms[i] != NULL; i++) {
		cr_assert_eq(perm_set_add(&id->perms, c->perms[i]), LK_OK);
	}
}

Test(jsonx, the_identity_as_text_is_what_json_c_prints_of_the_object)
{
	static struct lk_identity id;
	struct lk_buf b;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *o = json_object_new_object();
		const char *printed;

		fill(&id, &cases[i]);
		jsonx_add_identity(o, &id);
		printed = json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		buf_init(&b, 4096);
		buf_putc(&b, '{');
		jsonx_text_identity(&b, &id, 1);
		buf_putc(&b, '}');
		buf_putc(&b, '\0');
		cr_assert(!buf_failed(&b));
		cr_expect_str_eq(b.p, printed, "%s", cases[i].name);
		buf_free(&b);
		json_object_put(o);
	}
}

Test(jsonx, the_names_list_names_every_member_written)
{
	static const char *const names[] = { JSONX_IDENTITY_NAMES, NULL };
	static struct lk_identity id;
	json_object *o = json_object_new_object();
	size_t i, n = 0;

	fill(&id, &cases[0]);
	jsonx_add_identity(o, &id);
	for (i = 0; names[i] != NULL; i++) {
		cr_expect(json_object_object_get_ex(o, names[i], NULL), "%s",
		    names[i]);
		n++;
	}
	cr_expect_eq((size_t)json_object_object_length(o), n);
	json_object_put(o);
}
