/* Internal: what create.c (the runtime side) and init.c (the container's
 * init) share.
 *
 * Create protocol over a SOCK_SEQPACKET socketpair, one tag byte a message:
 *   runtime -> init  'M'+index  an ID-mapped mount (SCM_RIGHTS), one per
 *                    such mounts[index], before the first 'G' (idmap.c)
 *   runtime -> init  'G'  ids mapped, cgroup joined: go on
 *   init -> runtime  'H'  mounts made, before pivot_root: run createRuntime
 *   runtime -> init  'G'  hooks done
 *   init -> runtime  'R'  container built, waiting on init.sock
 *   init -> runtime  'E'+message  failed (the init then exits)
 *
 * Start protocol over ROOT/ID/init.sock (SOCK_STREAM): `start` connects and
 * sends the state JSON, then shuts down its write side; the init runs the
 * startContainer hooks, prepares the process and executes it.  The
 * connection is close-on-exec, so `start` reads EOF when execve succeeded
 * and an error message otherwise.
 */
#ifndef OCIFS_CONTAINER_H
#define OCIFS_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "ocifs/config.h"
#include "ocifs/engine.h"
#include "ns.h"

struct init_ctx {
	const struct oci_config *cfg;
	const char *bundle;
	const char *rootfs;
	const char *id;
	struct ns_plan *plan;
	int sync_fd;        /* init's end of the socketpair */
	int listen_fd;      /* init.sock */
	int console_fd;     /* console socket, -1 = none */
	int stdio[3];
	int preserve_fds;
	const char *self_cgroup;  /* join the v1 hierarchies of this cgroup
				     itself (see cgroup.h), NULL = done by the runtime */
	bool no_pivot;
	bool no_new_keyring;
	const char *state_json;  /* "creating" state for the createContainer hooks */
	char *seccomp_cache;     /* compiled filters (seccomp_cache.c), NULL none */
};

/* The init's main; never returns. */
__attribute__((noreturn)) void init_main(struct init_ctx *c);

/* Message helpers for the sync socket. */
int sync_send(int fd, char tag, const char *payload);
/* Receives one message; *tag = 0 on EOF.  payload (may be NULL) gets the
 * text after the tag, NUL-terminated, up to cap bytes. */
int sync_recv(int fd, char *tag, char *payload, size_t cap);

/* The OCI state JSON (ocifs_state_json) given to hooks and to start. */
char *hook_state_json(const char *id, enum ocifs_status status, pid_t pid,
		      const char *bundle, const struct oci_config *cfg);

#endif
