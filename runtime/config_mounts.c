/* config.json "mounts": the entries and their fstab/mount(8) options.
 *
 * mount_options_decode() is pure: it turns m->options (and m->type "bind")
 * into MS_* flags to set and to clear, a propagation change, the bind
 * kind, and the filesystem-specific rest as comma-joined `data`.  Later
 * options win over earlier ones ("ro,rw" is rw), as with mount(8).
 *
 * ID-mapped mounts: "idmap" (the mount itself) and "ridmap" (every mount of
 * an rbind tree) set m->idmap / m->recursive_idmap; uidMappings/gidMappings
 * on the entry imply "idmap".  Both lists or neither (then the container's
 * user namespace's mapping is used), only on bind mounts, and only with a
 * user namespace (cfg_mounts_check_idmap, as runc).  See idmap.c.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include <jansson.h>

#include "ocifs/config.h"
#include "rootfs.h"
#include "ocifs/util.h"

#include "config_internal.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

enum opt_kind {
	OPT_SET,         /* set `flag` (and stop clearing it) */
	OPT_CLEAR,       /* clear `flag` (and stop setting it) */
	OPT_BIND,        /* bind, rbind (flag holds MS_REC for rbind) */
	OPT_PROPAGATION, /* shared, rslave ...: see mount_propagation_flag() */
	OPT_NOOP,        /* defaults */
	OPT_IDMAP,       /* idmap, ridmap (flag holds MS_REC for ridmap) */
	OPT_NOT_YET,     /* valid in the spec, not implemented yet */
};

struct mount_opt {
	const char *name;
	enum opt_kind kind;
	unsigned long flag;
};

static const struct mount_opt mount_opts[] = {
	{ "ro", OPT_SET, MS_RDONLY },          { "rw", OPT_CLEAR, MS_RDONLY },
	{ "nosuid", OPT_SET, MS_NOSUID },      { "suid", OPT_CLEAR, MS_NOSUID },
	{ "nodev", OPT_SET, MS_NODEV },        { "dev", OPT_CLEAR, MS_NODEV },
	{ "noexec", OPT_SET, MS_NOEXEC },      { "exec", OPT_CLEAR, MS_NOEXEC },
	{ "sync", OPT_SET, MS_SYNCHRONOUS },   { "async", OPT_CLEAR, MS_SYNCHRONOUS },
	{ "dirsync", OPT_SET, MS_DIRSYNC },    { "remount", OPT_SET, MS_REMOUNT },
	{ "mand", OPT_SET, MS_MANDLOCK },      { "nomand", OPT_CLEAR, MS_MANDLOCK },
	{ "noatime", OPT_SET, MS_NOATIME },    { "atime", OPT_CLEAR, MS_NOATIME },
	{ "nodiratime", OPT_SET, MS_NODIRATIME }, { "diratime", OPT_CLEAR, MS_NODIRATIME },
	{ "relatime", OPT_SET, MS_RELATIME },  { "norelatime", OPT_CLEAR, MS_RELATIME },
	{ "strictatime", OPT_SET, MS_STRICTATIME }, { "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
	{ "lazytime", OPT_SET, MS_LAZYTIME },  { "nolazytime", OPT_CLEAR, MS_LAZYTIME },
	{ "silent", OPT_SET, MS_SILENT },      { "loud", OPT_CLEAR, MS_SILENT },
	{ "iversion", OPT_SET, MS_I_VERSION }, { "noiversion", OPT_CLEAR, MS_I_VERSION },
	{ "nosymfollow", OPT_SET, MS_NOSYMFOLLOW }, { "symfollow", OPT_CLEAR, MS_NOSYMFOLLOW },
	{ "bind", OPT_BIND, 0 },               { "rbind", OPT_BIND, MS_REC },
	{ "shared", OPT_PROPAGATION, 0 },      { "rshared", OPT_PROPAGATION, 0 },
	{ "slave", OPT_PROPAGATION, 0 },       { "rslave", OPT_PROPAGATION, 0 },
	{ "private", OPT_PROPAGATION, 0 },     { "rprivate", OPT_PROPAGATION, 0 },
	{ "unbindable", OPT_PROPAGATION, 0 },  { "runbindable", OPT_PROPAGATION, 0 },
	{ "defaults", OPT_NOOP, 0 },
	{ "idmap", OPT_IDMAP, 0 },             { "ridmap", OPT_IDMAP, MS_REC },
	/* recursive (mount_setattr) variants, tmpcopyup */
	{ "rro", OPT_NOT_YET, 0 },             { "rrw", OPT_NOT_YET, 0 },
	{ "rnosuid", OPT_NOT_YET, 0 },         { "rsuid", OPT_NOT_YET, 0 },
	{ "rnodev", OPT_NOT_YET, 0 },          { "rdev", OPT_NOT_YET, 0 },
	{ "rnoexec", OPT_NOT_YET, 0 },         { "rexec", OPT_NOT_YET, 0 },
	{ "rnoatime", OPT_NOT_YET, 0 },        { "ratime", OPT_NOT_YET, 0 },
	{ "rnodiratime", OPT_NOT_YET, 0 },     { "rdiratime", OPT_NOT_YET, 0 },
	{ "rrelatime", OPT_NOT_YET, 0 },       { "rnorelatime", OPT_NOT_YET, 0 },
	{ "rstrictatime", OPT_NOT_YET, 0 },    { "rnostrictatime", OPT_NOT_YET, 0 },
	{ "rnosymfollow", OPT_NOT_YET, 0 },    { "rsymfollow", OPT_NOT_YET, 0 },
	{ "tmpcopyup", OPT_NOT_YET, 0 },
};

static const struct {
	const char *name;
	unsigned long flags;
} propagations[] = {
	{ "shared", MS_SHARED },         { "rshared", MS_SHARED | MS_REC },
	{ "slave", MS_SLAVE },           { "rslave", MS_SLAVE | MS_REC },
	{ "private", MS_PRIVATE },       { "rprivate", MS_PRIVATE | MS_REC },
	{ "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

long mount_propagation_flag(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(propagations); i++)
		if (strcmp(propagations[i].name, name) == 0)
			return (long)propagations[i].flags;
	return -1;
}

static const struct mount_opt *find_opt(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(mount_opts); i++)
		if (strcmp(mount_opts[i].name, name) == 0)
			return &mount_opts[i];
	return NULL;
}

static void data_append(char **data, size_t *len, const char *opt)
{
	size_t n = strlen(opt);

	*data = xrealloc(*data, *len + n + 2);
	if (*len)
		(*data)[(*len)++] = ',';
	memcpy(*data + *len, opt, n + 1);
	*len += n;
}

static void apply_opt(struct oci_mount *m, const struct mount_opt *o, const char *name)
{
	switch (o->kind) {
	case OPT_SET:
		m->flags |= o->flag;
		m->clear_flags &= ~o->flag;
		break;
	case OPT_CLEAR:
		m->clear_flags |= o->flag;
		m->flags &= ~o->flag;
		break;
	case OPT_BIND:
		m->bind = true;
		m->flags |= MS_BIND | o->flag;
		if (o->flag & MS_REC)
			m->recursive_bind = true;
		break;
	case OPT_PROPAGATION:
		m->propagation = (unsigned long)mount_propagation_flag(name);
		break;
	case OPT_IDMAP:
		m->idmap = true;
		m->recursive_idmap = (o->flag & MS_REC) != 0;
		break;
	case OPT_NOOP:
	case OPT_NOT_YET:
		break;
	}
}

int mount_options_decode(struct oci_mount *m, ocifs_error *err)
{
	char q[CFG_QUOTE_MAX];
	size_t len = 0;

	m->flags = m->clear_flags = m->propagation = 0;
	m->bind = m->recursive_bind = false;
	/* mount-level mappings mean an ID-mapped mount even without "idmap" */
	m->idmap = m->n_uid_mappings || m->n_gid_mappings;
	m->recursive_idmap = false;
	free(m->data);
	m->data = NULL;
	if (m->type && strcmp(m->type, "bind") == 0) {
		m->bind = true;
		m->flags |= MS_BIND;
	}
	for (size_t i = 0; i < m->n_options; i++) {
		const char *name = m->options[i];
		const struct mount_opt *o;

		if (!name || !name[0])
			continue;
		o = find_opt(name);
		if (!o) {
			data_append(&m->data, &len, name);
			continue;
		}
		if (o->kind == OPT_NOT_YET) {
			free(m->data);
			m->data = NULL;
			return ocifs_error_set(err, 0, "options[%zu]: %s is not supported yet", i,
					       cfg_q(q, name));
		}
		apply_opt(m, o, name);
	}
	return 0;
}

/* "options[2]: ..." from the decoder becomes "mounts[3].options[2]: ...". */
static int prefix_path(ocifs_error *err, const char *path)
{
	char msg[OCIFS_ERROR_MSG_MAX];
	size_t n = strnlen(path, sizeof(msg) / 2);

	memcpy(msg, path, n);
	msg[n++] = '.';
	memcpy(msg + n, err->msg, sizeof(msg) - n);
	msg[sizeof(msg) - 1] = '\0';
	memcpy(err->msg, msg, sizeof(msg));
	return -1;
}



static int parse_idmap_list(json_t *v, const char *path, const char *key,
			    struct oci_idmap **out, size_t *n, ocifs_error *err)
{
	char base[CFG_PATH_MAX], epath[CFG_PATH_MAX];
	json_t *arr, *e;
	size_t i;

	if (cfg_array(v, path, key, &arr, err) < 0)
		return -1;
	if (!arr || json_array_size(arr) == 0)
		return 0;
	cfg_path_key(base, path, key);
	/* the kernel takes at most 340 lines in uid_map/gid_map */
	if (json_array_size(arr) > 340)
		return ocifs_error_set(err, 0, "%s: at most 340 entries", base);
	*out = xcalloc(json_array_size(arr), sizeof(**out));
	json_array_foreach (arr, i, e) {
		cfg_path_idx(epath, base, i);
		(*n)++;
		if (cfg_idmap(e, epath, &(*out)[i], err) < 0)
			return -1;
	}
	return 0;
}

/* What an ID-mapped mount needs that one entry can tell. */
static int check_idmapped(const struct oci_mount *m, const char *path, ocifs_error *err)
{
	if (!m->idmap)
		return 0;
	if (!m->bind)
		return ocifs_error_set(err, 0, "%s: an ID-mapped mount (idmap, ridmap, "
				       "uidMappings/gidMappings) must be a bind mount", path);
	if (!m->source || !m->source[0])
		return ocifs_error_set(err, 0, "%s.source: required for an ID-mapped mount", path);
	if (!m->n_uid_mappings != !m->n_gid_mappings)
		return ocifs_error_set(err, 0, "%s.%s: required with %s (an ID-mapped mount "
				       "maps both)", path,
				       m->n_uid_mappings ? "gidMappings" : "uidMappings",
				       m->n_uid_mappings ? "uidMappings" : "gidMappings");
	return 0;
}

static int parse_mount(json_t *v, const char *path, struct oci_mount *m, ocifs_error *err)
{
	char dpath[CFG_PATH_MAX];

	if (!json_is_object(v))
		return ocifs_error_set(err, 0, "%s: must be an object", path);
	if (cfg_string(v, path, "destination", true, &m->destination, err) < 0)
		return -1;
	cfg_path_key(dpath, path, "destination");
	if (cfg_abs_path(dpath, m->destination, err) < 0 ||
	    cfg_string(v, path, "type", false, &m->type, err) < 0 ||
	    cfg_string(v, path, "source", false, &m->source, err) < 0 ||
	    cfg_strv(v, path, "options", &m->options, &m->n_options, err) < 0 ||
	    parse_idmap_list(v, path, "uidMappings", &m->uid_mappings, &m->n_uid_mappings,
			     err) < 0 ||
	    parse_idmap_list(v, path, "gidMappings", &m->gid_mappings, &m->n_gid_mappings,
			     err) < 0)
		return -1;
	if (mount_options_decode(m, err) < 0)
		return prefix_path(err, path);
	return check_idmapped(m, path, err);
}

int cfg_mounts_from_json(json_t *arr, struct oci_config *cfg, ocifs_error *err)
{
	char path[CFG_PATH_MAX];
	json_t *v;
	size_t i;

	if (json_array_size(arr) == 0)
		return 0;
	cfg->mounts = xcalloc(json_array_size(arr), sizeof(*cfg->mounts));
	cfg->n_mounts = json_array_size(arr);
	json_array_foreach (arr, i, v) {
		cfg_path_idx(path, "mounts", i);
		if (parse_mount(v, path, &cfg->mounts[i], err) < 0)
			return -1;
	}
	return 0;
}

int cfg_mounts_check_idmap(const struct oci_config *cfg, ocifs_error *err)
{
	bool userns = ocifs_config_namespace(cfg, OCI_NS_USER) != NULL;

	/* runc refuses these too: without a user namespace there is no
	 * container mapping to default to, and mapping host IDs for a
	 * container that runs with the host's IDs is rarely what was meant */
	for (size_t i = 0; i < cfg->n_mounts; i++)
		if (cfg->mounts[i].idmap && !userns)
			return ocifs_error_set(err, 0, "mounts[%zu]: an ID-mapped mount requires a "
					       "\"user\" entry in linux.namespaces", i);
	return 0;
}
