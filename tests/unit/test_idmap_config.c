/* TAP tests for ID-mapped mounts in the config parser (runtime/config_mounts.c):
 * a mount's uidMappings/gidMappings and the "idmap"/"ridmap" options, and
 * what is refused (not a bind mount, no user namespace, one list without the
 * other, bad mapping entries).  JSON in this file uses ' for ".
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocifs/config.h"
#include "rootfs.h"

#include "tap.h"

#define USERNS ",{'type':'user'}"
#define MAPS ",'uidMappings':[{'containerID':0,'hostID':100000,'size':65536}]," \
	     "'gidMappings':[{'containerID':0,'hostID':100000,'size':65536}]"

/* A config with `mounts` (the array's inside) and, when userns, a new user
 * namespace with the usual container mapping. */
static int parse(const char *mounts, bool userns, struct oci_config **cfg, ocifs_error *err)
{
	char text[4096];
	int n = snprintf(text, sizeof(text),
			 "{'ociVersion':'1.3.0','root':{'path':'rootfs'},'mounts':[%s],"
			 "'linux':{'namespaces':[{'type':'mount'}%s]%s}}",
			 mounts, userns ? USERNS : "", userns ? MAPS : "");

	for (char *p = text; *p; p++)
		if (*p == '\'')
			*p = '"';
	memset(err, 0, sizeof(*err));
	*cfg = NULL;
	return ocifs_config_parse(text, (size_t)n, cfg, err);
}

static bool map_is(const struct oci_idmap *m, uint32_t c, uint32_t h, uint32_t s)
{
	return m->container_id == c && m->host_id == h && m->size == s;
}

static void test_options(void)
{
	struct oci_config *cfg;
	ocifs_error err;
	const struct oci_mount *m;

	ok(parse("{'destination':'/d','source':'/s','options':['bind','idmap']}", true, &cfg,
		 &err) == 0 &&
		   (m = &cfg->mounts[0])->idmap && !m->recursive_idmap && m->bind &&
		   !m->recursive_bind && m->n_uid_mappings == 0 && m->n_gid_mappings == 0 &&
		   !m->data,
	   "\"idmap\" on a bind: ID-mapped, not recursive, the container's mapping (%s)",
	   err.msg);
	ocifs_config_free(cfg);

	ok(parse("{'destination':'/d','source':'/s','options':['rbind','ridmap']}", true, &cfg,
		 &err) == 0 &&
		   (m = &cfg->mounts[0])->idmap && m->recursive_idmap && m->recursive_bind,
	   "\"ridmap\" on an rbind: ID-mapped recursively (%s)", err.msg);
	ocifs_config_free(cfg);

	ok(parse("{'destination':'/d','source':'/s','options':['rbind','ridmap','idmap']}",
		 true, &cfg, &err) == 0 &&
		   cfg->mounts[0].idmap && !cfg->mounts[0].recursive_idmap,
	   "the later of \"ridmap\", \"idmap\" wins (%s)", err.msg);
	ocifs_config_free(cfg);

	ok(parse("{'destination':'/d','type':'bind','source':'/s','options':['idmap']}", true,
		 &cfg, &err) == 0 && cfg->mounts[0].idmap && cfg->mounts[0].bind,
	   "type \"bind\" counts as a bind mount (%s)", err.msg);
	ocifs_config_free(cfg);

	ok(parse("{'destination':'/d','source':'/s','options':['rbind']}", true, &cfg,
		 &err) == 0 && !cfg->mounts[0].idmap && !cfg->mounts[0].recursive_idmap,
	   "a bind without idmap options or mappings is not ID-mapped (%s)", err.msg);
	ocifs_config_free(cfg);

	ok(parse("{'destination':'/t','type':'tmpfs','uidMappings':[],'gidMappings':[]}",
		 false, &cfg, &err) == 0 && !cfg->mounts[0].idmap,
	   "empty mapping lists are no mapping (%s)", err.msg);
	ocifs_config_free(cfg);
}

static void test_mappings(void)
{
	struct oci_config *cfg;
	ocifs_error err;
	const struct oci_mount *m;
	int r;

	r = parse("{'destination':'/d','source':'/s','options':['bind'],"
		  "'uidMappings':[{'containerID':0,'hostID':1000,'size':1},"
		  "{'containerID':1,'hostID':200000,'size':65535}],"
		  "'gidMappings':[{'containerID':0,'hostID':2000,'size':10}]}",
		  true, &cfg, &err);
	ok(r == 0 && (m = &cfg->mounts[0])->idmap && !m->recursive_idmap &&
		   m->n_uid_mappings == 2 && map_is(&m->uid_mappings[0], 0, 1000, 1) &&
		   map_is(&m->uid_mappings[1], 1, 200000, 65535) && m->n_gid_mappings == 1 &&
		   map_is(&m->gid_mappings[0], 0, 2000, 10),
	   "mount mappings are parsed and imply \"idmap\" (%s)", err.msg);
	if (r == 0) {
		/* the decoder is pure and may run again: the mappings still
		 * make the mount ID-mapped */
		ok(mount_options_decode(&cfg->mounts[0], &err) == 0 && cfg->mounts[0].idmap,
		   "decoding the options again keeps the implied \"idmap\"");
	} else {
		ok(false, "decoding the options again keeps the implied \"idmap\"");
	}
	ocifs_config_free(cfg);

	ok(parse("{'destination':'/d','source':'/s','options':['rbind','ridmap'],"
		 "'uidMappings':[{'containerID':4294967294,'hostID':0,'size':2}],"
		 "'gidMappings':[{'containerID':0,'hostID':4294967295,'size':1}]}",
		 true, &cfg, &err) == 0 &&
		   cfg->mounts[0].recursive_idmap &&
		   map_is(&cfg->mounts[0].uid_mappings[0], 4294967294u, 0, 2),
	   "mappings up to ID 4294967295 and \"ridmap\" with mappings (%s)", err.msg);
	ocifs_config_free(cfg);
}

struct bad_case {
	const char *mounts;
	bool userns;
	const char *want; /* the error must start with this */
};

#define BIND "'destination':'/d','source':'/s','options':['bind']"
#define ONE "[{'containerID':0,'hostID':1,'size':1}]"

static const struct bad_case bad_cases[] = {
	{ "{'destination':'/t','type':'tmpfs','options':['idmap']}", true,
	  "mounts[0]: an ID-mapped mount (idmap, ridmap, uidMappings/gidMappings) must be a "
	  "bind mount" },
	{ "{'destination':'/t','type':'tmpfs','uidMappings':" ONE ",'gidMappings':" ONE "}",
	  true, "mounts[0]: an ID-mapped mount (idmap, ridmap, uidMappings/gidMappings) must be "
		"a bind mount" },
	{ "{'destination':'/t','type':'tmpfs'},{'destination':'/p','type':'proc',"
	  "'options':['ridmap']}", true, "mounts[1]: an ID-mapped mount" },
	{ "{" BIND ",'uidMappings':" ONE ",'gidMappings':" ONE "}", false,
	  "mounts[0]: an ID-mapped mount requires a \"user\" entry in linux.namespaces" },
	{ "{'destination':'/t','type':'tmpfs'},{'destination':'/d','source':'/s',"
	  "'options':['rbind','idmap']}", false,
	  "mounts[1]: an ID-mapped mount requires a \"user\" entry in linux.namespaces" },
	{ "{" BIND ",'uidMappings':[{'containerID':0,'hostID':1,'size':0}],'gidMappings':" ONE
	  "}", true, "mounts[0].uidMappings[0].size: must be an integer between 1 and 4294967295" },
	{ "{" BIND ",'uidMappings':" ONE ",'gidMappings':[{'containerID':0,'size':1}]}", true,
	  "mounts[0].gidMappings[0].hostID:" },
	{ "{" BIND ",'uidMappings':[{'containerID':-1,'hostID':1,'size':1}],'gidMappings':" ONE
	  "}", true, "mounts[0].uidMappings[0].containerID:" },
	{ "{" BIND ",'uidMappings':[{'containerID':4294967295,'hostID':1,'size':2}],"
	  "'gidMappings':" ONE "}", true,
	  "mounts[0].uidMappings[0].size: the range runs past ID 4294967295" },
	{ "{" BIND ",'uidMappings':{},'gidMappings':" ONE "}", true,
	  "mounts[0].uidMappings: must be an array" },
	{ "{" BIND ",'uidMappings':[1],'gidMappings':" ONE "}", true,
	  "mounts[0].uidMappings[0]: must be an object" },
	{ "{" BIND ",'uidMappings':" ONE "}", true,
	  "mounts[0].gidMappings: required with uidMappings" },
	{ "{" BIND ",'gidMappings':" ONE "}", true,
	  "mounts[0].uidMappings: required with gidMappings" },
	{ "{'destination':'/d','options':['bind','idmap']}", true,
	  "mounts[0].source: required for an ID-mapped mount" },
};

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct oci_config *cfg;
		ocifs_error err;
		int r = parse(c->mounts, c->userns, &cfg, &err);

		if (!ok(r == -1 && !cfg && err.code == EINVAL &&
				strncmp(err.msg, c->want, strlen(c->want)) == 0,
			"refused: %s", c->want))
			printf("# got r=%d: %s\n", r, err.msg);
		ocifs_config_free(cfg);
	}
}

static void test_joined_userns(void)
{
	struct oci_config *cfg = NULL;
	ocifs_error err = { 0 };
	char text[] = "{'ociVersion':'1.3.0','root':{'path':'rootfs'},"
		      "'mounts':[{'destination':'/d','source':'/s','options':['bind','idmap']}],"
		      "'linux':{'namespaces':[{'type':'mount'},"
		      "{'type':'user','path':'/proc/1/ns/user'}]}}";

	for (char *p = text; *p; p++)
		if (*p == '\'')
			*p = '"';
	ok(ocifs_config_parse(text, strlen(text), &cfg, &err) == 0 && cfg->mounts[0].idmap,
	   "\"idmap\" with a user namespace joined by path (%s)", err.msg);
	ocifs_config_free(cfg);
}

int main(void)
{
	test_options();
	test_mappings();
	test_bad();
	test_joined_userns();
	printf("1..%d\n", n_run);
	return n_failed ? 1 : 0;
}
