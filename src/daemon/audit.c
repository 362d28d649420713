/*
 * audit.c: the audit trail of the management API.  An event inside the
 * caller's transaction commits or rolls back with the change it
 * describes; one outside (a login, a refusal) goes to the request-history
 * writer through the ring.  It knows who acted (the identity) and what
 * was done (the caller's words); it does not decide any response.
 */
#include "config.h"

#include <string.h>

#include <json-c/json.h>

#include "app.h"
#include "db.h"
#include "log.h"
#include "netaddr.h"
#include "reqlog.h"
#include "util.h"


static const struct db_stmt audit_insert = {
	"app_audit_insert",
	"INSERT INTO latchkey.audit_events (org_id, mode, action, "
	    "actor_kind, actor_id, user_id, target_type, target_id, detail, "
	    "client_ip, request_id) VALUES (latchkey.current_org_id(), "
	    "latchkey.current_mode(), $1, $2, $3, $4, $5, $6, "
	    "coalesce($7::jsonb, '{}'), $8, $9)",
	9
};

/* The columns of an event, in audit_insert's parameter order; the
 * client address is written into addr. */
static void
audit_params(struct lk_ctx *ctx, const char *action,
    const char *target_type, const char *target_id, const char *detail,
    char addr[NETADDR_STR_MAX], const char *params[9])
{
	const struct lk_identity *id = &ctx->id;
	const char *actor = id->kind == CRED_KEY ? id->key_id :
	    id->kind == CRED_JWT ? id->user_id : NULL;

	params[0] = action;
	params[1] = credential_kind_str(id->kind);
	params[2] = app_nonempty(actor);
	params[3] = app_nonempty(id->user_id);
	params[4] = target_type;
	params[5] = target_id;
	params[6] = detail;
	params[7] = app_client_ip(ctx, addr);
	params[8] = ctx->req->request_id;
}

enum lk_err
audit_tx(struct lk_ctx *ctx, const char *action, const char *target_type,
    const char *target_id, json_object *detail)
{
	char addr[NETADDR_STR_MAX];
	const char *params[9];
	enum lk_err e;

	audit_params(ctx, action, target_type, target_id, detail != NULL ?
	    json_object_to_json_string_ext(detail, JSON_C_TO_STRING_PLAIN) :
	    NULL, addr, params);
	e = db_exec(ctx->db, &audit_insert, params, NULL);
	json_object_put(detail);
	return e;
}

/* Appends "key":value, the value a JSON string or null. */
static void
json_member(struct lk_buf *b, const char *key, const char *value)
{
	buf_printf(b, "%s\"%s\":", b->len > 1 ? "," : "", key);
	if (value != NULL) {
		buf_json_str(b, value, strlen(value));
	} else {
		buf_puts(b, "null");
	}
}

void
audit_send(struct lk_ctx *ctx, const char *action, const char *target_type,
    const char *target_id, json_object *detail)
{
	static const char *const keys[] = { "action", "actor_kind",
	    "actor_id", "user_id", "target_type", "target_id" };
	char addr[NETADDR_STR_MAX];
	const char *params[9];
	char id[UUID_LEN + 1];
	struct lk_buf b;
	size_t i;

	if (ctx->w->ring == NULL || util_uuid_v4_pooled(&ctx->w->ids, id) !=
	    LK_OK) {
		json_object_put(detail);
		return;
	}
	audit_params(ctx, action, target_type, target_id, detail != NULL ?
	    json_object_to_json_string_ext(detail, JSON_C_TO_STRING_PLAIN) :
	    "{}", addr, params);
	buf_init(&b, REQLOG_MSG_MAX);
	buf_putc(&b, '{');
	/* The id makes a replayed event a no-op (026). */
	json_member(&b, "id", id);
	json_member(&b, "org_id", app_nonempty(ctx->id.org_id));
	json_member(&b, "mode", app_nonempty(ctx->id.mode));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_member(&b, keys[i], params[i]);
	}
	buf_printf(&b, ",\"detail\":%s", params[6]);
	json_member(&b, "client_ip", params[7]);
	json_member(&b, "request_id", params[8]);
	buf_putc(&b, '}');
	if (buf_failed(&b) || reqlog_append(ctx->w->ring, REQLOG_EVENT,
	    buf_cstr(&b), b.len) != LK_OK) {
		log_warn("request %s: audit event %s lost",
		    ctx->req->request_id, action);
	}
	buf_free(&b);
	json_object_put(detail);
}
