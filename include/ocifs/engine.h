/* The ocifs engine: container lifecycle over one state root.
 *
 * Both front ends (the `ocirun` CLI and the `ocifs` filesystem) call only
 * these functions.  All of them follow the error convention of error.h.
 * Every operation on a container takes that container's lock in the state
 * store, so concurrent callers (two CLIs, the daemon and a CLI) serialise.
 *
 * Process model: create forks the container's init from the calling process,
 * which must be single-threaded (the filesystem daemon runs a helper process
 * for this).  The init builds the container, then waits on a socket in the
 * state directory until `start` connects to it.  See docs/DESIGN.md.
 */
#ifndef OCIFS_ENGINE_H
#define OCIFS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ocifs/config.h"
#include "ocifs/error.h"

#define OCIFS_DEFAULT_ROOT "/run/ocifs"
#define OCIFS_OCI_VERSION "1.3.0"

enum ocifs_status {
	OCIFS_CREATING,
	OCIFS_CREATED,
	OCIFS_RUNNING,
	OCIFS_PAUSED,
	OCIFS_STOPPED,
};

const char *ocifs_status_name(enum ocifs_status s);

/* Valid ids: [A-Za-z0-9][A-Za-z0-9_.-]{0,127}. */
bool ocifs_id_valid(const char *id);

struct ocifs_state {
	char *id;
	enum ocifs_status status;
	pid_t pid;             /* 0 when stopped */
	char *bundle;          /* absolute */
	char *created;         /* RFC 3339 UTC */
	char *annotations_json;/* JSON object text, "{}" when none */
	bool has_exit_status;
	int exit_status;
};

void ocifs_state_clear(struct ocifs_state *st);

/* The OCI state JSON ({"ociVersion","id","status","pid","bundle",
 * "annotations","created"[,"exitStatus"]}); caller frees. */
char *ocifs_state_json(const struct ocifs_state *st);

struct ocifs_create_opts {
	const char *id;
	const char *bundle;          /* directory holding config.json; NULL = cwd */
	const char *pid_file;        /* NULL = none */
	const char *console_socket;  /* NULL = none */
	int console_socket_fd;       /* connected socket to send the pty master over
	                                instead of console_socket; -1 = none */
	int preserve_fds;            /* fds 3..3+n-1 passed to the process */
	bool no_pivot;
	bool no_new_keyring;
	int stdio[3];                /* fds for the init's stdin/out/err; -1 = inherit */
	bool capture_log;            /* stdin /dev/null, stdout+stderr appended to
	                                ROOT/ID/log (overrides stdio) */
};

void ocifs_create_opts_init(struct ocifs_create_opts *o);

/* Builds the container and leaves its init waiting for start.
 * On success *pid (if not NULL) is the init's host pid. */
int ocifs_create(const char *root, const struct ocifs_create_opts *o,
		 pid_t *pid, ocifs_error *err);

/* Runs the user process of a created container; returns after the process
 * was executed and the poststart hooks ran. */
int ocifs_start(const char *root, const char *id, ocifs_error *err);

int ocifs_state_get(const char *root, const char *id, struct ocifs_state *st,
		    ocifs_error *err);

/* Signal the init (all = every process of the container). */
int ocifs_kill(const char *root, const char *id, int sig, bool all, ocifs_error *err);

/* Deletes a stopped container; force = kill everything first. */
int ocifs_delete(const char *root, const char *id, bool force, ocifs_error *err);

/* SIGTERM, wait up to grace_ms, SIGKILL every process, delete. */
int ocifs_stop(const char *root, const char *id, int grace_ms, ocifs_error *err);

/* What a reaper writes the moment waitpid returns an init's status, before
 * ocifs_record_exit (which takes the container's lock): ROOT/ID/exit, no
 * lock, so that the state shows exitStatus as soon as it shows stopped. */
int ocifs_note_exit(const char *root, const char *id, pid_t pid, int exit_status,
		    ocifs_error *err);
/* waitpid's status as the state reports it: the code, or 128 + signal. */
int ocifs_exit_status(int wstatus);

/* Records the exit status of the container's init (wait(2) status already
 * decoded: code, or 128+signal) when pid is still the recorded init.  Used
 * by whoever reaps the init (the filesystem's keeper process). */
int ocifs_record_exit(const char *root, const char *id, pid_t pid, int exit_status,
		      ocifs_error *err);

/* Path of the container's captured output (ROOT/ID/log); caller frees. */
char *ocifs_log_path(const char *root, const char *id);

/* Freezes / thaws every process of a running / paused container. */
int ocifs_pause(const char *root, const char *id, ocifs_error *err);
int ocifs_resume(const char *root, const char *id, ocifs_error *err);

/* Applies new resource limits to a created, running or paused container's
 * cgroup.  resources_json is a linux.resources object (devices ignored);
 * errors name its JSON paths ("linux.resources.memory.limit: ..."). */
int ocifs_update(const char *root, const char *id, const char *resources_json,
		 ocifs_error *err);

/* Ids of every container in the root, sorted; caller frees each and the array. */
int ocifs_list(const char *root, char ***ids, size_t *n, ocifs_error *err);
void ocifs_list_free(char **ids, size_t n);

/* Host pids of every process in the container's cgroup. */
int ocifs_ps(const char *root, const char *id, pid_t **pids, size_t *n, ocifs_error *err);

/* Cgroup statistics of the container as a JSON object (runc's `events
 * --stats` data: cpu, memory, pids, blkio); caller frees.  EBUSY when the
 * container is stopped. */
int ocifs_stats(const char *root, const char *id, char **json, ocifs_error *err);

/* OOM notifications of the container's memory cgroup (runc's `events`
 * {"type":"oom"}).  ocifs_oom_open: ENOTSUP when the container has no
 * memory cgroup, EBUSY when it is stopped.  ocifs_oom_fd: non-blocking,
 * close-on-exec, readable (poll/epoll) while OOMs are pending;
 * ocifs_oom_read consumes them and sets *count to the number of OOMs since
 * the last read (0 for a spurious wake-up, or once the cgroup is gone). */
struct ocifs_oom;
int ocifs_oom_open(const char *root, const char *id, struct ocifs_oom **oom,
		   ocifs_error *err);
int ocifs_oom_fd(const struct ocifs_oom *oom);
int ocifs_oom_read(struct ocifs_oom *oom, uint64_t *count, ocifs_error *err);
void ocifs_oom_close(struct ocifs_oom *oom);
/* The oom and oom_kill counters of a cgroup2 memory.events text; -1 when
 * it has neither (pure: for tests). */
int ocifs_oom_parse_events(const char *text, uint64_t *oom, uint64_t *oom_kill);

struct ocifs_exec_opts {
	const struct oci_process *process; /* the process to run (complete) */
	const char *pid_file;
	const char *console_socket;
	int console_socket_fd;             /* as in ocifs_create_opts */
	int preserve_fds;
	bool detach;
	int stdio[3];                      /* -1 = inherit */
	bool capture_log;                  /* as in ocifs_create_opts */
};

void ocifs_exec_opts_init(struct ocifs_exec_opts *o);

/* Starts a new process in a running container.  *pid = its host pid.  The
 * caller reaps it (it is the caller's child when not detached; when detached
 * it has been re-parented to the caller's subreaper). */
int ocifs_exec(const char *root, const char *id, const struct ocifs_exec_opts *o,
	       pid_t *pid, ocifs_error *err);

/* Fills defaults of an exec process from the container's own process:
 * cwd, env, user, capabilities, noNewPrivileges, rlimits when absent. */
int ocifs_exec_process_defaults(const char *root, const char *id,
				struct oci_process *p, ocifs_error *err);

/* A signal from its name or number: "TERM", "SIGTERM", "sigterm", "15",
 * "RTMIN", "RTMIN+3", "SIGRTMAX-1" (len bytes of s); -1 when not one. */
int ocifs_signal_parse(const char *s, size_t len);

/* The OCI features document and a default config.json; caller frees. */
char *ocifs_features_json(void);
char *ocifs_spec_json(bool rootless);

/* CVE-2019-5736: whether this process runs from a sealed memfd copy of its
 * binary, and re-executing (same argv and environment) from such a copy
 * when it does not.  Returns 0 when already sealed; on success it does not
 * return.  Front ends call it before anything enters a container. */
bool ocifs_exe_is_sealed(void);
int ocifs_exe_reexec_sealed(char *const argv[], ocifs_error *err);

#endif
