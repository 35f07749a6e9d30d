/* config.md "process": the user process's environment, applied inside the
 * container after pivot_root (see process.h).  Capabilities and ids live in
 * caps.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/close_range.h>

#include "process.h"
#include "process_extra.h"
#include "ocifs/util.h"

/* caps.c */

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ---- finding the executable ---------------------------------------- */

static const char *env_path(const struct oci_process *p)
{
	for (size_t i = 0; i < p->n_env; i++)
		if (p->env[i] && strncmp(p->env[i], "PATH=", 5) == 0)
			return p->env[i] + 5;
	return DEFAULT_PATH;
}

/* dir/name, where a relative dir (or "" = ".") is taken from p->cwd, so the
 * answer does not depend on the caller's working directory. */
static char *join_path(const struct oci_process *p, const char *dir, size_t dlen,
		       const char *name)
{
	const char *cwd = p->cwd ? p->cwd : "/";

	if (dlen == 0)
		return xasprintf("%s/%s", cwd, name);
	if (dir[0] == '/')
		return xasprintf("%.*s/%s", (int)dlen, dir, name);
	return xasprintf("%s/%.*s/%s", cwd, (int)dlen, dir, name);
}

/* 0 when st is an executable regular file, else the errno to report. */
static int exec_mode_error(const struct stat *st)
{
	if (!S_ISREG(st->st_mode) || !(st->st_mode & 0111))
		return EACCES;
	return 0;
}

static int find_with_slash(const struct oci_process *p, const char *name,
			   char **path, ocifs_error *err)
{
	cleanup_free char *full = name[0] == '/' ? xstrdup(name)
						 : join_path(p, "", 0, name);
	struct stat st;
	int e;

	if (stat(full, &st) < 0)
		return ocifs_error_set(err, errno, "exec: \"%s\": stat %s", name, name);
	e = exec_mode_error(&st);
	if (e)
		return ocifs_error_set(err, e, "exec: \"%s\"", name);
	*path = steal_ptr(&full);
	return 0;
}

static int find_in_path(const struct oci_process *p, const char *name,
			char **path, ocifs_error *err)
{
	const char *dir = env_path(p);

	for (;;) {
		const char *end = strchrnul(dir, ':');
		cleanup_free char *full = join_path(p, dir, (size_t)(end - dir), name);
		struct stat st;

		if (stat(full, &st) == 0 && exec_mode_error(&st) == 0) {
			*path = steal_ptr(&full);
			return 0;
		}
		if (*end == '\0')
			break;
		dir = end + 1;
	}
	ocifs_error_set(err, 0, "exec: \"%s\": executable file not found in $PATH", name);
	err->code = ENOENT;
	return -1;
}

int process_find_exec(const struct oci_process *p, char **path, ocifs_error *err)
{
	const char *name;

	if (p->n_args == 0 || !p->args || !p->args[0] || !p->args[0][0])
		return ocifs_error_set(err, 0, "process.args: must be a non-empty array");
	name = p->args[0];
	if (strchr(name, '/'))
		return find_with_slash(p, name, path, err);
	return find_in_path(p, name, path, err);
}

/* ---- process_prepare ------------------------------------------------ */

static int apply_rlimit(const struct oci_rlimit *r, ocifs_error *err)
{
	struct rlimit want = { .rlim_cur = (rlim_t)r->soft, .rlim_max = (rlim_t)r->hard };
	struct rlimit cur;
	const char *name = r->type ? r->type : "?";
	int e;

	if (setrlimit(r->resource, &want) == 0)
		return 0;
	e = errno;
	if (e == EPERM && getrlimit(r->resource, &cur) == 0 && want.rlim_max > cur.rlim_max) {
		ocifs_error_set(err, e, "process.rlimits: %s", name);
		/* Say why: only CAP_SYS_RESOURCE may raise a hard limit. */
		size_t n = strlen(err->msg);
		snprintf(err->msg + n, sizeof(err->msg) - n,
			 " (raising the hard limit from %llu to %llu needs CAP_SYS_RESOURCE)",
			 (unsigned long long)cur.rlim_max, (unsigned long long)want.rlim_max);
		return -1;
	}
	return ocifs_error_set(err, e, "process.rlimits: %s", name);
}

static int apply_rlimits(const struct oci_process *p, ocifs_error *err)
{
	for (size_t i = 0; i < p->n_rlimits; i++)
		if (apply_rlimit(&p->rlimits[i], err) < 0)
			return -1;
	return 0;
}

/* cwd is tried as root first (a directory the user may not search is still
 * a valid cwd, as with runc), and again after the user change if root was
 * refused (root squashing on a network filesystem). *done tells which. */
static int change_dir(const char *cwd, bool retry, bool *done, ocifs_error *err)
{
	if (*done)
		return 0;
	if (chdir(cwd) == 0) {
		*done = true;
		return 0;
	}
	if (!retry && (errno == EACCES || errno == EPERM))
		return 0;
	return ocifs_error_set(err, errno, "process.cwd: %s", cwd);
}

int process_prepare(const struct oci_process *p, ocifs_error *err)
{
	bool cwd_done = false;

	if (!p->cwd || p->cwd[0] != '/')
		return ocifs_error_set(err, 0, "process.cwd: must be an absolute path");
	if (pextra_process_start(p, err) < 0 || apply_rlimits(p, err) < 0)
		return -1;
	if (change_dir(p->cwd, false, &cwd_done, err) < 0)
		return -1;
	if (pextra_process_end(p, err) < 0 || process_set_credentials(p, err) < 0)
		return -1;
	umask(p->user.has_umask ? p->user.umask : 0022);
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return ocifs_error_set(err, errno, "process.noNewPrivileges: PR_SET_NO_NEW_PRIVS");
	return change_dir(p->cwd, true, &cwd_done, err);
}

/* ---- fds ------------------------------------------------------------ */

static int cloexec_walk_proc(int first, ocifs_error *err)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int self;

	if (!d)
		return ocifs_error_set(err, errno, "open /proc/self/fd");
	self = dirfd(d);
	errno = 0;
	while ((de = readdir(d))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (*end || end == de->d_name || fd < first || fd == self)
			continue;
		int fl = fcntl((int)fd, F_GETFD);
		if (fl < 0 && errno == EBADF)
			continue;
		if (fl < 0 || fcntl((int)fd, F_SETFD, fl | FD_CLOEXEC) < 0) {
			int e = errno;
			closedir(d);
			return ocifs_error_set(err, e, "set close-on-exec on fd %ld", fd);
		}
		errno = 0;
	}
	if (errno) {
		int e = errno;
		closedir(d);
		return ocifs_error_set(err, e, "read /proc/self/fd");
	}
	closedir(d);
	return 0;
}

int process_cloexec_from(int first_keep_end, ocifs_error *err)
{
	if (first_keep_end < 0)
		return ocifs_error_set(err, 0, "close-on-exec from fd %d: bad fd", first_keep_end);
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)first_keep_end, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	/* ENOSYS: kernel < 5.9; EINVAL: no CLOSE_RANGE_CLOEXEC (< 5.11). */
	if (errno != ENOSYS && errno != EINVAL)
		return ocifs_error_set(err, errno, "close_range(%d, CLOEXEC)", first_keep_end);
#endif
	return cloexec_walk_proc(first_keep_end, err);
}

/* ---- exec ----------------------------------------------------------- */

static int reset_signals(ocifs_error *err)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t none;

	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		/* EINVAL: the signals glibc reserves for itself (32, 33). */
		if (sigaction(sig, &sa, NULL) < 0 && errno != EINVAL)
			return ocifs_error_set(err, errno, "reset signal %d", sig);
	}
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		return ocifs_error_set(err, errno, "clear the signal mask");
	return 0;
}

/* A NULL-terminated copy of the pointer array v[0..n). */
static char **argv_of(char *const *v, size_t n)
{
	char **out = xcalloc(n + 1, sizeof(*out));

	for (size_t i = 0; i < n; i++)
		out[i] = v[i];
	return out;
}

int process_exec(const struct oci_process *p, const char *path, ocifs_error *err)
{
	return process_exec_last(p, path, NULL, NULL, err);
}

int process_exec_last(const struct oci_process *p, const char *path,
		      int (*last)(void *arg, ocifs_error *err), void *arg, ocifs_error *err)
{
	cleanup_free char **argv = NULL;
	cleanup_free char **envp = NULL;

	if (!path || p->n_args == 0)
		return ocifs_error_set(err, 0, "exec: no executable");
	argv = argv_of(p->args, p->n_args);
	envp = argv_of(p->env, p->n_env);
	if (reset_signals(err) < 0)
		return -1;
	if (last && last(arg, err) < 0)
		return -1;
	execve(path, argv, envp);
	return ocifs_error_set(err, errno, "exec %s", path);
}
