/* The "process" object of config.json, also the file given to
 * `exec --process`: terminal, consoleSize, cwd, env, args, user, rlimits,
 * capabilities, noNewPrivileges, oomScoreAdj, LSM labels.
 *
 * Errors name paths under the caller's prefix ("process.args: ..." for
 * config.json, "args: ..." for a process file).  `user.username` and
 * `commandLine` are Windows-only and ignored, as are unknown members.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "ocifs/config.h"
#include "process.h"
#include "ocifs/util.h"

#include "process_extra.h"
#include "config_internal.h"

#define ID_MAX 4294967294LL /* uid/gid: uint32, but (uid_t)-1 means "unchanged" */

static int parse_console(json_t *o, const char *base, struct oci_process *p, ocifs_error *err)
{
	char path[CFG_PATH_MAX];
	json_t *cs;
	int64_t h, w;

	if (cfg_object(o, base, "consoleSize", &cs, err) < 0)
		return -1;
	if (!cs)
		return 0;
	cfg_path_key(path, base, "consoleSize");
	if (cfg_int(cs, path, "height", true, 0, 65535, NULL, &h, err) < 0 ||
	    cfg_int(cs, path, "width", true, 0, 65535, NULL, &w, err) < 0)
		return -1;
	p->has_console_size = true;
	p->console_height = (unsigned)h;
	p->console_width = (unsigned)w;
	return 0;
}

static int check_env(const char *base, struct oci_process *p, ocifs_error *err)
{
	char path[CFG_PATH_MAX], ipath[CFG_PATH_MAX], q[CFG_QUOTE_MAX];

	cfg_path_key(path, base, "env");
	for (size_t i = 0; i < p->n_env; i++) {
		const char *eq = strchr(p->env[i], '=');
		if (!eq || eq == p->env[i]) {
			cfg_path_idx(ipath, path, i);
			return ocifs_error_set(err, 0, "%s: %s is not of the form KEY=value",
					       ipath, cfg_q(q, p->env[i]));
		}
	}
	return 0;
}

static int parse_basics(json_t *o, const char *base, struct oci_process *p, ocifs_error *err)
{
	char path[CFG_PATH_MAX];
	json_t *args;

	if (cfg_bool(o, base, "terminal", &p->terminal, err) < 0 ||
	    parse_console(o, base, p, err) < 0 ||
	    cfg_string(o, base, "cwd", true, &p->cwd, err) < 0)
		return -1;
	cfg_path_key(path, base, "cwd");
	if (cfg_abs_path(path, p->cwd, err) < 0)
		return -1;
	if (cfg_strv(o, base, "env", &p->env, &p->n_env, err) < 0 || check_env(base, p, err) < 0)
		return -1;
	cfg_path_key(path, base, "args");
	args = json_object_get(o, "args");
	if (args && !json_is_null(args) && !json_is_array(args))
		return ocifs_error_set(err, 0, "%s: must be a non-empty array", path);
	if (cfg_strv(o, base, "args", &p->args, &p->n_args, err) < 0)
		return -1;
	if (p->n_args == 0)
		return ocifs_error_set(err, 0, "%s: must be a non-empty array", path);
	if (p->args[0][0] == '\0')
		return ocifs_error_set(err, 0, "%s[0]: must not be empty", path);
	return 0;
}

static int parse_gids(json_t *u, const char *base, struct oci_user *user, ocifs_error *err)
{
	char path[CFG_PATH_MAX], ipath[CFG_PATH_MAX];
	json_t *arr, *v;
	size_t i;
	int64_t g;

	if (cfg_array(u, base, "additionalGids", &arr, err) < 0)
		return -1;
	if (!arr || json_array_size(arr) == 0)
		return 0;
	cfg_path_key(path, base, "additionalGids");
	user->additional_gids = xcalloc(json_array_size(arr), sizeof(gid_t));
	json_array_foreach (arr, i, v) {
		cfg_path_idx(ipath, path, i);
		if (cfg_value_int(v, ipath, 0, ID_MAX, &g, err) < 0)
			return -1;
		user->additional_gids[user->n_additional_gids++] = (gid_t)g;
	}
	return 0;
}

/* "user" absent means uid 0, gid 0; when present uid and gid are required. */
static int parse_user(json_t *o, const char *base, struct oci_process *p, ocifs_error *err)
{
	char path[CFG_PATH_MAX];
	int64_t uid, gid, umask;
	json_t *u;

	if (cfg_object(o, base, "user", &u, err) < 0)
		return -1;
	if (!u)
		return 0;
	cfg_path_key(path, base, "user");
	if (cfg_int(u, path, "uid", true, 0, ID_MAX, NULL, &uid, err) < 0 ||
	    cfg_int(u, path, "gid", true, 0, ID_MAX, NULL, &gid, err) < 0 ||
	    cfg_int(u, path, "umask", false, 0, 0777, &p->user.has_umask, &umask, err) < 0)
		return -1;
	p->user.uid = (uid_t)uid;
	p->user.gid = (gid_t)gid;
	if (p->user.has_umask)
		p->user.umask = (mode_t)umask;
	return parse_gids(u, path, &p->user, err);
}

static int parse_rlimit(json_t *v, const char *path, struct oci_process *p, ocifs_error *err)
{
	char tpath[CFG_PATH_MAX], q[CFG_QUOTE_MAX];
	struct oci_rlimit *rl = &p->rlimits[p->n_rlimits];

	if (!json_is_object(v))
		return ocifs_error_set(err, 0, "%s: must be an object", path);
	if (cfg_string(v, path, "type", true, &rl->type, err) < 0)
		return -1;
	p->n_rlimits++; /* owns rl->type from here on */
	cfg_path_key(tpath, path, "type");
	rl->resource = rlimit_from_name(rl->type);
	if (rl->resource < 0)
		return ocifs_error_set(err, 0, "%s: unknown rlimit %s", tpath, cfg_q(q, rl->type));
	for (size_t i = 0; i + 1 < p->n_rlimits; i++)
		if (p->rlimits[i].resource == rl->resource)
			return ocifs_error_set(err, 0, "%s: duplicate rlimit %s", tpath,
					       cfg_q(q, rl->type));
	if (cfg_u64(v, path, "soft", &rl->soft, err) < 0 ||
	    cfg_u64(v, path, "hard", &rl->hard, err) < 0)
		return -1;
	if (rl->soft > rl->hard)
		return ocifs_error_set(err, 0, "%s.soft: %llu is greater than the hard limit %llu",
				       path, (unsigned long long)rl->soft,
				       (unsigned long long)rl->hard);
	return 0;
}

static int parse_rlimits(json_t *o, const char *base, struct oci_process *p, ocifs_error *err)
{
	char path[CFG_PATH_MAX], ipath[CFG_PATH_MAX];
	json_t *arr, *v;
	size_t i;

	if (cfg_array(o, base, "rlimits", &arr, err) < 0)
		return -1;
	if (!arr || json_array_size(arr) == 0)
		return 0;
	cfg_path_key(path, base, "rlimits");
	p->rlimits = xcalloc(json_array_size(arr), sizeof(*p->rlimits));
	json_array_foreach (arr, i, v) {
		cfg_path_idx(ipath, path, i);
		if (parse_rlimit(v, ipath, p, err) < 0)
			return -1;
	}
	return 0;
}

static const struct {
	const char *name;
	size_t offset;
} cap_sets[] = {
	{ "bounding", offsetof(struct oci_caps, bounding) },
	{ "effective", offsetof(struct oci_caps, effective) },
	{ "inheritable", offsetof(struct oci_caps, inheritable) },
	{ "permitted", offsetof(struct oci_caps, permitted) },
	{ "ambient", offsetof(struct oci_caps, ambient) },
};

/* Capabilities libcap knows but this kernel does not are dropped (as runc
 * does), so a config written for a newer kernel still runs. */
static int parse_cap_set(json_t *arr, const char *path, uint64_t *mask, ocifs_error *err)
{
	char ipath[CFG_PATH_MAX], q[CFG_QUOTE_MAX];
	int last = caps_last_cap();
	json_t *v;
	size_t i;

	json_array_foreach (arr, i, v) {
		cfg_path_idx(ipath, path, i);
		if (!json_is_string(v))
			return ocifs_error_set(err, 0, "%s: must be a string", ipath);
		int cap = caps_from_name(json_string_value(v));
		if (cap < 0)
			return ocifs_error_set(err, 0, "%s: unknown capability %s", ipath,
					       cfg_q(q, json_string_value(v)));
		if (cap <= last)
			*mask |= UINT64_C(1) << cap;
	}
	return 0;
}

static int parse_caps(json_t *o, const char *base, struct oci_process *p, ocifs_error *err)
{
	char path[CFG_PATH_MAX], spath[CFG_PATH_MAX];
	json_t *caps, *arr;

	if (cfg_object(o, base, "capabilities", &caps, err) < 0)
		return -1;
	if (!caps)
		return 0;
	p->has_caps = true;
	cfg_path_key(path, base, "capabilities");
	for (size_t i = 0; i < ARRAY_SIZE(cap_sets); i++) {
		if (cfg_array(caps, path, cap_sets[i].name, &arr, err) < 0)
			return -1;
		if (!arr)
			continue;
		cfg_path_key(spath, path, cap_sets[i].name);
		uint64_t *mask = (uint64_t *)((char *)&p->caps + cap_sets[i].offset);
		if (parse_cap_set(arr, spath, mask, err) < 0)
			return -1;
	}
	return 0;
}

/* noNewPrivileges, oomScoreAdj, LSM labels and the fields not done yet. */
static int parse_security(json_t *o, const char *base, struct oci_process *p, ocifs_error *err)
{
	static const char *const not_yet[] = { "memoryPolicy", NULL };
	char path[CFG_PATH_MAX];
	int64_t adj;

	if (cfg_bool(o, base, "noNewPrivileges", &p->no_new_privileges, err) < 0 ||
	    cfg_int(o, base, "oomScoreAdj", false, -1000, 1000, &p->has_oom_score_adj, &adj,
		    err) < 0)
		return -1;
	if (p->has_oom_score_adj)
		p->oom_score_adj = (int)adj;
	if (cfg_string(o, base, "apparmorProfile", false, &p->apparmor_profile, err) < 0 ||
	    cfg_string(o, base, "selinuxLabel", false, &p->selinux_label, err) < 0)
		return -1;
	if (p->apparmor_profile && p->apparmor_profile[0]) {
		cfg_path_key(path, base, "apparmorProfile");
		return ocifs_error_set(err, 0, "%s: not supported: the host has no AppArmor", path);
	}
	if (p->selinux_label && p->selinux_label[0]) {
		cfg_path_key(path, base, "selinuxLabel");
		return ocifs_error_set(err, 0, "%s: not supported: the host has no SELinux", path);
	}
	return cfg_refuse(o, base, not_yet, err);
}

/* scheduler, ioPriority, execCPUAffinity (applied by process_extra.c) */
static int parse_sched_flags(json_t *s, const char *path, uint64_t *flags, ocifs_error *err)
{
	char fpath[CFG_PATH_MAX], ipath[CFG_PATH_MAX], q[CFG_QUOTE_MAX];
	char **v = NULL;
	size_t n = 0;
	int r = 0;

	if (cfg_strv(s, path, "flags", &v, &n, err) < 0) {
		cfg_strv_free(v, n);
		return -1;
	}
	cfg_path_key(fpath, path, "flags");
	for (size_t i = 0; i < n && r == 0; i++) {
		int64_t f = pextra_sched_flag(v[i]);
		cfg_path_idx(ipath, fpath, i);
		if (f < 0)
			r = ocifs_error_set(err, 0, "%s: unknown flag %s", ipath, cfg_q(q, v[i]));
		else
			*flags |= (uint64_t)f;
	}
	cfg_strv_free(v, n);
	return r;
}

static int parse_scheduler(json_t *o, const char *base, struct oci_process *p,
			   ocifs_error *err)
{
	char path[CFG_PATH_MAX], ppath[CFG_PATH_MAX], q[CFG_QUOTE_MAX];
	cleanup_free char *pol = NULL;
	struct oci_scheduler *sc = &p->scheduler;
	int64_t nice = 0, prio = 0, rt = 0, dl = 0, per = 0;
	json_t *s;

	if (cfg_object(o, base, "scheduler", &s, err) < 0)
		return -1;
	if (!s)
		return 0;
	cfg_path_key(path, base, "scheduler");
	if (cfg_string(s, path, "policy", true, &pol, err) < 0)
		return -1;
	sc->policy = pextra_sched_policy(pol);
	if (sc->policy < 0) {
		cfg_path_key(ppath, path, "policy");
		return ocifs_error_set(err, 0, "%s: unknown policy %s", ppath, cfg_q(q, pol));
	}
	if (cfg_int(s, path, "nice", false, -20, 19, NULL, &nice, err) < 0 ||
	    cfg_int(s, path, "priority", false, 0, 99, NULL, &prio, err) < 0 ||
	    parse_sched_flags(s, path, &sc->flags, err) < 0 ||
	    cfg_int(s, path, "runtime", false, 0, INT64_MAX, NULL, &rt, err) < 0 ||
	    cfg_int(s, path, "deadline", false, 0, INT64_MAX, NULL, &dl, err) < 0 ||
	    cfg_int(s, path, "period", false, 0, INT64_MAX, NULL, &per, err) < 0)
		return -1;
	sc->runtime = (uint64_t)rt;
	sc->deadline = (uint64_t)dl;
	sc->period = (uint64_t)per;
	sc->nice = (int)nice;
	sc->priority = (int)prio;
	p->has_scheduler = true;
	return 0;
}

static int parse_ioprio(json_t *o, const char *base, struct oci_process *p, ocifs_error *err)
{
	char path[CFG_PATH_MAX], cpath[CFG_PATH_MAX], q[CFG_QUOTE_MAX];
	cleanup_free char *cls = NULL;
	int64_t prio = 0;
	json_t *io;

	if (cfg_object(o, base, "ioPriority", &io, err) < 0)
		return -1;
	if (!io)
		return 0;
	cfg_path_key(path, base, "ioPriority");
	if (cfg_string(io, path, "class", true, &cls, err) < 0 ||
	    cfg_int(io, path, "priority", false, 0, 7, NULL, &prio, err) < 0)
		return -1;
	p->io_priority_class = pextra_ioprio_class(cls);
	if (p->io_priority_class < 0) {
		cfg_path_key(cpath, path, "class");
		return ocifs_error_set(err, 0, "%s: unknown class %s", cpath, cfg_q(q, cls));
	}
	p->io_priority = (int)prio;
	p->has_io_priority = true;
	return 0;
}

static int parse_cpu_list(json_t *a, const char *path, const char *key, char **out,
			  ocifs_error *err)
{
	char kpath[CFG_PATH_MAX], q[CFG_QUOTE_MAX];
	unsigned long bits[CPU_LIST_BITS / (8 * sizeof(unsigned long))];

	if (cfg_string(a, path, key, false, out, err) < 0)
		return -1;
	if (*out && !(*out)[0]) {
		free(*out);
		*out = NULL;
	}
	cfg_path_key(kpath, path, key);
	if (*out && pextra_parse_list(*out, bits, CPU_LIST_BITS) < 0)
		return ocifs_error_set(err, 0, "%s: %s is not a CPU list like \"0-2,7\"", kpath,
				       cfg_q(q, *out));
	return 0;
}

static int parse_sched_extra(json_t *o, const char *base, struct oci_process *p,
			     ocifs_error *err)
{
	char path[CFG_PATH_MAX];
	json_t *a;

	if (parse_scheduler(o, base, p, err) < 0 || parse_ioprio(o, base, p, err) < 0 ||
	    cfg_object(o, base, "execCPUAffinity", &a, err) < 0)
		return -1;
	if (!a)
		return 0;
	cfg_path_key(path, base, "execCPUAffinity");
	if (parse_cpu_list(a, path, "initial", &p->cpu_affinity_initial, err) < 0 ||
	    parse_cpu_list(a, path, "final", &p->cpu_affinity_final, err) < 0)
		return -1;
	return 0;
}

typedef int (*process_step)(json_t *o, const char *base, struct oci_process *p,
			    ocifs_error *err);

static const process_step process_steps[] = {
	parse_basics, parse_user, parse_rlimits, parse_caps, parse_security, parse_sched_extra,
};

int cfg_process_from_json(json_t *o, const char *prefix, struct oci_process **out,
			  ocifs_error *err)
{
	struct oci_process *p;

	*out = NULL;
	if (!json_is_object(o))
		return ocifs_error_set(err, 0, "%s: must be an object",
				       prefix[0] ? prefix : "process");
	p = xcalloc(1, sizeof(*p));
	for (size_t i = 0; i < ARRAY_SIZE(process_steps); i++) {
		if (process_steps[i](o, prefix, p, err) < 0) {
			ocifs_process_free(p);
			return -1;
		}
	}
	/* empty labels mean "none" */
	free(p->apparmor_profile);
	free(p->selinux_label);
	p->apparmor_profile = p->selinux_label = NULL;
	*out = p;
	return 0;
}

int ocifs_process_parse(const char *json, size_t len, const char *prefix,
			struct oci_process **out, ocifs_error *err)
{
	json_t *root;
	int r;

	*out = NULL;
	ocifs_error_clear(err);
	if (!prefix)
		prefix = "";
	root = cfg_json_load(json, len, prefix[0] ? prefix : "process", err);
	if (!root)
		return -1;
	r = cfg_process_from_json(root, prefix, out, err);
	json_decref(root);
	if (r < 0)
		cfg_error_sanitize(err);
	return r;
}

void ocifs_process_free(struct oci_process *p)
{
	if (!p)
		return;
	free(p->cwd);
	cfg_strv_free(p->env, p->n_env);
	cfg_strv_free(p->args, p->n_args);
	free(p->user.additional_gids);
	for (size_t i = 0; i < p->n_rlimits; i++)
		free(p->rlimits[i].type);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
	free(p->cpu_affinity_initial);
	free(p->cpu_affinity_final);
	free(p);
}
