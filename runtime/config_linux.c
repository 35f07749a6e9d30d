/* The "linux" object of config.json: namespaces, ID mappings, devices,
 * cgroupsPath, resources (device rules here, the rest in config_resources.c),
 * sysctl, rootfsPropagation, maskedPaths, readonlyPaths, mountLabel, seccomp
 * (config_seccomp.c).  Members this build does not implement yet are
 * refused with "<path>: not supported yet"; unknown members are ignored.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include <jansson.h>

#include "ocifs/config.h"
#include "rootfs.h"
#include "ocifs/util.h"

#include "process_extra.h"
#include "config_internal.h"

#define U32_MAX 4294967295LL

/* Allocates a zeroed array for the JSON array `key` of `o` and calls `one`
 * on each element with its path; *n counts the elements started, so the
 * free path sees everything allocated. */
typedef int (*elem_fn)(json_t *v, const char *path, void *elem, struct oci_linux *lx,
		       ocifs_error *err);

static int parse_list(json_t *o, const char *key, size_t elem_size, void **out, size_t *n,
		      elem_fn one, struct oci_linux *lx, ocifs_error *err)
{
	char base[CFG_PATH_MAX], path[CFG_PATH_MAX];
	json_t *arr, *v;
	size_t i;

	if (cfg_array(o, "linux", key, &arr, err) < 0)
		return -1;
	if (!arr || json_array_size(arr) == 0)
		return 0;
	cfg_path_key(base, "linux", key);
	*out = xcalloc(json_array_size(arr), elem_size);
	json_array_foreach (arr, i, v) {
		cfg_path_idx(path, base, i);
		if (!json_is_object(v))
			return ocifs_error_set(err, 0, "%s: must be an object", path);
		(*n)++;
		if (one(v, path, (char *)*out + i * elem_size, lx, err) < 0)
			return -1;
	}
	return 0;
}

/* ---- namespaces ---- */

static int ns_type_from_name(const char *name)
{
	for (int t = 0; t < OCI_NS__COUNT; t++)
		if (strcmp(ocifs_ns_type_name((enum oci_ns_type)t), name) == 0)
			return t;
	return -1;
}

static int parse_ns(json_t *v, const char *path, void *elem, struct oci_linux *lx,
		    ocifs_error *err)
{
	char tpath[CFG_PATH_MAX], q[CFG_QUOTE_MAX];
	struct oci_namespace *ns = elem;
	cleanup_free char *type = NULL;
	int t;

	if (cfg_string(v, path, "type", true, &type, err) < 0)
		return -1;
	cfg_path_key(tpath, path, "type");
	t = ns_type_from_name(type);
	if (t < 0)
		return ocifs_error_set(err, 0, "%s: unknown namespace type %s", tpath,
				       cfg_q(q, type));
	for (struct oci_namespace *o = lx->namespaces; o < ns; o++)
		if ((int)o->type == t)
			return ocifs_error_set(err, 0, "%s: duplicate namespace type %s", tpath,
					       cfg_q(q, type));
	ns->type = (enum oci_ns_type)t;
	if (cfg_string(v, path, "path", false, &ns->path, err) < 0)
		return -1;
	if (ns->path && ns->path[0] == '\0') { /* "" = create a new one */
		free(ns->path);
		ns->path = NULL;
	}
	cfg_path_key(tpath, path, "path");
	return ns->path ? cfg_abs_path(tpath, ns->path, err) : 0;
}

static bool has_ns(const struct oci_linux *lx, enum oci_ns_type t)
{
	for (size_t i = 0; i < lx->n_namespaces; i++)
		if (lx->namespaces[i].type == t)
			return true;
	return false;
}

/* ---- uidMappings / gidMappings ---- */

int cfg_idmap(json_t *v, const char *path, struct oci_idmap *m, ocifs_error *err)
{
	int64_t c, h, s;

	if (!json_is_object(v))
		return ocifs_error_set(err, 0, "%s: must be an object", path);
	if (cfg_int(v, path, "containerID", true, 0, U32_MAX, NULL, &c, err) < 0 ||
	    cfg_int(v, path, "hostID", true, 0, U32_MAX, NULL, &h, err) < 0 ||
	    cfg_int(v, path, "size", true, 1, U32_MAX, NULL, &s, err) < 0)
		return -1;
	if (c + s - 1 > U32_MAX || h + s - 1 > U32_MAX)
		return ocifs_error_set(err, 0, "%s.size: the range runs past ID 4294967295", path);
	m->container_id = (uint32_t)c;
	m->host_id = (uint32_t)h;
	m->size = (uint32_t)s;
	return 0;
}

static int parse_idmap(json_t *v, const char *path, void *elem, struct oci_linux *lx,
		       ocifs_error *err)
{
	(void)lx;
	return cfg_idmap(v, path, elem, err);
}

static int parse_idmaps(json_t *o, struct oci_linux *lx, ocifs_error *err)
{
	if (parse_list(o, "uidMappings", sizeof(struct oci_idmap), (void **)&lx->uid_mappings,
		       &lx->n_uid_mappings, parse_idmap, lx, err) < 0 ||
	    parse_list(o, "gidMappings", sizeof(struct oci_idmap), (void **)&lx->gid_mappings,
		       &lx->n_gid_mappings, parse_idmap, lx, err) < 0)
		return -1;
	if (lx->n_uid_mappings && !has_ns(lx, OCI_NS_USER))
		return ocifs_error_set(err, 0,
				       "linux.uidMappings: requires a \"user\" entry in linux.namespaces");
	if (lx->n_gid_mappings && !has_ns(lx, OCI_NS_USER))
		return ocifs_error_set(err, 0,
				       "linux.gidMappings: requires a \"user\" entry in linux.namespaces");
	return 0;
}

/* ---- devices ---- */

static int parse_dev_ids(json_t *v, const char *path, struct oci_device *d, ocifs_error *err)
{
	bool need = d->type != 'p';
	int64_t x;

	if (cfg_int(v, path, "major", need, 0, U32_MAX, NULL, &d->major, err) < 0 ||
	    cfg_int(v, path, "minor", need, 0, U32_MAX, NULL, &d->minor, err) < 0 ||
	    cfg_int(v, path, "fileMode", false, 0, U32_MAX, &d->has_file_mode, &x, err) < 0)
		return -1;
	if (d->has_file_mode)
		d->file_mode = (mode_t)(x & 07777);
	if (cfg_int(v, path, "uid", false, 0, U32_MAX, &d->has_uid, &x, err) < 0)
		return -1;
	d->uid = (uid_t)x;
	if (cfg_int(v, path, "gid", false, 0, U32_MAX, &d->has_gid, &x, err) < 0)
		return -1;
	d->gid = (gid_t)x;
	return 0;
}

static int parse_device(json_t *v, const char *path, void *elem, struct oci_linux *lx,
			ocifs_error *err)
{
	char ppath[CFG_PATH_MAX], q[CFG_QUOTE_MAX];
	struct oci_device *d = elem;
	cleanup_free char *type = NULL;

	if (cfg_string(v, path, "type", true, &type, err) < 0)
		return -1;
	if (strlen(type) != 1 || !strchr("cbup", type[0])) {
		cfg_path_key(ppath, path, "type");
		return ocifs_error_set(err, 0, "%s: %s must be one of \"c\", \"b\", \"u\", \"p\"",
				       ppath, cfg_q(q, type));
	}
	d->type = type[0];
	if (cfg_string(v, path, "path", true, &d->path, err) < 0)
		return -1;
	cfg_path_key(ppath, path, "path");
	if (cfg_abs_path(ppath, d->path, err) < 0)
		return -1;
	for (struct oci_device *o = lx->devices; o < d; o++)
		if (strcmp(o->path, d->path) == 0)
			return ocifs_error_set(err, 0, "%s: duplicate device %s", ppath,
					       cfg_q(q, d->path));
	return parse_dev_ids(v, path, d, err);
}

/* ---- resources ---- */

static int parse_access(json_t *v, const char *path, struct oci_device_rule *r,
			ocifs_error *err)
{
	char apath[CFG_PATH_MAX], q[CFG_QUOTE_MAX];
	cleanup_free char *access = NULL;
	size_t o = 0;

	if (cfg_string(v, path, "access", false, &access, err) < 0)
		return -1;
	if (!access)
		return 0;
	if (access[strspn(access, "rwm")] != '\0') {
		cfg_path_key(apath, path, "access");
		return ocifs_error_set(err, 0, "%s: %s must be a combination of r, w and m", apath,
				       cfg_q(q, access));
	}
	for (const char *c = "rwm"; *c; c++) /* canonical order */
		if (strchr(access, *c))
			r->access[o++] = *c;
	r->access[o] = '\0';
	return 0;
}

static int parse_rule(json_t *v, const char *path, struct oci_device_rule *r,
		      ocifs_error *err)
{
	char tpath[CFG_PATH_MAX], q[CFG_QUOTE_MAX];
	cleanup_free char *type = NULL;
	json_t *allow = json_object_get(v, "allow");

	if (!json_is_object(v))
		return ocifs_error_set(err, 0, "%s: must be an object", path);
	if (!allow || json_is_null(allow))
		return ocifs_error_set(err, 0, "%s.allow: is required", path);
	if (cfg_bool(v, path, "allow", &r->allow, err) < 0 ||
	    cfg_string(v, path, "type", false, &type, err) < 0)
		return -1;
	r->type = 'a';
	if (type && (strlen(type) != 1 || !strchr("acb", type[0]))) {
		cfg_path_key(tpath, path, "type");
		return ocifs_error_set(err, 0, "%s: %s must be one of \"a\", \"c\", \"b\"", tpath,
				       cfg_q(q, type));
	}
	if (type)
		r->type = type[0];
	r->major = r->minor = -1;
	if (cfg_int(v, path, "major", false, -1, INT64_MAX, NULL, &r->major, err) < 0 ||
	    cfg_int(v, path, "minor", false, -1, INT64_MAX, NULL, &r->minor, err) < 0)
		return -1;
	return parse_access(v, path, r, err);
}

static int parse_resources(json_t *o, struct oci_linux *lx, ocifs_error *err)
{
	char path[CFG_PATH_MAX];
	json_t *res, *arr, *v;
	size_t i;

	if (cfg_object(o, "linux", "resources", &res, err) < 0)
		return -1;
	if (!res)
		return 0;
	/* memory, cpu, pids, blockIO, ...: config_resources.c */
	if (cfg_resources_from_json(res, &lx->resources, err) < 0)
		return -1;
	if (cfg_array(res, "linux.resources", "devices", &arr, err) < 0)
		return -1;
	if (!arr || json_array_size(arr) == 0)
		return 0;
	lx->device_rules = xcalloc(json_array_size(arr), sizeof(*lx->device_rules));
	json_array_foreach (arr, i, v) {
		cfg_path_idx(path, "linux.resources.devices", i);
		if (parse_rule(v, path, &lx->device_rules[i], err) < 0)
			return -1;
		lx->n_device_rules++;
	}
	return 0;
}

/* ---- sysctl ---- */

static const char *const ipc_sysctls[] = {
	"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
	"kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

/* The namespace that makes a sysctl private to the container, or -1 for a
 * host-wide one (writing it would change the host: refused). */
static int sysctl_namespace(const char *key)
{
	char norm[256];
	size_t i;

	snprintf(norm, sizeof(norm), "%s", key);
	for (i = 0; norm[i]; i++)
		if (norm[i] == '/')
			norm[i] = '.';
	if (strncmp(norm, "net.", 4) == 0)
		return OCI_NS_NETWORK;
	if (strncmp(norm, "fs.mqueue.", 10) == 0)
		return OCI_NS_IPC;
	for (i = 0; i < ARRAY_SIZE(ipc_sysctls); i++)
		if (strcmp(norm, ipc_sysctls[i]) == 0)
			return OCI_NS_IPC;
	if (strcmp(norm, "kernel.hostname") == 0 || strcmp(norm, "kernel.domainname") == 0)
		return OCI_NS_UTS;
	return -1;
}

/* A key names a file under /proc/sys: segments separated by '.' or '/',
 * none empty, no "..", nothing but printable non-space characters. */
static bool sysctl_key_valid(const char *key)
{
	size_t seg = 0;

	if (!key[0] || strlen(key) >= 256 || strstr(key, ".."))
		return false;
	for (const char *p = key; *p; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
		if (*p == '.' || *p == '/') {
			if (seg == 0)
				return false;
			seg = 0;
		} else {
			seg++;
		}
	}
	return seg > 0;
}

static int check_sysctl(const char *key, const struct oci_linux *lx, ocifs_error *err)
{
	char q[CFG_QUOTE_MAX];
	int ns;

	if (!sysctl_key_valid(key))
		return ocifs_error_set(err, 0, "linux.sysctl[%s]: not a valid sysctl name",
				       cfg_q(q, key));
	ns = sysctl_namespace(key);
	if (ns < 0)
		return ocifs_error_set(err, 0,
				       "linux.sysctl[%s]: not allowed: not isolated by any namespace",
				       cfg_q(q, key));
	if (!has_ns(lx, (enum oci_ns_type)ns))
		return ocifs_error_set(err, 0,
				       "linux.sysctl[%s]: requires a \"%s\" entry in linux.namespaces",
				       cfg_q(q, key), ocifs_ns_type_name((enum oci_ns_type)ns));
	return 0;
}

static int parse_sysctl(json_t *o, struct oci_linux *lx, ocifs_error *err)
{
	char q[CFG_QUOTE_MAX];
	const char *key;
	json_t *obj, *v;

	if (cfg_object(o, "linux", "sysctl", &obj, err) < 0)
		return -1;
	if (!obj || json_object_size(obj) == 0)
		return 0;
	lx->sysctl = xcalloc(json_object_size(obj), sizeof(struct oci_kv));
	json_object_foreach (obj, key, v) {
		if (!json_is_string(v))
			return ocifs_error_set(err, 0, "linux.sysctl[%s]: must be a string",
					       cfg_q(q, key));
		if (check_sysctl(key, lx, err) < 0)
			return -1;
		struct oci_kv *kv = &lx->sysctl[lx->n_sysctl++];
		kv->key = xstrdup(key);
		kv->value = xstrdup(json_string_value(v));
	}
	return 0;
}

/* ---- paths, propagation, labels ---- */

static int parse_abs_list(json_t *o, const char *key, char ***v, size_t *n, ocifs_error *err)
{
	char base[CFG_PATH_MAX], path[CFG_PATH_MAX];

	if (cfg_strv(o, "linux", key, v, n, err) < 0)
		return -1;
	cfg_path_key(base, "linux", key);
	for (size_t i = 0; i < *n; i++) {
		cfg_path_idx(path, base, i);
		if (cfg_abs_path(path, (*v)[i], err) < 0)
			return -1;
	}
	return 0;
}

/* Applied to the whole tree under the root: always recursive. */
static int parse_propagation(json_t *o, struct oci_linux *lx, ocifs_error *err)
{
	char q[CFG_QUOTE_MAX];
	cleanup_free char *s = NULL;
	long f;

	if (cfg_string(o, "linux", "rootfsPropagation", false, &s, err) < 0)
		return -1;
	if (!s || !s[0])
		return 0;
	f = mount_propagation_flag(s);
	if (f < 0)
		return ocifs_error_set(err, 0,
				       "linux.rootfsPropagation: %s must be one of shared, slave, private, unbindable",
				       cfg_q(q, s));
	lx->rootfs_propagation = (unsigned long)f | MS_REC;
	return 0;
}

static int parse_misc(json_t *o, struct oci_linux *lx, ocifs_error *err)
{
	if (cfg_string(o, "linux", "cgroupsPath", false, &lx->cgroups_path, err) < 0 ||
	    parse_propagation(o, lx, err) < 0 ||
	    parse_abs_list(o, "maskedPaths", &lx->masked_paths, &lx->n_masked_paths, err) < 0 ||
	    parse_abs_list(o, "readonlyPaths", &lx->readonly_paths, &lx->n_readonly_paths,
			   err) < 0 ||
	    cfg_string(o, "linux", "mountLabel", false, &lx->mount_label, err) < 0)
		return -1;
	if (lx->cgroups_path && !lx->cgroups_path[0]) {
		free(lx->cgroups_path);
		lx->cgroups_path = NULL;
	}
	return 0;
}

/* ---- personality, timeOffsets, memoryPolicy (applied by process_extra.c) ---- */

static int parse_personality(json_t *o, struct oci_linux *lx, ocifs_error *err)
{
	char q[CFG_QUOTE_MAX];
	cleanup_free char *dom = NULL;
	char **flags = NULL;
	size_t n_flags = 0;
	json_t *p;
	int r;

	if (cfg_object(o, "linux", "personality", &p, err) < 0)
		return -1;
	if (!p)
		return 0;
	if (cfg_string(p, "linux.personality", "domain", true, &dom, err) < 0)
		return -1;
	if (strcmp(dom, "LINUX") == 0)
		lx->personality = 0x0000; /* PER_LINUX */
	else if (strcmp(dom, "LINUX32") == 0)
		lx->personality = 0x0008; /* PER_LINUX32 */
	else
		return ocifs_error_set(err, 0,
				       "linux.personality.domain: %s must be LINUX or LINUX32",
				       cfg_q(q, dom));
	r = cfg_strv(p, "linux.personality", "flags", &flags, &n_flags, err);
	if (r == 0 && n_flags > 0)
		r = ocifs_error_set(err, 0, "linux.personality.flags[0]: %s is not supported",
				    cfg_q(q, flags[0]));
	cfg_strv_free(flags, n_flags);
	if (r < 0)
		return -1;
	lx->has_personality = true;
	return 0;
}

static int parse_time_offset(json_t *t, const char *key, int64_t *secs, uint32_t *nsecs,
			     ocifs_error *err)
{
	char path[CFG_PATH_MAX];
	int64_t ns = 0;
	json_t *c;

	if (cfg_object(t, "linux.timeOffsets", key, &c, err) < 0)
		return -1;
	if (!c)
		return 0;
	cfg_path_key(path, "linux.timeOffsets", key);
	if (cfg_int(c, path, "secs", false, INT64_MIN, INT64_MAX, NULL, secs, err) < 0 ||
	    cfg_int(c, path, "nanosecs", false, 0, 999999999, NULL, &ns, err) < 0)
		return -1;
	*nsecs = (uint32_t)ns;
	return 0;
}

static int parse_time_offsets(json_t *o, struct oci_linux *lx, ocifs_error *err)
{
	json_t *t;

	if (cfg_object(o, "linux", "timeOffsets", &t, err) < 0)
		return -1;
	if (!t)
		return 0;
	if (parse_time_offset(t, "monotonic", &lx->monotonic_secs, &lx->monotonic_nsecs, err) < 0 ||
	    parse_time_offset(t, "boottime", &lx->boottime_secs, &lx->boottime_nsecs, err) < 0)
		return -1;
	for (size_t i = 0; i < lx->n_namespaces; i++)
		if (lx->namespaces[i].type == OCI_NS_TIME && !lx->namespaces[i].path) {
			lx->has_time_offsets = true;
			return 0;
		}
	return ocifs_error_set(err, 0,
			       "linux.timeOffsets: requires a new \"time\" namespace (without a path) in linux.namespaces");
}

static int parse_mempolicy(json_t *o, struct oci_linux *lx, ocifs_error *err)
{
	char ipath[CFG_PATH_MAX], q[CFG_QUOTE_MAX];
	unsigned long bits[CPU_LIST_BITS / (8 * sizeof(unsigned long))];
	cleanup_free char *mode = NULL;
	char **flags = NULL;
	size_t n_flags = 0;
	json_t *m;
	int r = 0;

	if (cfg_object(o, "linux", "memoryPolicy", &m, err) < 0)
		return -1;
	if (!m)
		return 0;
	if (cfg_string(m, "linux.memoryPolicy", "mode", true, &mode, err) < 0 ||
	    cfg_string(m, "linux.memoryPolicy", "nodes", false, &lx->mempolicy_nodes, err) < 0)
		return -1;
	lx->mempolicy_mode = pextra_mpol_mode(mode);
	if (lx->mempolicy_mode < 0)
		return ocifs_error_set(err, 0, "linux.memoryPolicy.mode: unknown mode %s",
				       cfg_q(q, mode));
	if (lx->mempolicy_nodes && lx->mempolicy_nodes[0] &&
	    pextra_parse_list(lx->mempolicy_nodes, bits, CPU_LIST_BITS) < 0)
		return ocifs_error_set(err, 0,
				       "linux.memoryPolicy.nodes: %s is not a node list like \"0-1,3\"",
				       cfg_q(q, lx->mempolicy_nodes));
	bool has_nodes = lx->mempolicy_nodes && lx->mempolicy_nodes[0];
	bool no_nodes = lx->mempolicy_mode == 0 || lx->mempolicy_mode == 4; /* DEFAULT, LOCAL */
	if (has_nodes && no_nodes)
		return ocifs_error_set(err, 0, "linux.memoryPolicy.nodes: must be empty with %s",
				       mode);
	if (!has_nodes && !no_nodes && lx->mempolicy_mode != 1 /* PREFERRED */)
		return ocifs_error_set(err, 0, "linux.memoryPolicy.nodes: is required with %s", mode);
	r = cfg_strv(m, "linux.memoryPolicy", "flags", &flags, &n_flags, err);
	for (size_t i = 0; i < n_flags && r == 0; i++) {
		int f = pextra_mpol_flag(flags[i]);
		if (f < 0) {
			cfg_path_idx(ipath, "linux.memoryPolicy.flags", i);
			r = ocifs_error_set(err, 0, "%s: unknown flag %s", ipath, cfg_q(q, flags[i]));
		} else {
			lx->mempolicy_mode |= f;
		}
	}
	cfg_strv_free(flags, n_flags);
	if (r < 0)
		return -1;
	lx->has_memory_policy = true;
	return 0;
}

int cfg_linux_from_json(json_t *o, struct oci_linux *lx, ocifs_error *err)
{
	static const char *const not_yet[] = { "intelRdt", "netDevices", NULL };

	if (cfg_refuse(o, "linux", not_yet, err) < 0 ||
	    parse_list(o, "namespaces", sizeof(struct oci_namespace),
		       (void **)&lx->namespaces, &lx->n_namespaces, parse_ns, lx, err) < 0 ||
	    parse_idmaps(o, lx, err) < 0 ||
	    parse_list(o, "devices", sizeof(struct oci_device), (void **)&lx->devices,
		       &lx->n_devices, parse_device, lx, err) < 0 ||
	    parse_resources(o, lx, err) < 0 || parse_sysctl(o, lx, err) < 0 ||
	    parse_misc(o, lx, err) < 0 ||
	    cfg_seccomp_from_json(o, &lx->seccomp, err) < 0 ||
	    parse_personality(o, lx, err) < 0 || parse_time_offsets(o, lx, err) < 0 ||
	    parse_mempolicy(o, lx, err) < 0)
		return -1;
	return 0;
}

void cfg_linux_clear(struct oci_linux *lx)
{
	for (size_t i = 0; i < lx->n_namespaces; i++)
		free(lx->namespaces[i].path);
	free(lx->namespaces);
	free(lx->uid_mappings);
	free(lx->gid_mappings);
	for (size_t i = 0; i < lx->n_devices; i++)
		free(lx->devices[i].path);
	free(lx->devices);
	free(lx->cgroups_path);
	free(lx->device_rules);
	for (size_t i = 0; i < lx->n_sysctl; i++) {
		free(lx->sysctl[i].key);
		free(lx->sysctl[i].value);
	}
	free(lx->sysctl);
	cfg_strv_free(lx->masked_paths, lx->n_masked_paths);
	cfg_strv_free(lx->readonly_paths, lx->n_readonly_paths);
	free(lx->mount_label);
	ocifs_resources_free(lx->resources);
	cfg_seccomp_free(lx->seccomp);
	free(lx->mempolicy_nodes);
	memset(lx, 0, sizeof(*lx));
}
