/* The user process's execution environment, applied by the container's init
 * (and by exec'd processes) after pivot_root, just before execve:
 *
 *   process_find_exec() resolves args[0] to the file to execute (searched in
 *                      the process env's PATH when it has no '/').  The
 *                      caller runs it early, so that `create` fails on a
 *                      missing binary.
 *   process_prepare()  rlimits, capability bounding set,
 *                      additionalGids/gid/uid (keeping capabilities across
 *                      the uid change), the four other capability sets
 *                      (ambient last), umask, noNewPrivileges, cwd.
 *                      oomScoreAdj is not applied here: the runtime writes
 *                      /proc/PID/oom_score_adj from outside.
 *   process_exec()     execve of the resolved path with args and the
 *                      process env exactly.  Returns only on failure
 *                      ("exec /bin/nope: No such file or directory").
 *
 * Signal dispositions are reset to default and the signal mask cleared
 * before execve, so nothing the runtime ignored leaks into the container.
 */
#ifndef OCIFS_PROCESS_H
#define OCIFS_PROCESS_H

#include "ocifs/config.h"
#include "ocifs/error.h"

/* Resolves p->args[0]: a name with a '/' is used as is (relative to
 * p->cwd), a bare name is searched in the PATH of p->env (NOT the caller's
 * environment; default "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:
 * /sbin:/bin").  The result must be an existing executable regular file.
 * *path is malloc'd.  Errors (code ENOENT, or EACCES when the file exists
 * but cannot be executed):
 *   exec: "NAME": executable file not found in $PATH
 *   exec: "/x/y": stat /x/y: No such file or directory */
int process_find_exec(const struct oci_process *p, char **path, ocifs_error *err);

/* caps.c: bounding set, groups/gid/uid, the other capability sets. */
int process_set_credentials(const struct oci_process *p, ocifs_error *err);

int process_prepare(const struct oci_process *p, ocifs_error *err);

/* Resets every signal disposition to SIG_DFL, clears the signal mask and
 * execve(path, args, env) with p->env exactly.  Returns -1 only on failure. */
int process_exec(const struct oci_process *p, const char *path, ocifs_error *err);

/* process_exec() with a last step run after the signals are reset, right
 * before execve (seccomp_load(), which loads the seccomp filter); `last`
 * may be NULL.  Returns -1 only on failure. */
int process_exec_last(const struct oci_process *p, const char *path,
		      int (*last)(void *arg, ocifs_error *err), void *arg, ocifs_error *err);

/* Marks every fd >= first_keep_end close-on-exec (close_range with
 * CLOSE_RANGE_CLOEXEC), so fds 0..first_keep_end-1 reach the process and
 * nothing of the runtime does.  first_keep_end = 3 + preserve_fds. */
int process_cloexec_from(int first_keep_end, ocifs_error *err);

/* Capability names <-> numbers ("CAP_SYS_ADMIN" <-> 21); -1 if unknown.
 * Used by the config parser. */
int caps_from_name(const char *name);
const char *caps_to_name(int cap);
/* Highest capability number this kernel knows (from libcap). */
int caps_last_cap(void);

/* rlimit spec name -> RLIMIT_*; -1 if unknown.  Used by the parser. */
int rlimit_from_name(const char *name);

#endif
