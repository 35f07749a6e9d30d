/* The user process's execution environment, applied by the container's init
 * (and by exec'd processes) after pivot_root, just before execve:
 *
 *   process_prepare()  rlimits, oomScoreAdj, capability bounding set,
 *                      additionalGids/gid/uid (keeping capabilities across
 *                      the uid change), the four other capability sets
 *                      (ambient last), umask, noNewPrivileges, cwd.
 *   process_exec()     execve of args[0] (searched in the process env's PATH
 *                      when it has no '/'), with the process env exactly.
 *                      Returns only on failure ("exec /bin/nope: No such
 *                      file or directory").
 *
 * Signal dispositions are reset to default and the signal mask cleared
 * before execve, so nothing the runtime ignored leaks into the container.
 */
#ifndef OCIFS_PROCESS_H
#define OCIFS_PROCESS_H

#include "ocifs/config.h"
#include "ocifs/error.h"

int process_prepare(const struct oci_process *p, ocifs_error *err);
int process_exec(const struct oci_process *p, ocifs_error *err);

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
