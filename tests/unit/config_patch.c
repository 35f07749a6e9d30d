/* Test support: configs as patches over a valid base (config_patch.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config_patch.h"

/* ' -> " */
char *config_dq(const char *s)
{
	char *d = strdup(s);
	for (char *p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	return d;
}

static const char base_json[] =
	"{'ociVersion':'1.3.0','root':{'path':'rootfs'},"
	"'process':{'cwd':'/','args':['sh'],'user':{'uid':0,'gid':0}},"
	"'hostname':'box',"
	"'linux':{'namespaces':[{'type':'pid'},{'type':'mount'},{'type':'uts'},"
	"{'type':'ipc'},{'type':'network'}]}}";

static void merge(json_t *dst, json_t *patch)
{
	const char *key;
	json_t *v;

	json_object_foreach (patch, key, v) {
		json_t *cur = json_object_get(dst, key);
		if (json_is_string(v) && strcmp(json_string_value(v), "__DEL__") == 0)
			json_object_del(dst, key);
		else if (json_is_object(v) && json_is_object(cur))
			merge(cur, v);
		else
			json_object_set(dst, key, v);
	}
}

/* base + patch as JSON text (malloc'd); NULL if the patch is not JSON. */
char *config_patched(const char *patch)
{
	char *b = config_dq(base_json), *p = config_dq(patch), *out = NULL;
	json_t *base = json_loads(b, 0, NULL), *pj = json_loads(p, 0, NULL);

	if (base && pj) {
		merge(base, pj);
		out = json_dumps(base, JSON_COMPACT);
	}
	json_decref(base);
	json_decref(pj);
	free(b);
	free(p);
	return out;
}

int config_parse_patch(const char *patch, struct oci_config **cfg, ocifs_error *err)
{
	char *text = config_patched(patch);
	int r;

	if (!text) {
		snprintf(err->msg, sizeof(err->msg), "test bug: bad patch");
		*cfg = NULL;
		return -2;
	}
	r = ocifs_config_parse(text, strlen(text), cfg, err);
	free(text);
	return r;
}

bool config_one_line(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20)
			return false;
	return true;
}
