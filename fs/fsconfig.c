/* The daemon's configuration file (contract in fsconfig.h).
 *
 * One table of keys (name, parser); each parser checks the type of its value
 * and names the key in its error.  A JSON null counts as an absent key.
 * fs_config_parse() is pure; fs_config_load() adds the file reading.
 */
#include <arpa/inet.h>
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

/* Bind: an IPv4 or IPv6 literal (no names: the daemon must not depend on a
 * resolver to decide what it exposes). */
static int key_bind(json_t *v, struct fs_config *c, ocifs_error *err)
{
	const char *s = json_string_value(v);
	unsigned char addr[16];

	if (!s || strlen(s) >= 64 ||
	    (inet_pton(AF_INET, s, addr) != 1 && inet_pton(AF_INET6, s, addr) != 1))
		return ocifs_error_set(err, 0, "Bind: must be an IPv4 or IPv6 address (a string "
				       "such as \"127.0.0.1\" or \"::1\")");
	free(c->bind);
	c->bind = xstrdup(s);
	return 0;
}

/* Token: sent as "Authorization: Bearer TOKEN", so visible ASCII only; long
 * enough not to be guessed over the network. */
static int key_token(json_t *v, struct fs_config *c, ocifs_error *err)
{
	const char *s = json_string_value(v);
	size_t len = s ? strlen(s) : 0;

	if (!s)
		return ocifs_error_set(err, 0, "Token: must be a string");
	if (len < FS_TOKEN_MIN || len > FS_TOKEN_MAX)
		return ocifs_error_set(err, 0, "Token: must be %d to %d characters long, not %zu",
				       FS_TOKEN_MIN, FS_TOKEN_MAX, len);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return ocifs_error_set(err, 0, "Token: only visible ASCII characters "
					       "(no spaces) are allowed");
	free(c->token);
	c->token = xstrdup(s);
	return 0;
}

bool fs_config_bind_loopback(const char *bind)
{
	unsigned char a[16];

	if (!bind)
		return true; /* the default, 127.0.0.1 */
	if (inet_pton(AF_INET, bind, a) == 1)
		return a[0] == 127;
	if (inet_pton(AF_INET6, bind, a) != 1)
		return false;
	/* ::1, or ::ffff:127.x.y.z (IPv4-mapped loopback) */
	for (int i = 0; i < 10; i++)
		if (a[i])
			return false;
	if (a[10] == 0 && a[11] == 0)
		return a[12] == 0 && a[13] == 0 && a[14] == 0 && a[15] == 1;
	return a[10] == 0xff && a[11] == 0xff && a[12] == 127;
}

static const struct key keys[] = {
	{ "Port", key_port },
	{ "ServerListFile", key_server_list_file },
	{ "Debug", key_debug },
	{ "CtlGroup", key_ctl_group },
	{ "Bind", key_bind },
	{ "Token", key_token },
};

static int unknown_key(const char *name, ocifs_error *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcasecmp(name, keys[i].name) == 0) {
			ocifs_error_set(err, 0, "unknown key \"%.64s\" (did you mean \"%s\"?)", name,
					keys[i].name);
			goto out;
		}
	ocifs_error_set(err, 0, "unknown key \"%.64s\" (known keys: Port, Bind, Token, "
			"ServerListFile, Debug, CtlGroup)", name);
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
	/* a network-reachable server without a token would let anyone run ctl */
	if (!fs_config_bind_loopback(out->bind) && !out->token)
		return ocifs_error_set(err, 0, "Bind: a non-loopback address needs a Token");
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
	free(c->bind);
	free(c->token);
	memset(c, 0, sizeof(*c));
}
