/* linux.seccomp: the system call filter of the container process.
 *
 * Building.  libseccomp turns the parsed struct into a filter (default
 * action, the listed architectures besides the native one, one rule per
 * resolvable syscall name; arguments with the same index are OR-ed as
 * separate rules, different indexes AND-ed in one rule; a rule whose action
 * equals the default is left out, as libseccomp refuses it).  The filter is
 * exported as BPF (seccomp_export_bpf) while the process may still do
 * anything, and later loaded with a single seccomp(2) call.  Loading it
 * ourselves instead of with libseccomp's seccomp_load() means (1) that nothing of
 * libseccomp runs after the filter is active, and (2) that every flag the
 * kernel knows can be passed, including SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
 * which libseccomp 2.5.4 has no attribute for.  TSYNC is dropped when the
 * filter notifies (the kernel refuses TSYNC with NEW_LISTENER; the process
 * is single-threaded, so it changes nothing); WAIT_KILLABLE_RECV is dropped
 * when it does not (the kernel takes it only with a listener).
 *
 * When.  The filter must filter the container, not the runtime: it is
 * loaded by process_exec_last() after process_prepare() (rlimits, ids,
 * capabilities, noNewPrivileges, cwd), after the start handshake, after the
 * fds are marked close-on-exec and the signals reset: the only system calls
 * of the runtime that it sees are the ones listed below, then execve.
 *
 * noNewPrivileges false.  The kernel loads a filter only for a task with
 * no_new_privs or CAP_SYS_ADMIN.  runc and crun load the filter before the
 * user and capability change in that case, so the filter also sees setgroups,
 * setresuid, capset, prctl ... of the runtime.  We do not: the process is
 * prepared with CAP_SYS_ADMIN kept in its effective and permitted sets
 * (never inheritable or ambient), the filter is loaded, then one capset(2)
 * removes CAP_SYS_ADMIN again.  So the runtime's system calls under the
 * filter are, in order: seccomp, sendmsg (only with a listener), capset
 * (only when CAP_SYS_ADMIN was kept), execve.  A profile must allow those
 * (every usable profile allows execve; Docker's allows capset and sendmsg).
 *
 * SCMP_ACT_NOTIFY.  The listener socket (listenerPath) is connected before
 * the process enters the container's root (the init at create, before
 * pivot_root; `exec` in the runtime before it forks), the message is built
 * before the filter is loaded, and right after loading one sendmsg carries
 * the notify fd (SCM_RIGHTS) and the runtime-spec "seccomp state":
 * {"ociVersion", "fds": ["seccompFd"], "pid", "metadata", "state"}.  For the
 * init "state" is what `start` sent; for an exec'd process it is the
 * container's state with status "running", and "pid" is the init's pid (the
 * exec'd process does not know its host pid; agents read the pid of each
 * notification from the notification itself).  Both fds are close-on-exec.
 */
#include <sys/prctl.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include "ocifs/engine.h"
#include "seccomp_filter.h"
#include "ocifs/util.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

struct seccomp_prog {
	struct sock_fprog prog;
	unsigned long flags;      /* SECCOMP_FILTER_FLAG_* to load with */
	bool notify;
	char *listener_path;
	char *metadata;
	int listener_fd;
	char *message;            /* the seccomp state, built before loading */
	bool drop_admin;          /* CAP_SYS_ADMIN kept for loading only */
	cap_t final_caps;         /* the sets after dropping it */
};

/* ---- names ------------------------------------------------------------ */

static const char *const action_names[OCI_SCMP_ACT__COUNT] = {
	[OCI_SCMP_ACT_KILL] = "SCMP_ACT_KILL",
	[OCI_SCMP_ACT_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
	[OCI_SCMP_ACT_KILL_THREAD] = "SCMP_ACT_KILL_THREAD",
	[OCI_SCMP_ACT_TRAP] = "SCMP_ACT_TRAP",
	[OCI_SCMP_ACT_ERRNO] = "SCMP_ACT_ERRNO",
	[OCI_SCMP_ACT_TRACE] = "SCMP_ACT_TRACE",
	[OCI_SCMP_ACT_ALLOW] = "SCMP_ACT_ALLOW",
	[OCI_SCMP_ACT_LOG] = "SCMP_ACT_LOG",
	[OCI_SCMP_ACT_NOTIFY] = "SCMP_ACT_NOTIFY",
};

static const struct {
	const char *name;
	enum scmp_compare op;
} ops[OCI_SCMP_CMP__COUNT] = {
	[OCI_SCMP_CMP_NE] = { "SCMP_CMP_NE", SCMP_CMP_NE },
	[OCI_SCMP_CMP_LT] = { "SCMP_CMP_LT", SCMP_CMP_LT },
	[OCI_SCMP_CMP_LE] = { "SCMP_CMP_LE", SCMP_CMP_LE },
	[OCI_SCMP_CMP_EQ] = { "SCMP_CMP_EQ", SCMP_CMP_EQ },
	[OCI_SCMP_CMP_GE] = { "SCMP_CMP_GE", SCMP_CMP_GE },
	[OCI_SCMP_CMP_GT] = { "SCMP_CMP_GT", SCMP_CMP_GT },
	[OCI_SCMP_CMP_MASKED_EQ] = { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

static const struct {
	const char *name;
	unsigned long flag;
} flags[] = {
	{ "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
	{ "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
	{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
	{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

/* config-linux.md's list; libseccomp's name is the lower-case suffix. */
static const char *const arch_names[] = {
	"SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM",
	"SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
	"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
	"SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
	"SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64",
	"SCMP_ARCH_M68K", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB",
};

int scf_action_from_name(const char *name)
{
	for (int i = 0; i < OCI_SCMP_ACT__COUNT; i++)
		if (strcmp(action_names[i], name) == 0)
			return i;
	return -1;
}

const char *scf_action_name(int action)
{
	return action >= 0 && action < OCI_SCMP_ACT__COUNT ? action_names[action] : NULL;
}

int scf_op_from_name(const char *name)
{
	for (int i = 0; i < OCI_SCMP_CMP__COUNT; i++)
		if (strcmp(ops[i].name, name) == 0)
			return i;
	return -1;
}

const char *scf_op_name(int op)
{
	return op >= 0 && op < OCI_SCMP_CMP__COUNT ? ops[op].name : NULL;
}

long scf_flag_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		if (strcmp(flags[i].name, name) == 0)
			return (long)flags[i].flag;
	return -1;
}

const char *scf_flag_name(int i)
{
	return i >= 0 && (size_t)i < ARRAY_SIZE(flags) ? flags[i].name : NULL;
}

uint32_t scf_arch_from_name(const char *name)
{
	char lower[32];
	size_t i;

	if (strncmp(name, "SCMP_ARCH_", 10) != 0 || strlen(name + 10) >= sizeof(lower))
		return 0;
	for (i = 0; name[10 + i]; i++)
		lower[i] = (char)tolower((unsigned char)name[10 + i]);
	lower[i] = '\0';
	if (strcmp(lower, "native") == 0)
		return 0;
	return seccomp_arch_resolve_name(lower);
}

const char *scf_arch_name(int i)
{
	return i >= 0 && (size_t)i < ARRAY_SIZE(arch_names) ? arch_names[i] : NULL;
}

/* seccomp(2) checks the flags before the filter pointer: EFAULT = known.
 * WAIT_KILLABLE_RECV is only accepted together with NEW_LISTENER. */
bool scf_flag_supported(unsigned long flag)
{
	if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
		flag |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL) < 0 && errno == EFAULT;
}

/* ---- building ---------------------------------------------------------- */

static uint32_t action_value(enum oci_seccomp_action a, bool has_ret, uint32_t ret)
{
	uint32_t e = has_ret ? ret : EPERM;

	switch (a) {
	case OCI_SCMP_ACT_KILL: return SCMP_ACT_KILL;
	case OCI_SCMP_ACT_KILL_PROCESS: return SCMP_ACT_KILL_PROCESS;
	case OCI_SCMP_ACT_KILL_THREAD: return SCMP_ACT_KILL_THREAD;
	case OCI_SCMP_ACT_TRAP: return SCMP_ACT_TRAP;
	case OCI_SCMP_ACT_ERRNO: return SCMP_ACT_ERRNO(e);
	case OCI_SCMP_ACT_TRACE: return SCMP_ACT_TRACE(e);
	case OCI_SCMP_ACT_LOG: return SCMP_ACT_LOG;
	case OCI_SCMP_ACT_NOTIFY: return SCMP_ACT_NOTIFY;
	case OCI_SCMP_ACT_ALLOW:
	default: return SCMP_ACT_ALLOW;
	}
}

static bool repeated_index(const struct oci_seccomp_syscall *s)
{
	for (size_t i = 0; i < s->n_args; i++)
		for (size_t j = i + 1; j < s->n_args; j++)
			if (s->args[i].index == s->args[j].index)
				return true;
	return false;
}

static int add_rule(scmp_filter_ctx ctx, const struct oci_seccomp_syscall *s, size_t idx,
		    uint32_t act, const char *name, int nr, ocifs_error *err)
{
	struct scmp_arg_cmp cmp[6];
	int rc = 0;

	if (s->n_args > 6 && !repeated_index(s))
		return ocifs_error_set(err, 0, "linux.seccomp.syscalls[%zu].args: more than 6",
				       idx);
	for (size_t i = 0; i < s->n_args && i < 6; i++)
		cmp[i] = (struct scmp_arg_cmp){ .arg = s->args[i].index,
						.op = ops[s->args[i].op].op,
						.datum_a = s->args[i].value,
						.datum_b = s->args[i].value_two };
	if (s->n_args == 0) {
		rc = seccomp_rule_add_array(ctx, act, nr, 0, NULL);
	} else if (!repeated_index(s)) {
		rc = seccomp_rule_add_array(ctx, act, nr, (unsigned)s->n_args, cmp);
	} else {
		for (size_t i = 0; i < s->n_args && rc == 0; i++) {
			struct scmp_arg_cmp one = { .arg = s->args[i].index,
						    .op = ops[s->args[i].op].op,
						    .datum_a = s->args[i].value,
						    .datum_b = s->args[i].value_two };
			rc = seccomp_rule_add_array(ctx, act, nr, 1, &one);
		}
	}
	if (rc < 0)
		return ocifs_error_set(err, -rc, "linux.seccomp.syscalls[%zu]: add a rule for %s",
				       idx, name);
	return 0;
}

static int add_rules(scmp_filter_ctx ctx, const struct oci_seccomp *sc, uint32_t def,
		     ocifs_error *err)
{
	for (size_t i = 0; i < sc->n_syscalls; i++) {
		const struct oci_seccomp_syscall *s = &sc->syscalls[i];
		uint32_t act = action_value(s->action, s->has_errno_ret, s->errno_ret);

		if (act == def)
			continue;
		for (size_t j = 0; j < s->n_names; j++) {
			int nr = seccomp_syscall_resolve_name(s->names[j]);
			if (nr == __NR_SCMP_ERROR)
				continue; /* unknown here: skipped, as runc and crun do */
			if (add_rule(ctx, s, i, act, s->names[j], nr, err) < 0)
				return -1;
		}
	}
	return 0;
}

static int add_archs(scmp_filter_ctx ctx, const struct oci_seccomp *sc, ocifs_error *err)
{
	for (size_t i = 0; i < sc->n_architectures; i++) {
		int rc = seccomp_arch_add(ctx, sc->architectures[i]);
		if (rc < 0 && rc != -EEXIST)
			return ocifs_error_set(err, -rc, "linux.seccomp.architectures[%zu]", i);
	}
	return 0;
}

/* The filter as BPF, through a memfd (libseccomp 2.5 exports to an fd). */
static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *prog, ocifs_error *err)
{
	cleanup_close int fd = memfd_create("ocifs-seccomp", MFD_CLOEXEC);
	cleanup_free char *buf = NULL;
	off_t size;
	int rc;

	if (fd < 0)
		return ocifs_error_set(err, errno, "seccomp: memfd_create");
	rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0)
		return ocifs_error_set(err, -rc, "seccomp: export the filter");
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0 ||
	    size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
		return ocifs_error_set(err, E2BIG, "seccomp: the filter has %lld bytes",
				       (long long)size);
	buf = xmalloc((size_t)size);
	if (pread(fd, buf, (size_t)size, 0) != size)
		return ocifs_error_set(err, errno ? errno : EIO, "seccomp: read the filter");
	prog->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
	prog->filter = steal_ptr(&buf);
	return 0;
}

/* The BPF of sc: from the cache when it has it, else compiled (and then
 * stored). */
static int compile(const struct oci_seccomp *sc, const char *cache_dir, struct sock_fprog *prog,
		   ocifs_error *err)
{
	cleanup_free char *key = NULL;
	uint32_t def;
	scmp_filter_ctx ctx;
	int ret = -1;

	if (cache_dir && sc->canonical) {
		key = scf_cache_key(sc->canonical);
		if (scf_cache_load(cache_dir, key, prog) == 0)
			return 0;
	}
	def = action_value(sc->default_action, sc->has_default_errno_ret, sc->default_errno_ret);
	ctx = seccomp_init(def);
	if (!ctx)
		return ocifs_error_set(err, 0, "linux.seccomp.defaultAction: seccomp_init failed");
	if (add_archs(ctx, sc, err) < 0 || add_rules(ctx, sc, def, err) < 0 ||
	    export_bpf(ctx, prog, err) < 0)
		goto out;
	if (key)
		scf_cache_store(cache_dir, key, prog);
	ret = 0;
out:
	seccomp_release(ctx);
	return ret;
}

int scf_build(const struct oci_seccomp *sc, const char *cache_dir, struct seccomp_prog **out,
	      ocifs_error *err)
{
	struct seccomp_prog *sp;

	*out = NULL;
	if (!sc)
		return 0;
	sp = xcalloc(1, sizeof(*sp));
	sp->listener_fd = -1;
	sp->notify = sc->uses_notify;
	sp->flags = sc->flags;
	if (sp->notify)
		sp->flags = (sp->flags & ~SECCOMP_FILTER_FLAG_TSYNC) | SECCOMP_FILTER_FLAG_NEW_LISTENER;
	else /* the kernel takes it only with a listener; nothing to wait on */
		sp->flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	if (sc->listener_path)
		sp->listener_path = xstrdup(sc->listener_path);
	if (sc->listener_metadata)
		sp->metadata = xstrdup(sc->listener_metadata);
	if (compile(sc, cache_dir, &sp->prog, err) < 0) {
		scf_free(sp);
		return -1;
	}
	*out = sp;
	return 0;
}

void scf_free(struct seccomp_prog *sp)
{
	if (!sp)
		return;
	free(sp->prog.filter);
	free(sp->listener_path);
	free(sp->metadata);
	free(sp->message);
	if (sp->listener_fd >= 0)
		close(sp->listener_fd);
	if (sp->final_caps)
		cap_free(sp->final_caps);
	free(sp);
}

/* ---- the listener -------------------------------------------------------- */

int scf_connect_listener(struct seccomp_prog *sp, ocifs_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	cleanup_close int fd = -1;

	if (!sp || !sp->notify || !sp->listener_path || sp->listener_fd >= 0)
		return 0;
	if (strlen(sp->listener_path) >= sizeof(sa.sun_path))
		return ocifs_error_set(err, ENAMETOOLONG, "linux.seccomp.listenerPath: %s",
				       sp->listener_path);
	strcpy(sa.sun_path, sp->listener_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ocifs_error_set(err, errno, "linux.seccomp.listenerPath: socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return ocifs_error_set(err, errno, "linux.seccomp.listenerPath: connect %s",
				       sp->listener_path);
	sp->listener_fd = steal_fd(&fd);
	return 0;
}

void scf_set_state(struct seccomp_prog *sp, const char *state_json, int pid)
{
	json_t *state, *msg;

	if (!sp || !sp->notify)
		return;
	state = state_json ? json_loads(state_json, 0, NULL) : NULL;
	if (!state)
		state = json_object();
	if (pid <= 0)
		pid = (int)json_integer_value(json_object_get(state, "pid"));
	msg = json_pack("{s:s,s:[s],s:i,s:s,s:o}", "ociVersion", OCIFS_OCI_VERSION, "fds",
			"seccompFd", "pid", pid, "metadata", sp->metadata ? sp->metadata : "",
			"state", state);
	free(sp->message);
	sp->message = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	json_decref(msg);
}

static int send_notify_fd(struct seccomp_prog *sp, int nfd, ocifs_error *err)
{
	const char *body = sp->message ? sp->message : "{}";
	ssize_t n = send_with_fd(sp->listener_fd, nfd, body, strlen(body));

	if (n < 0)
		return ocifs_error_set(err, errno, "seccomp: send the notify fd to %s",
				       sp->listener_path);
	if ((size_t)n != strlen(body))
		return ocifs_error_set(err, EIO, "seccomp: send the notify fd: short write");
	return 0;
}

/* ---- loading ------------------------------------------------------------- */

#define ADMIN_BIT (1ULL << CAP_SYS_ADMIN)

static uint64_t current_bounding(void)
{
	uint64_t b = 0;

	for (int cap = 0; cap < 64; cap++) {
		int r = prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0);
		if (r < 0)
			break;
		if (r == 1)
			b |= 1ULL << cap;
	}
	return b;
}

const struct oci_process *scf_prepare_process(struct seccomp_prog *sp,
						  const struct oci_process *p,
						  struct oci_process *tmp)
{
	if (!sp || p->no_new_privileges)
		return p;
	if (p->has_caps ? (p->caps.effective & ADMIN_BIT) != 0 : p->user.uid == 0)
		return p;
	*tmp = *p;
	if (!p->has_caps) {
		/* what set_caps(0, 0, 0) would leave, plus CAP_SYS_ADMIN */
		tmp->has_caps = true;
		memset(&tmp->caps, 0, sizeof(tmp->caps));
		tmp->caps.bounding = current_bounding();
	}
	tmp->caps.effective |= ADMIN_BIT;
	tmp->caps.permitted |= ADMIN_BIT;
	sp->drop_admin = true;
	return tmp;
}

/* The capability sets after the load: the current ones without
 * CAP_SYS_ADMIN in effective and permitted (read before loading, so that
 * only capset(2) runs under the filter). */
static int plan_drop(struct seccomp_prog *sp, ocifs_error *err)
{
	cap_value_t admin = CAP_SYS_ADMIN;

	if (!sp->drop_admin)
		return 0;
	sp->final_caps = cap_get_proc();
	if (!sp->final_caps)
		return ocifs_error_set(err, errno, "seccomp: capget");
	if (cap_set_flag(sp->final_caps, CAP_EFFECTIVE, 1, &admin, CAP_CLEAR) < 0 ||
	    cap_set_flag(sp->final_caps, CAP_PERMITTED, 1, &admin, CAP_CLEAR) < 0)
		return ocifs_error_set(err, errno, "seccomp: cap_set_flag");
	return 0;
}

int scf_load(void *arg, ocifs_error *err)
{
	struct seccomp_prog *sp = arg;
	long fd;

	if (!sp)
		return 0;
	if (sp->notify && sp->listener_fd < 0)
		return ocifs_error_set(err, 0, "linux.seccomp.listenerPath: not connected");
	if (plan_drop(sp, err) < 0)
		return -1;
	fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, sp->flags, &sp->prog);
	if (fd < 0) {
		int e = errno;
		if (e == EACCES)
			return ocifs_error_set(err, e,
					       "seccomp: load the filter (needs noNewPrivileges or CAP_SYS_ADMIN)");
		if (e == EINVAL && sp->flags)
			return ocifs_error_set(err, e,
					       "seccomp: load the filter (does this kernel know linux.seccomp.flags?)");
		return ocifs_error_set(err, e, "seccomp: load the filter");
	}
	/* the notify fd is close-on-exec: it leaves with the message only */
	if (sp->notify && send_notify_fd(sp, (int)fd, err) < 0)
		return -1;
	if (sp->drop_admin && cap_set_proc(sp->final_caps) < 0)
		return ocifs_error_set(err, errno,
				       "seccomp: drop CAP_SYS_ADMIN after loading the filter: capset (the profile must allow capset when noNewPrivileges is false)");
	return 0;
}
