/* TAP tests for the daemon's configuration file (fs/fsconfig.c).
 *
 * Good documents are checked field by field; bad ones must fail with code
 * EINVAL, a one-line message starting with the given prefix, and leave the
 * struct empty.  JSON in this file uses ' for " to stay readable.
 * fs_config_load() is tested on files in a temporary directory.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsconfig.h"

#include "tap.h"

static void skip(const char *why, const char *what)
{
	n_run++;
	printf("ok %d - %s # SKIP %s\n", n_run, what, why);
}

/* ' -> " (malloc'd) */
static char *dq(const char *s)
{
	char *d = strdup(s);
	for (char *p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	return d;
}

static bool one_line(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* The JSON as a TAP description: control characters as '?'. */
static const char *show(const char *s)
{
	static char buf[120];
	size_t n = 0;

	for (; *s && n < sizeof(buf) - 1; s++)
		buf[n++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
	buf[n] = '\0';
	return buf;
}

static bool empty(const struct fs_config *c)
{
	return c->port == 0 && !c->server_list_file && !c->debug && !c->ctl_group && !c->bind &&
	       !c->token;
}

static bool streq0(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

struct good {
	const char *json;
	int port;
	const char *server_list_file;
	bool debug;
	const char *ctl_group;
};

static const struct good goods[] = {
	{ "{}", 0, NULL, false, NULL },
	{ " \n{ }\n", 0, NULL, false, NULL },
	{ "{'Debug':true}", 0, NULL, true, NULL },
	{ "{'Debug':false}", 0, NULL, false, NULL },
	{ "{'CtlGroup':'ocifs'}", 0, NULL, false, "ocifs" },
	{ "{'CtlGroup':'1000'}", 0, NULL, false, "1000" },
	{ "{'CtlGroup':'0'}", 0, NULL, false, "0" },
	{ "{'CtlGroup':'domain users'}", 0, NULL, false, "domain users" },
	{ "{'CtlGroup':'build$'}", 0, NULL, false, "build$" },
	{ "{'Port':0}", 0, NULL, false, NULL },
	{ "{'Port':8001}", 8001, NULL, false, NULL },
	{ "{'Port':65535}", 65535, NULL, false, NULL },
	{ "{'ServerListFile':'/etc/ocifs/servers.json'}", 0, "/etc/ocifs/servers.json", false, NULL },
	{ "{'ServerListFile':'servers.json'}", 0, "servers.json", false, NULL },
	{ "{'Port':8001,'ServerListFile':'/s.json','Debug':true,'CtlGroup':'ops'}", 8001,
	  "/s.json", true, "ops" },
	{ "{'CtlGroup':'ops','Debug':true}", 0, NULL, true, "ops" },
	{ "{'Port':null,'ServerListFile':null,'Debug':null,'CtlGroup':null}", 0, NULL, false,
	  NULL },
	{ "{'CtlGroup':'caf\\u00e9'}", 0, NULL, false, "caf\xc3\xa9" },
};

struct bad {
	const char *json;
	const char *prefix;
};

static const struct bad bads[] = {
	/* not JSON, not an object */
	{ "", "invalid JSON" },
	{ "{", "invalid JSON" },
	{ "{'Debug':true", "invalid JSON" },
	{ "{'Debug':true}}", "invalid JSON" },
	{ "{'Debug':true} {}", "invalid JSON" },
	{ "{'Debug':True}", "invalid JSON" },
	{ "{Debug:true}", "invalid JSON" },
	{ "{'Debug':true,'Debug':false}", "invalid JSON" },
	{ "[]", "must be a JSON object" },
	{ "null", "must be a JSON object" },
	{ "'Debug'", "must be a JSON object" },
	{ "42", "must be a JSON object" },
	/* unknown keys */
	{ "{'Prot':8001}", "unknown key \"Prot\"" },
	{ "{'port':8001}", "unknown key \"port\" (did you mean \"Port\"?)" },
	{ "{'debug':true}", "unknown key \"debug\" (did you mean \"Debug\"?)" },
	{ "{'CtlGroup':'a','ctlgroup':'b'}", "unknown key \"ctlgroup\"" },
	{ "{'':1}", "unknown key \"\"" },
	{ "{'Debug\\n':true}", "unknown key \"Debug?\"" },
	{ "{'Scheduler':{}}", "unknown key \"Scheduler\"" },
	{ "{'bind':'::1'}", "unknown key \"bind\" (did you mean \"Bind\"?)" },
	{ "{'TOKEN':'0123456789abcdef'}", "unknown key \"TOKEN\" (did you mean \"Token\"?)" },
	{ "{'Address':'::1'}", "unknown key \"Address\" (known keys: Port, Bind, Token, "
			       "ServerListFile, Debug, CtlGroup)" },
	/* Bind */
	{ "{'Bind':''}", "Bind: must be an IPv4 or IPv6 address" },
	{ "{'Bind':'localhost'}", "Bind: must be an IPv4 or IPv6 address" },
	{ "{'Bind':'127.0.0.1:80'}", "Bind: must be an IPv4 or IPv6 address" },
	{ "{'Bind':'127.0.0.256'}", "Bind: must be an IPv4 or IPv6 address" },
	{ "{'Bind':'[::1]'}", "Bind: must be an IPv4 or IPv6 address" },
	{ "{'Bind':' 127.0.0.1'}", "Bind: must be an IPv4 or IPv6 address" },
	{ "{'Bind':'fe80::1%eth0'}", "Bind: must be an IPv4 or IPv6 address" },
	{ "{'Bind':2130706433}", "Bind: must be an IPv4 or IPv6 address" },
	{ "{'Bind':['::1']}", "Bind: must be an IPv4 or IPv6 address" },
	{ "{'Bind':'0.0.0.0'}", "Bind: a non-loopback address needs a Token" },
	{ "{'Port':8001,'Bind':'::'}", "Bind: a non-loopback address needs a Token" },
	{ "{'Bind':'10.0.0.1','Token':null}", "Bind: a non-loopback address needs a Token" },
	{ "{'Bind':'::ffff:10.0.0.1'}", "Bind: a non-loopback address needs a Token" },
	/* Token */
	{ "{'Token':'0123456789abcde'}", "Token: must be 16 to 255 characters long, not 15" },
	{ "{'Token':''}", "Token: must be 16 to 255 characters long, not 0" },
	{ "{'Token':16}", "Token: must be a string" },
	{ "{'Token':true}", "Token: must be a string" },
	{ "{'Token':'0123456789 abcdef'}", "Token: only visible ASCII characters" },
	{ "{'Token':'0123456789abcdef\\n'}", "Token: only visible ASCII characters" },
	{ "{'Token':'0123456789abcd\\u00e9f'}", "Token: only visible ASCII characters" },
	/* Port */
	{ "{'Port':-1}", "Port: must be an integer 0..65535" },
	{ "{'Port':65536}", "Port: must be an integer 0..65535" },
	{ "{'Port':99999999999}", "Port: must be an integer 0..65535" },
	{ "{'Port':8001.5}", "Port: must be an integer 0..65535" },
	{ "{'Port':8001.0}", "Port: must be an integer 0..65535" },
	{ "{'Port':'8001'}", "Port: must be an integer 0..65535" },
	{ "{'Port':true}", "Port: must be an integer 0..65535" },
	{ "{'Port':[8001]}", "Port: must be an integer 0..65535" },
	{ "{'Port':{}}", "Port: must be an integer 0..65535" },
	/* ServerListFile */
	{ "{'ServerListFile':''}", "ServerListFile: must be a file name" },
	{ "{'ServerListFile':1}", "ServerListFile: must be a file name" },
	{ "{'ServerListFile':['/a']}", "ServerListFile: must be a file name" },
	{ "{'ServerListFile':'/a\\nb'}", "ServerListFile: must be a file name" },
	{ "{'ServerListFile':false}", "ServerListFile: must be a file name" },
	/* Debug */
	{ "{'Debug':1}", "Debug: must be true or false" },
	{ "{'Debug':'true'}", "Debug: must be true or false" },
	{ "{'Debug':{}}", "Debug: must be true or false" },
	/* CtlGroup */
	{ "{'CtlGroup':''}", "CtlGroup: must be a group name or number" },
	{ "{'CtlGroup':1000}", "CtlGroup: must be a group name or number" },
	{ "{'CtlGroup':true}", "CtlGroup: must be a group name or number" },
	{ "{'CtlGroup':['a']}", "CtlGroup: must be a group name or number" },
	{ "{'CtlGroup':'a:b'}", "CtlGroup: must be a group name or number" },
	{ "{'CtlGroup':'-x'}", "CtlGroup: must be a group name or number" },
	{ "{'CtlGroup':'a\\tb'}", "CtlGroup: must be a group name or number" },
	{ "{'CtlGroup':'4294967295'}", "CtlGroup: must be a group name or number" },
	{ "{'CtlGroup':'99999999999999999999999'}", "CtlGroup: must be a group name or number" },
	/* a good key before a bad one: still nothing kept */
	{ "{'CtlGroup':'ops','ServerListFile':'/s','Port':-5}", "Port: must be an integer" },
};

/* Bind and Token (bind NULL: absent, the default). */
struct good_net {
	const char *json;
	const char *bind;
	const char *token;
};

static const struct good_net good_nets[] = {
	{ "{'Port':8001,'Bind':'127.0.0.1'}", "127.0.0.1", NULL },
	{ "{'Bind':'127.1.2.3'}", "127.1.2.3", NULL },
	{ "{'Bind':'::1'}", "::1", NULL },
	{ "{'Bind':'::ffff:127.0.0.1'}", "::ffff:127.0.0.1", NULL },
	{ "{'Token':'0123456789abcdef'}", NULL, "0123456789abcdef" },
	{ "{'Bind':'0.0.0.0','Token':'0123456789abcdef'}", "0.0.0.0",
	  "0123456789abcdef" },
	{ "{'Token':'s3cr3t-T0ken!~_.+/=','Bind':'192.0.2.7'}",
	  "192.0.2.7", "s3cr3t-T0ken!~_.+/=" },
	{ "{'Bind':'::','Token':'0123456789abcdef'}", "::",
	  "0123456789abcdef" },
	{ "{'Bind':'2001:db8::1','Token':'0123456789abcdef'}",
	  "2001:db8::1", "0123456789abcdef" },
	{ "{'Bind':null,'Token':null}", NULL, NULL },
};

static void test_good_net(const struct good_net *g)
{
	char *json = dq(g->json);
	struct fs_config c;
	ocifs_error err = { 0 };
	int r = fs_config_parse(json, strlen(json), &c, &err);

	if (!ok(r == 0 && streq0(c.bind, g->bind) && streq0(c.token, g->token),
		"parses %s", show(json)))
		printf("# r=%d err=%s\n", r, err.msg);
	fs_config_clear(&c);
	free(json);
}

static void test_good(const struct good *g)
{
	char *json = dq(g->json);
	struct fs_config c;
	ocifs_error err = { 0 };
	int r = fs_config_parse(json, strlen(json), &c, &err);

	if (!ok(r == 0 && c.port == g->port && streq0(c.server_list_file, g->server_list_file) &&
			c.debug == g->debug && streq0(c.ctl_group, g->ctl_group) && !c.bind &&
			!c.token,
		"parses %s", show(json)))
		printf("# r=%d err=%s\n", r, err.msg);
	fs_config_clear(&c);
	free(json);
}

static void test_bad(const struct bad *b)
{
	char *json = dq(b->json);
	struct fs_config c;
	ocifs_error err = { 0 };
	int r = fs_config_parse(json, strlen(json), &c, &err);

	if (!ok(r == -1 && err.code == EINVAL && empty(&c) && one_line(err.msg) &&
			strncmp(err.msg, b->prefix, strlen(b->prefix)) == 0,
		"refuses %s: %s", show(json), b->prefix))
		printf("# r=%d code=%d msg=%s\n", r, err.code, err.msg);
	fs_config_clear(&c);
	free(json);
}

static void test_not_nul_terminated(void)
{
	const char buf[] = "{\"Debug\":true}GARBAGE";
	struct fs_config c;
	ocifs_error err = { 0 };

	ok(fs_config_parse(buf, 14, &c, &err) == 0 && c.debug,
	   "fs_config_parse reads only len bytes");
	fs_config_clear(&c);
	ok(fs_config_parse("{\"Debug\":true}\0{", 16, &c, &err) == -1 && err.code == EINVAL &&
		   one_line(err.msg),
	   "a NUL byte inside the text is an error: %s", err.msg);
	fs_config_clear(&c);
	ok(fs_config_parse("{\"CtlGroup\":\"a\\u0000b\"}", 23, &c, &err) == -1 &&
		   err.code == EINVAL,
	   "an escaped NUL in a string is an error: %s", err.msg);
	fs_config_clear(&c);
}

static void test_clear(void)
{
	struct fs_config c;
	ocifs_error err = { 0 };
	const char *j = "{\"CtlGroup\":\"ops\",\"ServerListFile\":\"/s\",\"Debug\":true,\"Port\":1}";

	fs_config_parse(j, strlen(j), &c, &err);
	fs_config_clear(&c);
	ok(empty(&c), "fs_config_clear empties the struct");
	fs_config_clear(&c);
	ok(empty(&c), "fs_config_clear twice is harmless");
}

static void test_loopback(void)
{
	static const struct {
		const char *addr;
		bool loopback;
	} tab[] = {
		{ NULL, true },           { "127.0.0.1", true },  { "127.255.0.9", true },
		{ "::1", true },          { "::ffff:127.0.0.1", true },
		{ "0.0.0.0", false },     { "128.0.0.1", false }, { "10.0.0.1", false },
		{ "::", false },          { "::2", false },       { "::ffff:10.0.0.1", false },
		{ "2001:db8::1", false }, { "::127.0.0.1", false }, { "nonsense", false },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		ok(fs_config_bind_loopback(tab[i].addr) == tab[i].loopback, "%s is %sloopback",
		   tab[i].addr ? tab[i].addr : "the default", tab[i].loopback ? "" : "not ");
}

#define N_LOOPBACK 14

static bool write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return false;
	fputs(text, f);
	return fclose(f) == 0;
}

static void test_load(void)
{
	char dir[] = "/tmp/ocifs-test-fsconfig.XXXXXX";
	char path[256], missing[256];
	struct fs_config c;
	ocifs_error err = { 0 };

	if (!mkdtemp(dir)) {
		for (int i = 0; i < 6; i++)
			skip("mkdtemp failed", "fs_config_load");
		return;
	}
	snprintf(path, sizeof(path), "%s/ocifs.json", dir);
	snprintf(missing, sizeof(missing), "%s/missing.json", dir);

	write_text(path, "{\"Debug\": true, \"CtlGroup\": \"ops\"}\n");
	ok(fs_config_load(path, &c, &err) == 0 && c.debug && streq0(c.ctl_group, "ops"),
	   "fs_config_load reads a file");
	fs_config_clear(&c);

	write_text(path, "{\"Prot\": 1}\n");
	ok(fs_config_load(path, &c, &err) == -1 && err.code == EINVAL && empty(&c) &&
		   strncmp(err.msg, path, strlen(path)) == 0 &&
		   strstr(err.msg, ": unknown key \"Prot\"") && one_line(err.msg),
	   "a bad file's error names the file: %s", err.msg);
	fs_config_clear(&c);

	write_text(path, "");
	ok(fs_config_load(path, &c, &err) == -1 && err.code == EINVAL &&
		   strstr(err.msg, "invalid JSON"),
	   "an empty file is invalid JSON: %s", err.msg);
	fs_config_clear(&c);

	ok(fs_config_load(missing, &c, &err) == -1 && err.code == ENOENT && empty(&c) &&
		   strstr(err.msg, missing) && one_line(err.msg),
	   "a missing --config file is an error: %s", err.msg);
	fs_config_clear(&c);

	ok(fs_config_load(dir, &c, &err) == -1 && err.code != 0 && one_line(err.msg),
	   "a directory is an error: %s", err.msg);
	fs_config_clear(&c);

	if (access("/etc/ocifs/ocifs.json", F_OK) == 0) {
		skip("/etc/ocifs/ocifs.json exists", "a missing default file is no error");
	} else {
		err.code = 0;
		ok(fs_config_load(NULL, &c, &err) == 0 && empty(&c) && err.code == 0,
		   "a missing default file is no error");
		fs_config_clear(&c);
	}
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	size_t n_goods = sizeof(goods) / sizeof(goods[0]);
	size_t n_bads = sizeof(bads) / sizeof(bads[0]);

	size_t n_nets = sizeof(good_nets) / sizeof(good_nets[0]);

	printf("1..%zu\n", n_goods + n_nets + n_bads + 3 + 2 + N_LOOPBACK + 6);
	for (size_t i = 0; i < n_goods; i++)
		test_good(&goods[i]);
	for (size_t i = 0; i < n_nets; i++)
		test_good_net(&good_nets[i]);
	for (size_t i = 0; i < n_bads; i++)
		test_bad(&bads[i]);
	test_not_nul_terminated();
	test_clear();
	test_loopback();
	test_load();
	return n_failed ? 1 : 0;
}
