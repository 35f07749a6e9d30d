/* The OCI features document (runtime-spec features.md, features-linux.md).
 *
 * `ocirun features` and the filesystem's `features` file print this.  It is
 * truthful: it lists only what this build implements.  AppArmor,
 * SELinux, Intel RDT, net devices and the systemd cgroup driver are not
 * implemented (yet), so they are reported as disabled.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

#include <jansson.h>

#include "ocifs/engine.h"
#include "seccomp_filter.h"
#include "ocifs/util.h"

#ifndef OCIFS_VERSION
#define OCIFS_VERSION "unknown"
#endif

/* Every option the config parser decodes (mount_opts[] in config_mounts.c,
 * without the ones it refuses as not implemented yet: the recursive
 * "rro"-style options, tmpcopyup). */
static const char *const mount_options[] = {
	"async", "atime", "bind", "defaults", "dev", "diratime", "dirsync",
	"exec", "idmap", "iversion", "lazytime", "loud", "mand", "noatime", "nodev",
	"nodiratime", "noexec", "noiversion", "nolazytime", "nomand",
	"norelatime", "nostrictatime", "nosuid", "nosymfollow", "private",
	"rbind", "relatime", "remount", "ridmap", "ro", "rprivate", "rshared", "rslave",
	"runbindable", "rw", "shared", "silent", "slave", "strictatime", "suid",
	"symfollow", "sync", "unbindable",
};

static json_t *string_array(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *enabled(bool on)
{
	return json_pack("{s:b}", "enabled", on);
}

/* "CAP_CHOWN" ... for every capability that both libcap and the running
 * kernel know.  libcap answers a bare number for a capability it has no
 * name for; those are left out. */
static json_t *capability_names(void)
{
	json_t *a = json_array();
	cap_value_t max = cap_max_bits();

	for (cap_value_t c = 0; c < max; c++) {
		char *name = cap_to_name(c);
		if (!name)
			continue;
		if (strncmp(name, "cap_", 4) == 0) {
			char *up = xstrdup(name);
			for (char *p = up; *p; p++)
				*p = (char)toupper((unsigned char)*p);
			json_array_append_new(a, json_string(up));
			free(up);
		}
		cap_free(name);
	}
	return a;
}

static json_t *namespace_names(void)
{
	json_t *a = json_array();

	for (int t = 0; t < OCI_NS__COUNT; t++)
		json_array_append_new(a, json_string(ocifs_ns_type_name(t)));
	return a;
}

static json_t *hook_names(void)
{
	json_t *a = json_array();

	for (int k = 0; k < OCI_HOOK__COUNT; k++)
		json_array_append_new(a, json_string(ocifs_hook_kind_name(k)));
	return a;
}

/* linux.seccomp: every action and operator; the architectures this
 * libseccomp knows; the flags we know and those this kernel accepts. */
static json_t *seccomp_features(void)
{
	json_t *sc = enabled(true), *a = json_array(), *o = json_array(), *ar = json_array();
	json_t *known = json_array(), *sup = json_array();
	const char *n;

	for (int i = 0; (n = scf_action_name(i)); i++)
		json_array_append_new(a, json_string(n));
	for (int i = 0; (n = scf_op_name(i)); i++)
		json_array_append_new(o, json_string(n));
	for (int i = 0; (n = scf_arch_name(i)); i++)
		if (scf_arch_from_name(n))
			json_array_append_new(ar, json_string(n));
	for (int i = 0; (n = scf_flag_name(i)); i++) {
		json_array_append_new(known, json_string(n));
		if (scf_flag_supported((unsigned long)scf_flag_from_name(n)))
			json_array_append_new(sup, json_string(n));
	}
	json_object_set_new(sc, "actions", a);
	json_object_set_new(sc, "operators", o);
	json_object_set_new(sc, "archs", ar);
	json_object_set_new(sc, "knownFlags", known);
	json_object_set_new(sc, "supportedFlags", sup);
	return sc;
}

static json_t *linux_features(void)
{
	json_t *lx = json_object();

	json_object_set_new(lx, "namespaces", namespace_names());
	json_object_set_new(lx, "capabilities", capability_names());
	json_object_set_new(lx, "cgroup",
			    /* rdma: rdma.max on cgroup v2 (v1 has no such driver here) */
			    json_pack("{s:b,s:b,s:b,s:b,s:b}",
				      "v1", 1, "v2", 1, "systemd", 0,
				      "systemdUser", 0, "rdma", 1));
	json_object_set_new(lx, "seccomp", seccomp_features());
	json_object_set_new(lx, "apparmor", enabled(false));
	json_object_set_new(lx, "selinux", enabled(false));
	json_object_set_new(lx, "intelRdt", enabled(false));
	json_object_set_new(lx, "mountExtensions",
			    json_pack("{s:o}", "idmap", enabled(true)));
	json_object_set_new(lx, "netDevices", enabled(false));
	return lx;
}

char *ocifs_features_json(void)
{
	json_t *doc = json_object();
	char *text;

	json_object_set_new(doc, "ociVersionMin", json_string("1.0.0"));
	json_object_set_new(doc, "ociVersionMax", json_string(OCIFS_OCI_VERSION));
	json_object_set_new(doc, "hooks", hook_names());
	json_object_set_new(doc, "mountOptions",
			    string_array(mount_options, ARRAY_SIZE(mount_options)));
	json_object_set_new(doc, "linux", linux_features());
	json_object_set_new(doc, "annotations",
			    json_pack("{s:s}", "io.github.ocifs.version", OCIFS_VERSION));

	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	return text;
}
