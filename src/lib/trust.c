/* SPDX-License-Identifier: ISC */
/*
 * trust: see trust.h.  Format:
 *   {"keys": [{"created": T, "key": base64(32), "kid": "ed25519:…", "not_after": T?,
 *              "not_before": T?, "roles": ["host"], "status": "current"}], "v": 1}
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "canon.h"
#include "fsutil.h"
#include "json.h"
#include "sig.h"
#include "trust.h"

static const char *const status_names[] = {
	[KEY_CURRENT] = "current",
	[KEY_PREVIOUS] = "previous",
	[KEY_RETIRED] = "retired",
};

const char *trust_status_name(enum key_status s)
{
	return (unsigned)s < ARRAY_SIZE(status_names) ? status_names[s] : "?";
}

static int get_time(const cJSON *o, const char *key, bool required, const char *where,
		    int64_t *ret, struct calyx_err *err)
{
	const char *s = NULL;
	int r = json_get_string(o, key, required, where, &s, err);

	*ret = 0;
	if (r <= 0)
		return r;
	if (rfc3339_parse(s, ret) < 0)
		return err_set(err, EINVAL, where, "%s: \"%s\" is not YYYY-MM-DDTHH:MM:SSZ", key, s);
	return 0;
}

static int parse_roles(const cJSON *o, const char *where, struct trust_key *k,
		       struct calyx_err *err)
{
	_cleanup_strv_ char **roles = NULL;
	size_t n;
	int r = json_get_strv(o, "roles", true, TRUST_MAX_ROLES, where, &roles, err);

	if (r < 0)
		return r;
	n = strv_len(roles);
	for (size_t i = 0; i < n; i++) {
		if (!roles[i][0] || strlen(roles[i]) > 32 || !str_is_printable_ascii(roles[i]))
			return err_set(err, EINVAL, where, "role \"%s\" is not a short name",
				       roles[i]);
		k->roles[i] = TAKE_PTR(roles[i]);
	}
	return 0;
}

static int parse_key(const cJSON *o, const char *where, struct trust_key *k,
		     struct calyx_err *err)
{
	static const char *const keys[] = { "created", "key", "kid", "not_after", "not_before",
					    "roles", "status", NULL };
	const char *kid = NULL, *key = NULL, *status = NULL;
	char want[KID_LEN];
	size_t i;
	int r;

	if ((r = json_check_object(o, keys, where, err)) < 0 ||
	    (r = json_get_string(o, "kid", true, where, &kid, err)) < 0 ||
	    (r = json_get_string(o, "key", true, where, &key, err)) < 0 ||
	    (r = json_get_string(o, "status", true, where, &status, err)) < 0 ||
	    (r = get_time(o, "created", false, where, &k->created, err)) < 0 ||
	    (r = get_time(o, "not_before", false, where, &k->not_before, err)) < 0 ||
	    (r = get_time(o, "not_after", false, where, &k->not_after, err)) < 0 ||
	    (r = parse_roles(o, where, k, err)) < 0)
		return r;
	if (sig_b64_decode_exact(key, k->pk, sizeof(k->pk)) < 0)
		return err_set(err, EINVAL, where, "key is not base64 of 32 bytes");
	sig_kid(k->pk, want);
	if (strcmp(kid, want) != 0)
		return err_set(err, EINVAL, where, "kid %s does not match its key (expected %s)",
			       kid, want);
	memcpy(k->kid, want, sizeof(want));
	for (i = 0; i < ARRAY_SIZE(status_names); i++)
		if (strcmp(status, status_names[i]) == 0)
			break;
	if (i == ARRAY_SIZE(status_names))
		return err_set(err, EINVAL, where, "status \"%s\" is not current, previous or retired",
			       status);
	k->status = (enum key_status)i;
	return 0;
}

int trust_parse(const char *text, size_t len, struct trust *t, struct calyx_err *err)
{
	static const char *const top[] = { "keys", "v", NULL };
	struct json_doc doc = { 0 };
	const cJSON *keys, *e;
	int64_t v;
	int r;

	memset(t, 0, sizeof(*t));
	r = json_parse_strict(text, len, JSON_MAX_SIZE, "trust store", &doc, err);
	if (r < 0)
		return r;
	if ((r = json_check_object(doc.root, top, "", err)) < 0 ||
	    (r = json_get_int(doc.root, "v", true, 1, 1, "", &v, err)) < 0)
		goto out;
	keys = json_member(doc.root, "keys");
	if (!cJSON_IsArray(keys) || cJSON_GetArraySize(keys) > TRUST_MAX_KEYS) {
		r = err_set(err, EINVAL, "keys", "must be an array of at most %d keys",
			    TRUST_MAX_KEYS);
		goto out;
	}
	t->keys = calloc((size_t)cJSON_GetArraySize(keys) + 1, sizeof(*t->keys));
	if (!t->keys) {
		r = err_set(err, ENOMEM, "keys", "out of memory");
		goto out;
	}
	for (e = keys->child; e; e = e->next) {
		char where[32];

		snprintf(where, sizeof(where), "keys[%zu]", t->n);
		r = parse_key(e, where, &t->keys[t->n++], err);
		if (r < 0)
			goto out;
		if (trust_find(t, t->keys[t->n - 1].kid) != &t->keys[t->n - 1]) {
			r = err_set(err, EINVAL, where, "key %s is listed twice",
				    t->keys[t->n - 1].kid);
			goto out;
		}
	}
out:
	json_doc_free(&doc);
	if (r < 0)
		trust_free(t);
	return r < 0 ? r : 0;
}

int trust_load(const char *path, uid_t owner, struct trust *t, struct calyx_err *err)
{
	_cleanup_buf_ struct buf b = { 0 };
	int r = read_trusted_file(path, owner, JSON_MAX_SIZE, &b, err);

	if (r < 0) {
		memset(t, 0, sizeof(*t));
		return r;
	}
	r = trust_parse(b.data, b.len, t, err);
	if (r < 0 && err && !strchr(err->where, '/')) {
		char w[sizeof(err->where)];

		snprintf(w, sizeof(w), "%s", err->where);
		snprintf(err->where, sizeof(err->where), "%s: %s", path, w);
	}
	return r;
}

const struct trust_key *trust_find(const struct trust *t, const char *kid)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->keys[i].kid, kid) == 0)
			return &t->keys[i];
	return NULL;
}

bool trust_key_usable(const struct trust_key *k, int64_t now)
{
	if (k->status == KEY_RETIRED)
		return false;
	if (k->not_before && now < k->not_before)
		return false;
	if (k->not_after && now >= k->not_after)
		return false;
	return true;
}

bool trust_key_has_role(const struct trust_key *k, const char *role)
{
	for (size_t i = 0; k->roles[i]; i++)
		if (strcmp(k->roles[i], role) == 0)
			return true;
	return false;
}

static int key_to_json(const struct trust_key *k, cJSON *arr)
{
	cJSON *o = cJSON_CreateObject(), *roles = cJSON_CreateArray();
	_cleanup_buf_ struct buf b64 = { 0 };
	char t[21];

	if (!o || !roles || sig_b64_encode(k->pk, sizeof(k->pk), &b64) < 0)
		goto fail;
	cJSON_AddItemToArray(arr, o);
	cJSON_AddItemToObject(o, "roles", roles);
	if (!cJSON_AddStringToObject(o, "kid", k->kid) ||
	    !cJSON_AddStringToObject(o, "key", b64.data) ||
	    !cJSON_AddStringToObject(o, "status", trust_status_name(k->status)))
		return -ENOMEM;
	for (size_t i = 0; k->roles[i]; i++)
		if (!cJSON_AddItemToArray(roles, cJSON_CreateString(k->roles[i])))
			return -ENOMEM;
	if (k->created) {
		rfc3339_format(k->created, t);
		cJSON_AddStringToObject(o, "created", t);
	}
	if (k->not_before) {
		rfc3339_format(k->not_before, t);
		cJSON_AddStringToObject(o, "not_before", t);
	}
	if (k->not_after) {
		rfc3339_format(k->not_after, t);
		cJSON_AddStringToObject(o, "not_after", t);
	}
	return 0;
fail:
	cJSON_Delete(o);
	cJSON_Delete(roles);
	return -ENOMEM;
}

int trust_serialize(const struct trust *t, struct buf *out)
{
	_cleanup_cjson_ cJSON *root = cJSON_CreateObject();
	cJSON *keys = cJSON_AddArrayToObject(root, "keys");
	int r;

	if (!root || !keys || !cJSON_AddNumberToObject(root, "v", 1))
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		r = key_to_json(&t->keys[i], keys);
		if (r < 0)
			return r;
	}
	r = canon_write(root, out);
	return r < 0 ? r : buf_addc(out, '\n');
}

int trust_add(struct trust *t, const struct trust_key *k)
{
	struct trust_key *n;

	if (t->n >= TRUST_MAX_KEYS)
		return -E2BIG;
	n = realloc(t->keys, (t->n + 2) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	t->keys = n;
	n = &t->keys[t->n++];
	*n = *k;
	memset(n->roles, 0, sizeof(n->roles));
	for (size_t i = 0; k->roles[i]; i++)
		if (!(n->roles[i] = strdup(k->roles[i])))
			return -ENOMEM;
	return 0;
}

void trust_free(struct trust *t)
{
	for (size_t i = 0; i < t->n; i++)
		for (size_t j = 0; t->keys[i].roles[j]; j++)
			free(t->keys[i].roles[j]);
	free(t->keys);
	t->keys = NULL;
	t->n = 0;
}
