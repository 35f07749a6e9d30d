/* The daemon's configuration file (contract in fsconfig.h).
 *
 * One table of keys (name, parser); each parser checks the type of its value
 * and names the key in its error.  A JSON null counts as an absent key.
 * fs_config_parse() is pure; fs_config_load() adds the file reading.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "fsconfig.h"
#include "ocifs/util.h"

#define FS_CONFIG_DEFAULT_PATH "/etc/ocifs/ocifs.json"
/* A group name or number longer than this is no group. */
#define GROUP_MAX 256

typedef int (*key_fn)(json_t *v, struct fs_config *c, ocifs_error *err);

struct key {
	const char *name;
	key_fn parse;
};

/* Replaces control characters in a message so it stays one line (jansson's
 * messages and unknown key names may carry them). */
static void sanitize(ocifs_error *err)
{
	for (char *p = err->msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static int key_port(json_t *v, struct fs_config *c, ocifs_error *err)
{
	json_int_t n;

	if (!json_is_integer(v))
		return ocifs_error_set(err, 0, "Port: must be an integer 0..65535");
	n = json_integer_value(v);
	if (n < 0 || n > 65535)
		return ocifs_error_set(err, 0, "Port: must be an integer 0..65535, not %lld",
				       (long long)n);
	c->port = (int)n;
	return 0;
}

static int key_server_list_file(json_t *v, struct fs_config *c, ocifs_error *err)
{
	const char *s = json_string_value(v);

	if (!s || s[0] == '\0' || has_control(s))
		return ocifs_error_set(err, 0, "ServerListFile: must be a file name (a non-empty "
				       "string without control characters)");
	free(c->server_list_file);
	c->server_list_file = xstrdup(s);
	return 0;
}

static int key_debug(json_t *v, struct fs_config *c, ocifs_error *err)
{
	if (!json_is_boolean(v))
		return ocifs_error_set(err, 0, "Debug: must be true or false");
	c->debug = json_is_true(v);
	return 0;
}

/* A group name (no ':', no control characters, not starting with '-') or a
 * number below (gid_t)-1; whether it exists is the daemon's question. */
static bool group_ok(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > GROUP_MAX || s[0] == '-' || strchr(s, ':') || has_control(s))
		return false;
	if (strspn(s, "0123456789") == len) {
		unsigned long long n = 0;
		for (size_t i = 0; i < len; i++) {
			n = n * 10 + (unsigned)(s[i] - '0');
			if (n >= 4294967295ULL)
				return false;
		}
	}
	return true;
}

static int key_ctl_group(json_t *v, struct fs_config *c, ocifs_error *err)
{
	const char *s = json_string_value(v);

	if (!s || !group_ok(s))
		return ocifs_error_set(err, 0, "CtlGroup: must be a group name or number (a "
				       "string)");
	free(c->ctl_group);
	c->ctl_group = xstrdup(s);
	return 0;
}

static const struct key keys[] = {
	{ "Port", key_port },
	{ "ServerListFile", key_server_list_file },
	{ "Debug", key_debug },
	{ "CtlGroup", key_ctl_group },
};

static int unknown_key(const char *name, ocifs_error *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcasecmp(name, keys[i].name) == 0) {
			ocifs_error_set(err, 0, "unknown key \"%.64s\" (did you mean \"%s\"?)", name,
					keys[i].name);
			goto out;
		}
	ocifs_error_set(err, 0, "unknown key \"%.64s\" (known keys: Port, ServerListFile, "
			"Debug, CtlGroup)", name);
out:
	sanitize(err);
	return -1;
}

static int parse_object(json_t *root, struct fs_config *out, ocifs_error *err)
{
	const char *name;
	json_t *v;

	json_object_foreach (root, name, v) {
		const struct key *k = NULL;

		for (size_t i = 0; i < ARRAY_SIZE(keys) && !k; i++)
			if (strcmp(name, keys[i].name) == 0)
				k = &keys[i];
		if (!k)
			return unknown_key(name, err);
		if (json_is_null(v))
			continue;
		if (k->parse(v, out, err) < 0)
			return -1;
	}
	return 0;
}

int fs_config_parse(const char *json, size_t len, struct fs_config *out, ocifs_error *err)
{
	const char *nul;
	json_error_t jerr;
	json_t *root;
	int r;

	memset(out, 0, sizeof(*out));
	nul = len ? memchr(json, '\0', len) : NULL;
	if (nul)
		return ocifs_error_set(err, 0, "invalid JSON: NUL byte at offset %zu",
				       (size_t)(nul - json));
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!root) {
		ocifs_error_set(err, 0, "invalid JSON at line %d, column %d: %s", jerr.line,
				jerr.column, jerr.text);
		sanitize(err);
		return -1;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		return ocifs_error_set(err, 0, "must be a JSON object");
	}
	r = parse_object(root, out, err);
	json_decref(root);
	if (r < 0)
		fs_config_clear(out);
	return r;
}

int fs_config_load(const char *path, struct fs_config *out, ocifs_error *err)
{
	const char *p = path ? path : FS_CONFIG_DEFAULT_PATH;
	cleanup_free char *text = NULL;
	size_t len = 0;

	memset(out, 0, sizeof(*out));
	if (read_file(p, &text, &len, err) < 0) {
		if (!path && err->code == ENOENT) {
			ocifs_error_clear(err);
			return 0;
		}
		sanitize(err);
		return -1;
	}
	if (fs_config_parse(text, len, out, err) < 0) {
		ocifs_error_prefix(err, "%s", p);
		sanitize(err);
		return -1;
	}
	return 0;
}

void fs_config_clear(struct fs_config *c)
{
	free(c->server_list_file);
	free(c->ctl_group);
	memset(c, 0, sizeof(*c));
}
