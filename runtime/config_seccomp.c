/* The "linux.seccomp" object of config.json (config-linux.md "Seccomp").
 *
 * Actions, operators, architectures and flags are checked against the names
 * the spec and libseccomp know; every error names its JSON path.  A syscall
 * name that libseccomp cannot resolve is kept and skipped when the filter is
 * built (kernels and libseccomp versions differ; runc and crun do the same).
 * SCMP_ACT_NOTIFY needs listenerPath and is refused as the default action
 * (the runtime's own last system calls would wait on a listener that has
 * not got the notify fd yet).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "ocifs/config.h"
#include "seccomp_filter.h"
#include "ocifs/util.h"

#include "config_internal.h"

#define ERRNO_RET_MAX 65535 /* SECCOMP_RET_DATA */

static int parse_action(json_t *o, const char *base, const char *key, bool required,
			bool *has, enum oci_seccomp_action *out, ocifs_error *err)
{
	char path[CFG_PATH_MAX], q[CFG_QUOTE_MAX];
	cleanup_free char *s = NULL;
	int a;

	*has = false;
	if (cfg_string(o, base, key, required, &s, err) < 0)
		return -1;
	if (!s)
		return 0;
	a = scf_action_from_name(s);
	if (a < 0) {
		cfg_path_key(path, base, key);
		return ocifs_error_set(err, 0, "%s: unknown action %s", path, cfg_q(q, s));
	}
	*out = (enum oci_seccomp_action)a;
	*has = true;
	return 0;
}

/* errnoRet only makes sense with SCMP_ACT_ERRNO and SCMP_ACT_TRACE. */
static int parse_errno_ret(json_t *o, const char *base, const char *key,
			   enum oci_seccomp_action action, bool *has, uint32_t *out,
			   ocifs_error *err)
{
	char path[CFG_PATH_MAX];
	int64_t x;

	if (cfg_int(o, base, key, false, 0, ERRNO_RET_MAX, has, &x, err) < 0)
		return -1;
	if (!*has)
		return 0;
	if (action != OCI_SCMP_ACT_ERRNO && action != OCI_SCMP_ACT_TRACE) {
		cfg_path_key(path, base, key);
		return ocifs_error_set(err, 0, "%s: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not %s",
				       path, scf_action_name(action));
	}
	*out = (uint32_t)x;
	return 0;
}

static int parse_arg(json_t *v, const char *path, struct oci_seccomp_arg *a, ocifs_error *err)
{
	char opath[CFG_PATH_MAX], q[CFG_QUOTE_MAX];
	cleanup_free char *op = NULL;
	int64_t idx;
	json_t *two;
	int o;

	if (!json_is_object(v))
		return ocifs_error_set(err, 0, "%s: must be an object", path);
	if (cfg_int(v, path, "index", true, 0, 5, NULL, &idx, err) < 0 ||
	    cfg_u64(v, path, "value", &a->value, err) < 0)
		return -1;
	a->index = (unsigned)idx;
	two = json_object_get(v, "valueTwo");
	if (two && !json_is_null(two) && cfg_u64(v, path, "valueTwo", &a->value_two, err) < 0)
		return -1;
	if (cfg_string(v, path, "op", true, &op, err) < 0)
		return -1;
	o = scf_op_from_name(op);
	if (o < 0) {
		cfg_path_key(opath, path, "op");
		return ocifs_error_set(err, 0, "%s: unknown operator %s", opath, cfg_q(q, op));
	}
	a->op = (enum oci_seccomp_op)o;
	return 0;
}

static int parse_args(json_t *v, const char *path, struct oci_seccomp_syscall *s,
		      ocifs_error *err)
{
	char base[CFG_PATH_MAX], apath[CFG_PATH_MAX];
	json_t *arr, *a;
	size_t i;

	if (cfg_array(v, path, "args", &arr, err) < 0)
		return -1;
	if (!arr || json_array_size(arr) == 0)
		return 0;
	cfg_path_key(base, path, "args");
	s->args = xcalloc(json_array_size(arr), sizeof(*s->args));
	json_array_foreach (arr, i, a) {
		cfg_path_idx(apath, base, i);
		if (parse_arg(a, apath, &s->args[i], err) < 0)
			return -1;
		s->n_args++;
	}
	return 0;
}

static int parse_syscall(json_t *v, const char *path, struct oci_seccomp_syscall *s,
			 ocifs_error *err)
{
	char npath[CFG_PATH_MAX];
	bool has;

	if (!json_is_object(v))
		return ocifs_error_set(err, 0, "%s: must be an object", path);
	if (cfg_strv(v, path, "names", &s->names, &s->n_names, err) < 0)
		return -1;
	cfg_path_key(npath, path, "names");
	if (s->n_names == 0)
		return ocifs_error_set(err, 0, "%s: must be a non-empty array", npath);
	for (size_t i = 0; i < s->n_names; i++)
		if (!s->names[i][0]) {
			char ipath[CFG_PATH_MAX];
			cfg_path_idx(ipath, npath, i);
			return ocifs_error_set(err, 0, "%s: must not be empty", ipath);
		}
	if (parse_action(v, path, "action", true, &has, &s->action, err) < 0 ||
	    parse_errno_ret(v, path, "errnoRet", s->action, &s->has_errno_ret, &s->errno_ret,
			    err) < 0)
		return -1;
	return parse_args(v, path, s, err);
}

static int parse_syscalls(json_t *o, struct oci_seccomp *sc, ocifs_error *err)
{
	char path[CFG_PATH_MAX];
	json_t *arr, *v;
	size_t i;

	if (cfg_array(o, "linux.seccomp", "syscalls", &arr, err) < 0)
		return -1;
	if (!arr || json_array_size(arr) == 0)
		return 0;
	sc->syscalls = xcalloc(json_array_size(arr), sizeof(*sc->syscalls));
	json_array_foreach (arr, i, v) {
		cfg_path_idx(path, "linux.seccomp.syscalls", i);
		sc->n_syscalls++;
		if (parse_syscall(v, path, &sc->syscalls[i], err) < 0)
			return -1;
		if (sc->syscalls[i].action == OCI_SCMP_ACT_NOTIFY)
			sc->uses_notify = true;
	}
	return 0;
}

static int parse_archs(json_t *o, struct oci_seccomp *sc, ocifs_error *err)
{
	char path[CFG_PATH_MAX], q[CFG_QUOTE_MAX];
	char **names = NULL;
	size_t n = 0;
	int ret = 0;

	if (cfg_strv(o, "linux.seccomp", "architectures", &names, &n, err) < 0) {
		cfg_strv_free(names, n);
		return -1;
	}
	sc->architectures = n ? xcalloc(n, sizeof(uint32_t)) : NULL;
	for (size_t i = 0; i < n; i++) {
		uint32_t tok = scf_arch_from_name(names[i]);
		if (tok == 0) {
			cfg_path_idx(path, "linux.seccomp.architectures", i);
			ret = ocifs_error_set(err, 0, "%s: unknown architecture %s", path,
					      cfg_q(q, names[i]));
			break;
		}
		sc->architectures[sc->n_architectures++] = tok;
	}
	cfg_strv_free(names, n);
	return ret;
}

static int parse_flags(json_t *o, struct oci_seccomp *sc, ocifs_error *err)
{
	char path[CFG_PATH_MAX], q[CFG_QUOTE_MAX];
	char **names = NULL;
	size_t n = 0;
	int ret = 0;

	if (cfg_strv(o, "linux.seccomp", "flags", &names, &n, err) < 0) {
		cfg_strv_free(names, n);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		long f = scf_flag_from_name(names[i]);
		if (f < 0) {
			cfg_path_idx(path, "linux.seccomp.flags", i);
			ret = ocifs_error_set(err, 0, "%s: unknown flag %s", path, cfg_q(q, names[i]));
			break;
		}
		sc->flags |= (unsigned long)f;
	}
	cfg_strv_free(names, n);
	return ret;
}

static int check_notify(struct oci_seccomp *sc, ocifs_error *err)
{
	if (sc->default_action == OCI_SCMP_ACT_NOTIFY)
		return ocifs_error_set(err, 0,
				       "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
	for (size_t i = 0; i < sc->n_syscalls; i++) {
		const struct oci_seccomp_syscall *s = &sc->syscalls[i];
		if (s->action != OCI_SCMP_ACT_NOTIFY)
			continue;
		for (size_t j = 0; j < s->n_names; j++)
			if (strcmp(s->names[j], "sendmsg") == 0)
				return ocifs_error_set(err, 0,
						       "linux.seccomp.syscalls[%zu].names[%zu]: SCMP_ACT_NOTIFY cannot be used for sendmsg (the runtime sends the notify fd with it)",
						       i, j);
	}
	if (sc->uses_notify && !sc->listener_path)
		return ocifs_error_set(err, 0,
				       "linux.seccomp.listenerPath: is required with SCMP_ACT_NOTIFY");
	return 0;
}

static int parse_seccomp(json_t *o, struct oci_seccomp *sc, ocifs_error *err)
{
	bool has;

	if (parse_action(o, "linux.seccomp", "defaultAction", true, &has, &sc->default_action,
			 err) < 0 ||
	    parse_errno_ret(o, "linux.seccomp", "defaultErrnoRet", sc->default_action,
			    &sc->has_default_errno_ret, &sc->default_errno_ret, err) < 0 ||
	    parse_archs(o, sc, err) < 0 || parse_flags(o, sc, err) < 0 ||
	    cfg_string(o, "linux.seccomp", "listenerPath", false, &sc->listener_path, err) < 0 ||
	    cfg_string(o, "linux.seccomp", "listenerMetadata", false, &sc->listener_metadata,
		       err) < 0 ||
	    parse_syscalls(o, sc, err) < 0)
		return -1;
	if (sc->listener_path && !sc->listener_path[0]) {
		free(sc->listener_path);
		sc->listener_path = NULL;
	}
	if (sc->listener_path &&
	    cfg_abs_path("linux.seccomp.listenerPath", sc->listener_path, err) < 0)
		return -1;
	return check_notify(sc, err);
}

int cfg_seccomp_from_json(json_t *lx_obj, struct oci_seccomp **out, ocifs_error *err)
{
	json_t *o;

	*out = NULL;
	if (cfg_object(lx_obj, "linux", "seccomp", &o, err) < 0)
		return -1;
	if (!o)
		return 0;
	*out = xcalloc(1, sizeof(**out));
	if (parse_seccomp(o, *out, err) < 0)
		return -1;
	(*out)->canonical = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	return 0;
}

void cfg_seccomp_free(struct oci_seccomp *sc)
{
	if (!sc)
		return;
	for (size_t i = 0; i < sc->n_syscalls; i++) {
		cfg_strv_free(sc->syscalls[i].names, sc->syscalls[i].n_names);
		free(sc->syscalls[i].args);
	}
	free(sc->syscalls);
	free(sc->architectures);
	free(sc->listener_path);
	free(sc->listener_metadata);
	free(sc->canonical);
	free(sc);
}
