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

/* process.scheduler: sched_setattr(2) arguments. */
struct oci_scheduler {
	int policy;              /* SCHED_* number */
	int nice;
	int priority;
	uint64_t flags;          /* SCHED_FLAG_* bits */
	uint64_t runtime, deadline, period;
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
	/* scheduler, ioPriority, execCPUAffinity (applied by process_extra.c) */
	bool has_scheduler;
	struct oci_scheduler scheduler;
	bool has_io_priority;
	int io_priority_class;   /* IOPRIO_CLASS_RT=1, BE=2, IDLE=3 */
	int io_priority;         /* 0..7 */
	char *cpu_affinity_initial;  /* "0-1,3"; NULL = absent */
	char *cpu_affinity_final;
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
	/* ID-mapped bind mount: "idmap" / "ridmap", or mount-level mappings
	 * (which imply "idmap").  No mappings = the container's user
	 * namespace's; otherwise both lists are given. */
	bool idmap;
	bool recursive_idmap;       /* "ridmap": every mount of the tree */
	struct oci_idmap *uid_mappings;
	size_t n_uid_mappings;
	struct oci_idmap *gid_mappings;
	size_t n_gid_mappings;
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

/* linux.resources other than devices (config-linux.md "Control groups"),
 * parsed by runtime/config_resources.c.  Numbers are kept as int64_t; has_*
 * tells absent from zero.  -1 means "unlimited" where the spec allows it. */
struct oci_memory_res {
	bool has_limit, has_reservation, has_swap, has_kernel, has_kernel_tcp;
	int64_t limit, reservation, swap, kernel, kernel_tcp;
	bool has_swappiness;
	int64_t swappiness;                    /* 0..100 */
	bool has_disable_oom_killer, disable_oom_killer;
	bool has_use_hierarchy, use_hierarchy;
	bool has_check_before_update, check_before_update;
};

struct oci_cpu_res {
	bool has_shares, has_quota, has_burst, has_period;
	int64_t shares, quota, burst, period;
	bool has_realtime_runtime, has_realtime_period;
	int64_t realtime_runtime, realtime_period;
	char *cpus;                            /* NULL = absent */
	char *mems;
	bool has_idle;
	int64_t idle;
};

struct oci_weight_device {
	int64_t major, minor;
	bool has_weight, has_leaf_weight;
	int64_t weight, leaf_weight;
};

struct oci_throttle_device {
	int64_t major, minor;
	int64_t rate;
};

enum oci_throttle_kind {
	OCI_THROTTLE_READ_BPS,
	OCI_THROTTLE_WRITE_BPS,
	OCI_THROTTLE_READ_IOPS,
	OCI_THROTTLE_WRITE_IOPS,
	OCI_THROTTLE__COUNT
};

struct oci_blkio_res {
	bool has_weight, has_leaf_weight;
	int64_t weight, leaf_weight;           /* 10..1000 */
	struct oci_weight_device *weight_devices;
	size_t n_weight_devices;
	struct oci_throttle_device *throttle[OCI_THROTTLE__COUNT];
	size_t n_throttle[OCI_THROTTLE__COUNT];
};

struct oci_hugepage_limit {
	char *page_size;                       /* "2MB", "1GB" */
	int64_t limit;
};

struct oci_rdma_limit {
	char *device;
	bool has_hca_handles, has_hca_objects;
	int64_t hca_handles, hca_objects;
};

struct oci_resources {
	bool has_memory;
	struct oci_memory_res memory;
	bool has_cpu;
	struct oci_cpu_res cpu;
	bool has_pids;
	int64_t pids_limit;                    /* < 0 = max; 0 = leave as is */
	bool has_blkio;
	struct oci_blkio_res blkio;
	struct oci_hugepage_limit *hugepages;
	size_t n_hugepages;
	bool has_class_id;
	int64_t class_id;                      /* network.classID */
	struct oci_kv *net_priorities;         /* network.priorities: name, priority */
	size_t n_net_priorities;
	struct oci_rdma_limit *rdma;
	size_t n_rdma;
	struct oci_kv *unified;                /* raw cgroup v2 file, value */
	size_t n_unified;
};

/* linux.seccomp (config-linux.md "Seccomp"), parsed by runtime/config_seccomp.c
 * and turned into a filter by runtime/seccomp.c.  Syscall names are kept as
 * written: a name this libseccomp/kernel does not know is skipped when the
 * filter is built (kernels differ), not refused. */
enum oci_seccomp_action {
	OCI_SCMP_ACT_KILL,            /* = KILL_THREAD */
	OCI_SCMP_ACT_KILL_PROCESS,
	OCI_SCMP_ACT_KILL_THREAD,
	OCI_SCMP_ACT_TRAP,
	OCI_SCMP_ACT_ERRNO,
	OCI_SCMP_ACT_TRACE,
	OCI_SCMP_ACT_ALLOW,
	OCI_SCMP_ACT_LOG,
	OCI_SCMP_ACT_NOTIFY,
	OCI_SCMP_ACT__COUNT
};

enum oci_seccomp_op {
	OCI_SCMP_CMP_NE,
	OCI_SCMP_CMP_LT,
	OCI_SCMP_CMP_LE,
	OCI_SCMP_CMP_EQ,
	OCI_SCMP_CMP_GE,
	OCI_SCMP_CMP_GT,
	OCI_SCMP_CMP_MASKED_EQ,
	OCI_SCMP_CMP__COUNT
};

struct oci_seccomp_arg {
	unsigned index;               /* 0..5 */
	uint64_t value;
	uint64_t value_two;           /* 0 when absent */
	enum oci_seccomp_op op;
};

struct oci_seccomp_syscall {
	char **names;                 /* non-empty */
	size_t n_names;
	enum oci_seccomp_action action;
	bool has_errno_ret;           /* only with ERRNO or TRACE */
	uint32_t errno_ret;
	struct oci_seccomp_arg *args;
	size_t n_args;
};

struct oci_seccomp {
	enum oci_seccomp_action default_action;
	bool has_default_errno_ret;   /* only with ERRNO or TRACE */
	uint32_t default_errno_ret;
	uint32_t *architectures;      /* SCMP_ARCH_* tokens (libseccomp) */
	size_t n_architectures;
	unsigned long flags;          /* SECCOMP_FILTER_FLAG_* bits */
	char *listener_path;          /* NULL = none */
	char *listener_metadata;      /* NULL = none */
	struct oci_seccomp_syscall *syscalls;
	size_t n_syscalls;
	bool uses_notify;             /* some rule's action is NOTIFY */
	char *canonical;              /* the linux.seccomp object as compact JSON
	                                 with sorted keys: the BPF cache's key */
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
	struct oci_resources *resources;       /* linux.resources but devices; NULL = none */
	struct oci_seccomp *seccomp;           /* linux.seccomp; NULL = none */
	/* personality, timeOffsets, memoryPolicy (applied by process_extra.c) */
	bool has_personality;
	unsigned long personality;             /* PER_LINUX or PER_LINUX32 */
	bool has_time_offsets;                 /* needs a new time namespace */
	int64_t monotonic_secs, boottime_secs;
	uint32_t monotonic_nsecs, boottime_nsecs;
	bool has_memory_policy;
	int mempolicy_mode;                    /* MPOL_* | MPOL_F_* flags */
	char *mempolicy_nodes;                 /* "0-1,3"; NULL = none */
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

/* Parses a linux.resources JSON object (as given to `update -r`); errors
 * name paths under "linux.resources".  "devices" is ignored here. */
int ocifs_resources_parse(const char *json, size_t len, struct oci_resources **out,
			  ocifs_error *err);
void ocifs_resources_free(struct oci_resources *r);

/* Looks up a namespace entry; NULL when the config does not list it. */
const struct oci_namespace *ocifs_config_namespace(const struct oci_config *cfg,
						  enum oci_ns_type type);

/* Spec names: "pid", "network", ... and hook names: "prestart", ... */
const char *ocifs_ns_type_name(enum oci_ns_type type);
const char *ocifs_hook_kind_name(enum oci_hook_kind kind);

#endif
