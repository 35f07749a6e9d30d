/* Cgroup paths: linux.cgroupsPath to the path used in every hierarchy
 * (see cgroup_path_for in cgroup.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "ocifs/util.h"

/* Appends the components of s (split on '/'), dropping empty and "." ones. */
static void append_components(char **out, size_t *len, const char *s)
{
	while (*s) {
		size_t l;
		while (*s == '/')
			s++;
		l = strcspn(s, "/");
		if (l == 0)
			break;
		if (!(l == 1 && s[0] == '.')) {
			*out = xrealloc(*out, *len + l + 2);
			(*out)[(*len)++] = '/';
			memcpy(*out + *len, s, l);
			*len += l;
			(*out)[*len] = '\0';
		}
		s += l;
	}
}

/* systemd's slice naming: "a-b.slice" lives at /a.slice/a-b.slice. */
static void append_slice(char **out, size_t *len, const char *slice)
{
	size_t sl = strlen(slice);

	if (strcmp(slice, "-.slice") == 0)
		return; /* the root slice */
	if (sl <= 6 || strcmp(slice + sl - 6, ".slice") != 0 || strchr(slice, '/')) {
		append_components(out, len, slice);
		return;
	}
	for (const char *dash = strchr(slice, '-'); dash && dash < slice + sl - 6;
	     dash = strchr(dash + 1, '-')) {
		cleanup_free char *part = xasprintf("%.*s.slice", (int)(dash - slice), slice);
		append_components(out, len, part);
	}
	append_components(out, len, slice);
}

/* Absolute cgroupsPath: used as given, normalised (duplicate slashes and
 * "." dropped; ".." is kept and refused by check_path).  Relative: under
 * "/ocifs".  Absent: "/ocifs/<id>".
 *
 * systemd form "slice:prefix:name" (no leading '/', exactly two ':'): we
 * have no systemd driver, so the cgroup is made directly at the place the
 * systemd driver of runc would put it, "<expanded slice>/<prefix>-<name>.scope"
 * ("kubepods-pod1.slice:cri:abc" -> "/kubepods.slice/kubepods-pod1.slice/cri-abc.scope";
 * an empty slice means "system.slice", an empty prefix gives "<name>.scope").
 * Tools that read the systemd layout (kubelet's cadvisor) then find it. */
char *cgroup_path_for(const struct oci_config *cfg, const char *id)
{
	const char *cp = cfg && cfg->has_linux ? cfg->lx.cgroups_path : NULL;
	char *out = xstrdup("");
	size_t len = 0;

	if (!cp || !*cp) {
		append_components(&out, &len, "ocifs");
		append_components(&out, &len, id ? id : "");
	} else if (cp[0] == '/') {
		append_components(&out, &len, cp);
	} else {
		const char *c1 = strchr(cp, ':');
		const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (c1 && c2 && !strchr(c2 + 1, ':')) {
			cleanup_free char *slice = xasprintf("%.*s", (int)(c1 - cp), cp);
			cleanup_free char *prefix = xasprintf("%.*s", (int)(c2 - c1 - 1), c1 + 1);
			cleanup_free char *unit = NULL;
			const char *name = c2 + 1;
			size_t nl = strlen(name);

			append_slice(&out, &len, *slice ? slice : "system.slice");
			if (nl > 6 && strcmp(name + nl - 6, ".slice") == 0)
				unit = xstrdup(name);
			else if (*prefix)
				unit = xasprintf("%s-%s.scope", prefix, name);
			else
				unit = xasprintf("%s.scope", name);
			append_components(&out, &len, unit);
		} else {
			append_components(&out, &len, "ocifs");
			append_components(&out, &len, cp);
		}
	}
	if (len == 0) {
		free(out);
		out = xstrdup("/");
	}
	return out;
}
