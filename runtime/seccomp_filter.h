/* linux.seccomp (runtime/seccomp.c; not "seccomp.h", which would hide
 * libseccomp's <seccomp.h> on the include path): building the filter and
 * loading it as the last step before execve (see the header comment of
 * seccomp.c for the order and why).
 *
 *   scf_build()            turns the parsed struct into a BPF program with
 *                          libseccomp: no I/O but a memfd; done before the
 *                          process's credentials change.
 *   scf_connect_listener() connects to listenerPath (SCMP_ACT_NOTIFY) while
 *                          the host's filesystem is still visible.
 *   scf_prepare_process()  the process to hand to process_prepare(): the
 *                          same one, or a copy that keeps CAP_SYS_ADMIN
 *                          until the filter is loaded.
 *   scf_load()             loads the filter, sends the notify fd to the
 *                          listener, drops the kept CAP_SYS_ADMIN; run by
 *                          process_exec_last() after the signals are reset.
 */
#ifndef OCIFS_SECCOMP_FILTER_H
#define OCIFS_SECCOMP_FILTER_H

#include <stdint.h>

#include "ocifs/config.h"
#include "ocifs/error.h"

/* Names are prefixed scf_ (seccomp filter): libseccomp owns seccomp_*. */
struct seccomp_prog;

/* cache_dir: where compiled filters are kept (seccomp_cache.c), NULL none. */
int scf_build(const struct oci_seccomp *sc, const char *cache_dir, struct seccomp_prog **out,
	      ocifs_error *err);

/* seccomp_cache.c: the key of a profile (sc->canonical), and loading or
 * storing its program; a failed load (-1) just means compiling. */
struct sock_fprog;
/* ROOT/.cache/seccomp for an absolute state root (the init compiles after
 * chdir to the rootfs), else NULL: no cache.  Caller frees. */
char *scf_cache_dir(const char *root);
char *scf_cache_key(const char *canonical);
int scf_cache_load(const char *dir, const char *key, struct sock_fprog *prog);
void scf_cache_store(const char *dir, const char *key, const struct sock_fprog *prog);
void scf_free(struct seccomp_prog *sp);

/* No-op unless the filter notifies.  The socket is close-on-exec. */
int scf_connect_listener(struct seccomp_prog *sp, ocifs_error *err);

/* state_json: the container's state, sent to the listener inside the
 * runtime-spec "seccomp state"; pid: the process's pid as the runtime sees
 * it (0 = take the state's). Both are copied. */
void scf_set_state(struct seccomp_prog *sp, const char *state_json, int pid);

/* Returns p, or *tmp (a shallow copy of p) when the process must keep
 * CAP_SYS_ADMIN until scf_load(): noNewPrivileges false and no
 * CAP_SYS_ADMIN in its final effective set. */
const struct oci_process *scf_prepare_process(struct seccomp_prog *sp,
						  const struct oci_process *p,
						  struct oci_process *tmp);

/* A process_exec() last step: arg is the struct seccomp_prog. */
int scf_load(void *arg, ocifs_error *err);

/* Names: "SCMP_ACT_ERRNO" <-> OCI_SCMP_ACT_ERRNO, "SCMP_CMP_EQ", flags
 * "SECCOMP_FILTER_FLAG_LOG" <-> bit, "SCMP_ARCH_X86_64" <-> token (0 when
 * libseccomp does not know it).  -1 / NULL / 0 when unknown. */
int scf_action_from_name(const char *name);
const char *scf_action_name(int action);
int scf_op_from_name(const char *name);
const char *scf_op_name(int op);
long scf_flag_from_name(const char *name);
const char *scf_flag_name(int i);  /* i-th known flag, NULL past the end */
uint32_t scf_arch_from_name(const char *name);
const char *scf_arch_name(int i);  /* i-th spec arch name, NULL past the end */

/* Is the flag usable here (this kernel)? */
bool scf_flag_supported(unsigned long flag);

#endif
