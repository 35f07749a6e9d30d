/* config.json: the top level (ociVersion, root, hostname, domainname,
 * mounts, hooks, annotations), cross-field validation, and the small JSON
 * helpers shared by config_process.c, config_linux.c and config_mounts.c.
 *
 * Parsing is pure (no I/O besides ocifs_config_load) and builds the struct
 * in place, so on any failure ocifs_config_free() releases whatever was
 * filled so far.  Every error message starts with the JSON path of the
 * offending field.  `null` counts as absent everywhere.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "ocifs/config.h"
#include "ocifs/util.h"

#include "config_internal.h"

void cfg_path_key(char *buf, const char *base, const char *key)
{
	if (base && base[0])
		snprintf(buf, CFG_PATH_MAX, "%s.%s", base, key);
	else
		snprintf(buf, CFG_PATH_MAX, "%s", key);
}

void cfg_path_idx(char *buf, const char *base, size_t i)
{
	snprintf(buf, CFG_PATH_MAX, "%s[%zu]", base, i);
}

/* Quotes a user-supplied string for a one-line message: "..." with control
 * characters, quotes and backslashes escaped, long strings cut with "...". */
const char *cfg_q(char *buf, const char *s)
{
	size_t o = 0;

	buf[o++] = '"';
	for (; *s && o < CFG_QUOTE_MAX - 10; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(buf + o, 5, "\\x%02x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	if (*s) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* One line, printable: replaces any control character left in the message. */
void cfg_error_sanitize(ocifs_error *err)
{
	for (char *p = err->msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

json_t *cfg_json_load(const char *text, size_t len, const char *what, ocifs_error *err)
{
	const size_t flags = JSON_REJECT_DUPLICATES;
	json_error_t jerr;
	json_t *root;

	root = json_loadb(text, len, flags, &jerr);
	/* Integers past INT64_MAX (rlimits of 2^64-1): reload with every number
	 * as a double; cfg_value_int/cfg_u64 accept integral doubles. */
	if (!root && strstr(jerr.text, "too big"))
		root = json_loadb(text, len, flags | JSON_DECODE_INT_AS_REAL, &jerr);
	if (!root) {
		ocifs_error_set(err, 0, "%s: invalid JSON at line %d, column %d: %s", what,
				jerr.line, jerr.column, jerr.text);
		cfg_error_sanitize(err);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		ocifs_error_set(err, 0, "%s: must be a JSON object", what);
		return NULL;
	}
	return root;
}

static const char *json_type_desc(json_type t)
{
	switch (t) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "a number";
	}
}

/* Member `key` of the expected type; absent or null gives *out = NULL. */
static int cfg_member(json_t *obj, const char *base, const char *key, json_type type,
		      json_t **out, ocifs_error *err)
{
	char path[CFG_PATH_MAX];
	json_t *v = json_object_get(obj, key);
	bool good;

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (type == JSON_TRUE)
		good = json_is_boolean(v);
	else
		good = json_typeof(v) == type;
	if (!good) {
		cfg_path_key(path, base, key);
		return ocifs_error_set(err, 0, "%s: must be %s", path, json_type_desc(type));
	}
	*out = v;
	return 0;
}

int cfg_object(json_t *obj, const char *base, const char *key, json_t **out, ocifs_error *err)
{
	return cfg_member(obj, base, key, JSON_OBJECT, out, err);
}

int cfg_array(json_t *obj, const char *base, const char *key, json_t **out, ocifs_error *err)
{
	return cfg_member(obj, base, key, JSON_ARRAY, out, err);
}

static int cfg_missing(const char *base, const char *key, ocifs_error *err)
{
	char path[CFG_PATH_MAX];

	cfg_path_key(path, base, key);
	return ocifs_error_set(err, 0, "%s: is required", path);
}

int cfg_string(json_t *obj, const char *base, const char *key, bool required, char **out,
	       ocifs_error *err)
{
	json_t *v;

	if (cfg_member(obj, base, key, JSON_STRING, &v, err) < 0)
		return -1;
	if (!v)
		return required ? cfg_missing(base, key, err) : 0;
	free(*out);
	*out = xstrdup(json_string_value(v));
	return 0;
}

int cfg_bool(json_t *obj, const char *base, const char *key, bool *out, ocifs_error *err)
{
	json_t *v;

	if (cfg_member(obj, base, key, JSON_TRUE, &v, err) < 0)
		return -1;
	if (v)
		*out = json_is_true(v);
	return 0;
}

static int int_range_error(const char *path, int64_t min, int64_t max, ocifs_error *err)
{
	return ocifs_error_set(err, 0, "%s: must be an integer between %lld and %lld", path,
			       (long long)min, (long long)max);
}

int cfg_value_int(json_t *v, const char *path, int64_t min, int64_t max, int64_t *out,
		  ocifs_error *err)
{
	int64_t x;

	if (json_is_integer(v)) {
		x = json_integer_value(v);
	} else if (json_is_real(v)) {
		double d = json_real_value(v);
		/* written so that NaN fails too; no libm */
		if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
			return int_range_error(path, min, max, err);
		x = (int64_t)d;
		if ((double)x != d)
			return int_range_error(path, min, max, err);
	} else {
		return ocifs_error_set(err, 0, "%s: must be an integer", path);
	}
	if (x < min || x > max)
		return int_range_error(path, min, max, err);
	*out = x;
	return 0;
}

int cfg_int(json_t *obj, const char *base, const char *key, bool required, int64_t min,
	    int64_t max, bool *has, int64_t *out, ocifs_error *err)
{
	char path[CFG_PATH_MAX];
	json_t *v = json_object_get(obj, key);

	if (has)
		*has = false;
	if (!v || json_is_null(v))
		return required ? cfg_missing(base, key, err) : 0;
	cfg_path_key(path, base, key);
	if (cfg_value_int(v, path, min, max, out, err) < 0)
		return -1;
	if (has)
		*has = true;
	return 0;
}

/* Required unsigned 64-bit member (rlimits). */
int cfg_u64(json_t *obj, const char *base, const char *key, uint64_t *out, ocifs_error *err)
{
	char path[CFG_PATH_MAX];
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return cfg_missing(base, key, err);
	cfg_path_key(path, base, key);
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		/* 2^64 is what 18446744073709551615 rounds to as a double */
		if (d == 18446744073709551616.0) {
			*out = UINT64_MAX;
			return 0;
		}
		if (d >= 0 && d < 18446744073709551616.0 && (double)(uint64_t)d == d) {
			*out = (uint64_t)d;
			return 0;
		}
	}
	return ocifs_error_set(err, 0, "%s: must be an integer between 0 and %llu", path,
			       (unsigned long long)UINT64_MAX);
}

void cfg_strv_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Array of strings.  *out and *n are set as soon as the array is allocated
 * (entries NULL until filled), so the caller's free path copes with a
 * partial result. */
int cfg_strv(json_t *obj, const char *base, const char *key, char ***out, size_t *n,
	     ocifs_error *err)
{
	char path[CFG_PATH_MAX], ipath[CFG_PATH_MAX];
	json_t *arr, *v;
	size_t i;

	if (cfg_array(obj, base, key, &arr, err) < 0)
		return -1;
	if (!arr || json_array_size(arr) == 0)
		return 0;
	*n = json_array_size(arr);
	*out = xcalloc(*n, sizeof(char *));
	cfg_path_key(path, base, key);
	json_array_foreach (arr, i, v) {
		if (!json_is_string(v)) {
			cfg_path_idx(ipath, path, i);
			return ocifs_error_set(err, 0, "%s: must be a string", ipath);
		}
		(*out)[i] = xstrdup(json_string_value(v));
	}
	return 0;
}

int cfg_abs_path(const char *path, const char *value, ocifs_error *err)
{
	char q[CFG_QUOTE_MAX];

	if (value[0] != '/')
		return ocifs_error_set(err, 0, "%s: must be an absolute path, not %s", path,
				       cfg_q(q, value));
	return 0;
}

/* Refuses each listed member that is present and asks for something: null,
 * {} and [] request nothing and are accepted. */
int cfg_refuse(json_t *obj, const char *base, const char *const *keys, ocifs_error *err)
{
	char path[CFG_PATH_MAX];

	for (; *keys; keys++) {
		json_t *v = json_object_get(obj, *keys);
		if (!v || json_is_null(v))
			continue;
		if ((json_is_object(v) && json_object_size(v) == 0) ||
		    (json_is_array(v) && json_array_size(v) == 0))
			continue;
		cfg_path_key(path, base, *keys);
		return ocifs_error_set(err, 0, "%s: not supported yet", path);
	}
	return 0;
}

/* ---- names ---- */

static const char *const ns_names[OCI_NS__COUNT] = {
	[OCI_NS_PID] = "pid",       [OCI_NS_NETWORK] = "network", [OCI_NS_MOUNT] = "mount",
	[OCI_NS_IPC] = "ipc",       [OCI_NS_UTS] = "uts",         [OCI_NS_USER] = "user",
	[OCI_NS_CGROUP] = "cgroup", [OCI_NS_TIME] = "time",
};

static const char *const hook_names[OCI_HOOK__COUNT] = {
	[OCI_HOOK_PRESTART] = "prestart",
	[OCI_HOOK_CREATE_RUNTIME] = "createRuntime",
	[OCI_HOOK_CREATE_CONTAINER] = "createContainer",
	[OCI_HOOK_START_CONTAINER] = "startContainer",
	[OCI_HOOK_POSTSTART] = "poststart",
	[OCI_HOOK_POSTSTOP] = "poststop",
};

const char *ocifs_ns_type_name(enum oci_ns_type type)
{
	if ((unsigned)type >= OCI_NS__COUNT)
		return NULL;
	return ns_names[type];
}

const char *ocifs_hook_kind_name(enum oci_hook_kind kind)
{
	if ((unsigned)kind >= OCI_HOOK__COUNT)
		return NULL;
	return hook_names[kind];
}

const struct oci_namespace *ocifs_config_namespace(const struct oci_config *cfg,
						  enum oci_ns_type type)
{
	for (size_t i = 0; i < cfg->lx.n_namespaces; i++)
		if (cfg->lx.namespaces[i].type == type)
			return &cfg->lx.namespaces[i];
	return NULL;
}

/* ---- SemVer 2.0.0 ---- */

static bool semver_ident_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '-';
}

/* Numeric identifier: "0" or no leading zero. */
static bool semver_number(const char **p)
{
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return false;
	if (*s == '0' && s[1] >= '0' && s[1] <= '9')
		return false;
	while (*s >= '0' && *s <= '9')
		s++;
	*p = s;
	return true;
}

/* Dot-separated, non-empty identifiers; in a pre-release an all-digit
 * identifier must not have a leading zero. */
static bool semver_idents(const char **p, bool prerelease)
{
	const char *s = *p;

	for (;;) {
		const char *start = s;
		bool digits = true;
		while (semver_ident_char(*s)) {
			digits &= (*s >= '0' && *s <= '9');
			s++;
		}
		if (s == start)
			return false;
		if (prerelease && digits && *start == '0' && s - start > 1)
			return false;
		if (*s != '.')
			break;
		s++;
	}
	*p = s;
	return true;
}

static bool semver_valid(const char *s)
{
	for (int i = 0; i < 3; i++) {
		if (!semver_number(&s))
			return false;
		if (i < 2 && *s++ != '.')
			return false;
	}
	if (*s == '-') {
		s++;
		if (!semver_idents(&s, true))
			return false;
	}
	if (*s == '+') {
		s++;
		if (!semver_idents(&s, false))
			return false;
	}
	return *s == '\0';
}

/* ---- top level ---- */

static int parse_version(json_t *root, struct oci_config *cfg, ocifs_error *err)
{
	char q[CFG_QUOTE_MAX];

	if (cfg_string(root, "", "ociVersion", true, &cfg->oci_version, err) < 0)
		return -1;
	if (!semver_valid(cfg->oci_version))
		return ocifs_error_set(err, 0, "ociVersion: %s is not a SemVer 2.0.0 version",
				       cfg_q(q, cfg->oci_version));
	return 0;
}

static int parse_root(json_t *root, struct oci_config *cfg, ocifs_error *err)
{
	json_t *r;

	if (cfg_object(root, "", "root", &r, err) < 0)
		return -1;
	if (!r)
		return ocifs_error_set(err, 0, "root: is required");
	if (cfg_string(r, "root", "path", true, &cfg->root_path, err) < 0 ||
	    cfg_bool(r, "root", "readonly", &cfg->root_readonly, err) < 0)
		return -1;
	if (cfg->root_path[0] == '\0')
		return ocifs_error_set(err, 0, "root.path: must not be empty");
	return 0;
}

static int parse_hook(json_t *o, const char *path, struct oci_hook *h, ocifs_error *err)
{
	int64_t t;

	if (!json_is_object(o))
		return ocifs_error_set(err, 0, "%s: must be an object", path);
	if (cfg_string(o, path, "path", true, &h->path, err) < 0)
		return -1;
	char ppath[CFG_PATH_MAX];
	cfg_path_key(ppath, path, "path");
	if (cfg_abs_path(ppath, h->path, err) < 0 ||
	    cfg_strv(o, path, "args", &h->args, &h->n_args, err) < 0 ||
	    cfg_strv(o, path, "env", &h->env, &h->n_env, err) < 0 ||
	    cfg_int(o, path, "timeout", false, 1, INT32_MAX, &h->has_timeout, &t, err) < 0)
		return -1;
	if (h->has_timeout)
		h->timeout = (int)t;
	return 0;
}

static int parse_hooks(json_t *root, struct oci_config *cfg, ocifs_error *err)
{
	char base[CFG_PATH_MAX], path[CFG_PATH_MAX];
	json_t *hooks, *arr, *v;
	size_t i;

	if (cfg_object(root, "", "hooks", &hooks, err) < 0)
		return -1;
	if (!hooks)
		return 0;
	for (int k = 0; k < OCI_HOOK__COUNT; k++) {
		if (cfg_array(hooks, "hooks", hook_names[k], &arr, err) < 0)
			return -1;
		if (!arr || json_array_size(arr) == 0)
			continue;
		struct oci_hook_list *l = &cfg->hooks[k];
		l->n = json_array_size(arr);
		l->v = xcalloc(l->n, sizeof(*l->v));
		cfg_path_key(base, "hooks", hook_names[k]);
		json_array_foreach (arr, i, v) {
			cfg_path_idx(path, base, i);
			if (parse_hook(v, path, &l->v[i], err) < 0)
				return -1;
		}
	}
	return 0;
}

static int parse_annotations(json_t *root, struct oci_config *cfg, ocifs_error *err)
{
	char q[CFG_QUOTE_MAX];
	const char *key;
	json_t *obj, *v;

	if (cfg_object(root, "", "annotations", &obj, err) < 0)
		return -1;
	if (!obj || json_object_size(obj) == 0)
		return 0;
	cfg->annotations = xcalloc(json_object_size(obj), sizeof(struct oci_kv));
	json_object_foreach (obj, key, v) {
		if (key[0] == '\0')
			return ocifs_error_set(err, 0, "annotations: keys must not be empty");
		if (!json_is_string(v))
			return ocifs_error_set(err, 0, "annotations[%s]: must be a string",
					       cfg_q(q, key));
		struct oci_kv *kv = &cfg->annotations[cfg->n_annotations++];
		kv->key = xstrdup(key);
		kv->value = xstrdup(json_string_value(v));
	}
	return 0;
}

static int parse_names(json_t *root, struct oci_config *cfg, ocifs_error *err)
{
	if (cfg_string(root, "", "hostname", false, &cfg->hostname, err) < 0)
		return -1;
	return cfg_string(root, "", "domainname", false, &cfg->domainname, err);
}

static int parse_process_member(json_t *root, struct oci_config *cfg, ocifs_error *err)
{
	json_t *p;

	if (cfg_object(root, "", "process", &p, err) < 0)
		return -1;
	if (!p)
		return 0;
	return cfg_process_from_json(p, "process", &cfg->process, err);
}

static int parse_linux_member(json_t *root, struct oci_config *cfg, ocifs_error *err)
{
	json_t *lx;

	if (cfg_object(root, "", "linux", &lx, err) < 0)
		return -1;
	if (!lx)
		return 0;
	cfg->has_linux = true;
	return cfg_linux_from_json(lx, &cfg->lx, err);
}

static int parse_mounts_member(json_t *root, struct oci_config *cfg, ocifs_error *err)
{
	json_t *arr;

	if (cfg_array(root, "", "mounts", &arr, err) < 0)
		return -1;
	if (!arr)
		return 0;
	return cfg_mounts_from_json(arr, cfg, err);
}

/* Checks that need several parts of the config at once. */
static int validate_cross(const struct oci_config *cfg, ocifs_error *err)
{
	bool uts = ocifs_config_namespace(cfg, OCI_NS_UTS) != NULL;

	if (cfg->hostname && cfg->hostname[0] && !uts)
		return ocifs_error_set(err, 0,
				       "hostname: setting it requires a \"uts\" entry in linux.namespaces");
	if (cfg->domainname && cfg->domainname[0] && !uts)
		return ocifs_error_set(err, 0,
				       "domainname: setting it requires a \"uts\" entry in linux.namespaces");
	return cfg_mounts_check_idmap(cfg, err);
}

typedef int (*parse_step)(json_t *root, struct oci_config *cfg, ocifs_error *err);

static const parse_step parse_steps[] = {
	parse_version, parse_root,  parse_process_member, parse_names, parse_mounts_member,
	parse_hooks,   parse_annotations, parse_linux_member,
};

int ocifs_config_parse(const char *json, size_t len, struct oci_config **out,
		       ocifs_error *err)
{
	struct oci_config *cfg;
	json_t *root;

	*out = NULL;
	ocifs_error_clear(err);
	root = cfg_json_load(json, len, "config.json", err);
	if (!root)
		return -1;
	cfg = xcalloc(1, sizeof(*cfg));
	for (size_t i = 0; i < ARRAY_SIZE(parse_steps); i++) {
		if (parse_steps[i](root, cfg, err) < 0)
			goto fail;
	}
	if (validate_cross(cfg, err) < 0)
		goto fail;
	json_decref(root);
	*out = cfg;
	return 0;
fail:
	cfg_error_sanitize(err);
	json_decref(root);
	ocifs_config_free(cfg);
	return -1;
}

int ocifs_config_load(const char *path, struct oci_config **out, ocifs_error *err)
{
	cleanup_free char *text = NULL;
	size_t len = 0;

	*out = NULL;
	if (read_file(path, &text, &len, err) < 0)
		return -1;
	return ocifs_config_parse(text, len, out, err);
}

static void free_hook_lists(struct oci_config *cfg)
{
	for (int k = 0; k < OCI_HOOK__COUNT; k++) {
		struct oci_hook_list *l = &cfg->hooks[k];
		for (size_t i = 0; l->v && i < l->n; i++) {
			free(l->v[i].path);
			cfg_strv_free(l->v[i].args, l->v[i].n_args);
			cfg_strv_free(l->v[i].env, l->v[i].n_env);
		}
		free(l->v);
	}
}

static void free_mounts(struct oci_config *cfg)
{
	for (size_t i = 0; cfg->mounts && i < cfg->n_mounts; i++) {
		struct oci_mount *m = &cfg->mounts[i];
		free(m->destination);
		free(m->type);
		free(m->source);
		cfg_strv_free(m->options, m->n_options);
		free(m->data);
		free(m->uid_mappings);
		free(m->gid_mappings);
	}
	free(cfg->mounts);
}

void ocifs_config_free(struct oci_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->oci_version);
	free(cfg->root_path);
	ocifs_process_free(cfg->process);
	free(cfg->hostname);
	free(cfg->domainname);
	free_mounts(cfg);
	free_hook_lists(cfg);
	for (size_t i = 0; i < cfg->n_annotations; i++) {
		free(cfg->annotations[i].key);
		free(cfg->annotations[i].value);
	}
	free(cfg->annotations);
	cfg_linux_clear(&cfg->lx);
	free(cfg);
}
