/* Typed form of an OCI runtime-spec v1.3.0 config.json (Linux).
 *
 * ocifs_config_parse() turns the JSON text into a struct oci_config and
 * validates it; every error names the offending JSON path, for example
 * "process.args: must be a non-empty array".  Unknown fields are ignored;
 * valid fields that this build does not implement yet are refused with
 * "<path>: not supported yet".  Everything is owned by the struct and released
 * by ocifs_config_free().
 *
 * Conventions: an absent optional string is NULL; an absent array has n == 0
 * and a NULL pointer; has_* flags tell absent from zero for numbers.
 */
#ifndef OCIFS_CONFIG_H
#define OCIFS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ocifs/error.h"

struct oci_kv {
	char *key;
	char *value;
};

struct oci_rlimit {
	int resource;  /* RLIMIT_* from <sys/resource.h> */
	char *type;    /* the spec name, "RLIMIT_NOFILE" */
	uint64_t soft;
	uint64_t hard;
};

/* Capability sets as bit masks: bit N set = capability number N (libcap). */
struct oci_caps {
	uint64_t bounding;
	uint64_t effective;
	uint64_t inheritable;
	uint64_t permitted;
	uint64_t ambient;
};

struct oci_user {
	uid_t uid;
	gid_t gid;
	bool has_umask;
	mode_t umask;
	gid_t *additional_gids;
	size_t n_additional_gids;
};

struct oci_process {
	bool terminal;
	bool has_console_size;
	unsigned console_height;
	unsigned console_width;
	char *cwd;               /* required, absolute */
	char **env;              /* "KEY=value" strings */
	size_t n_env;
	char **args;             /* required, non-empty */
	size_t n_args;
	struct oci_user user;
	struct oci_rlimit *rlimits;
	size_t n_rlimits;
	bool has_caps;           /* "capabilities" present */
	struct oci_caps caps;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
	char *apparmor_profile;  /* refused by validation when set */
	char *selinux_label;     /* refused by validation when set */
};

enum oci_hook_kind {
	OCI_HOOK_PRESTART,
	OCI_HOOK_CREATE_RUNTIME,
	OCI_HOOK_CREATE_CONTAINER,
	OCI_HOOK_START_CONTAINER,
	OCI_HOOK_POSTSTART,
	OCI_HOOK_POSTSTOP,
	OCI_HOOK__COUNT
};

struct oci_hook {
	char *path;       /* absolute */
	char **args;      /* may be NULL: then argv = { path } */
	size_t n_args;
	char **env;
	size_t n_env;
	bool has_timeout;
	int timeout;      /* seconds, > 0 */
};

struct oci_hook_list {
	struct oci_hook *v;
	size_t n;
};

/* A mount entry with its fstab options already decoded. */
struct oci_mount {
	char *destination;          /* absolute path inside the container */
	char *type;                 /* may be NULL (bind mounts) */
	char *source;               /* may be NULL */
	char **options;             /* raw options, as written */
	size_t n_options;
	unsigned long flags;        /* MS_* flags to set (MS_RDONLY, MS_NOSUID, MS_BIND, MS_REC ...) */
	unsigned long clear_flags;  /* MS_* flags explicitly cleared ("rw", "suid" ...), for bind remounts */
	unsigned long propagation;  /* MS_SHARED|MS_PRIVATE|MS_SLAVE|MS_UNBINDABLE (| MS_REC), 0 = none */
	bool bind;                  /* "bind" or "rbind" given (or type "bind") */
	bool recursive_bind;        /* "rbind" */
	char *data;                 /* remaining fs-specific options joined by ',' or NULL */
};

enum oci_ns_type {
	OCI_NS_PID,
	OCI_NS_NETWORK,
	OCI_NS_MOUNT,
	OCI_NS_IPC,
	OCI_NS_UTS,
	OCI_NS_USER,
	OCI_NS_CGROUP,
	OCI_NS_TIME,
	OCI_NS__COUNT
};

struct oci_namespace {
	enum oci_ns_type type;
	char *path;               /* NULL = create a new one */
};

struct oci_idmap {
	uint32_t container_id;
	uint32_t host_id;
	uint32_t size;
};

struct oci_device {
	char type;                /* 'c', 'b', 'u' (= 'c'), 'p' */
	char *path;               /* absolute, in the container */
	int64_t major;
	int64_t minor;
	bool has_file_mode;
	mode_t file_mode;         /* permission bits only */
	bool has_uid;
	uid_t uid;
	bool has_gid;
	gid_t gid;
};

/* One linux.resources.devices entry.  major/minor -1 = wildcard. */
struct oci_device_rule {
	bool allow;
	char type;                /* 'a', 'c', 'b' */
	int64_t major;
	int64_t minor;
	char access[4];           /* subset of "rwm", NUL-terminated; "" = "rwm" */
};

struct oci_linux {
	struct oci_namespace *namespaces;
	size_t n_namespaces;
	struct oci_idmap *uid_mappings;
	size_t n_uid_mappings;
	struct oci_idmap *gid_mappings;
	size_t n_gid_mappings;
	struct oci_device *devices;
	size_t n_devices;
	char *cgroups_path;                    /* NULL = default */
	struct oci_device_rule *device_rules;  /* linux.resources.devices */
	size_t n_device_rules;
	struct oci_kv *sysctl;
	size_t n_sysctl;
	unsigned long rootfs_propagation;      /* MS_* | MS_REC, 0 = default (rslave) */
	char **masked_paths;
	size_t n_masked_paths;
	char **readonly_paths;
	size_t n_readonly_paths;
	char *mount_label;
};

struct oci_config {
	char *oci_version;        /* SemVer 2.0.0 */
	char *root_path;          /* root.path as written (relative to the bundle or absolute) */
	bool root_readonly;
	struct oci_process *process;  /* NULL when "process" is absent */
	char *hostname;
	char *domainname;
	struct oci_mount *mounts;
	size_t n_mounts;
	struct oci_hook_list hooks[OCI_HOOK__COUNT];
	struct oci_kv *annotations;
	size_t n_annotations;
	bool has_linux;
	struct oci_linux lx;       /* "linux" (a macro name under gnu11) */
};

/* Parses and validates config.json text (need not be NUL-terminated). */
int ocifs_config_parse(const char *json, size_t len, struct oci_config **out,
		       ocifs_error *err);

/* Reads and parses a file. */
int ocifs_config_load(const char *path, struct oci_config **out, ocifs_error *err);

void ocifs_config_free(struct oci_config *cfg);

/* Parses a process JSON object (the "process" member of config.json, or the
 * file given to `exec --process`).  Errors name paths under `prefix`
 * ("process" for config.json, "" for a process file). */
int ocifs_process_parse(const char *json, size_t len, const char *prefix,
			struct oci_process **out, ocifs_error *err);
void ocifs_process_free(struct oci_process *p);

/* Looks up a namespace entry; NULL when the config does not list it. */
const struct oci_namespace *ocifs_config_namespace(const struct oci_config *cfg,
						  enum oci_ns_type type);

/* Spec names: "pid", "network", ... and hook names: "prestart", ... */
const char *ocifs_ns_type_name(enum oci_ns_type type);
const char *ocifs_hook_kind_name(enum oci_hook_kind kind);

#endif
