/* The keeper: the filesystem daemon's single-threaded helper process.
 *
 * The daemon is multi-threaded (libfuse's mt loop), and a container must be
 * forked from a single-threaded process (SPEC §3).  So ocifs forks the
 * keeper first thing, before any thread exists, and sends it every ctl
 * operation.  The keeper runs each request in a forked worker (itself
 * single-threaded), so a slow `stop` never holds up other requests.
 *
 * The keeper is the child subreaper of everything it starts: container inits
 * and exec'd processes come back to it when their worker exits.  It reaps
 * them, records an init's exit status in the state store
 * (ocifs_record_exit) and tells the daemon about every exec start and exit.
 * It outlives the daemon: when the daemon's end of the socket closes it
 * keeps reaping and recording until it has no children left, then exits.
 * Wire format: one JSON object a SOCK_SEQPACKET message (see keeper.c).
 */
#ifndef OCIFS_FS_KEEPER_H
#define OCIFS_FS_KEEPER_H

#include <stdbool.h>
#include <sys/types.h>

#include "ctl.h"
#include "ocifs/error.h"

struct keeper;

struct keeper_req {
	enum ctl_op op;         /* CTL_CREATE ... CTL_DELETE */
	char id[129];           /* the container */
	char path[CTL_PATH_MAX];/* bundle (create, run) or process JSON (exec) */
	int signal;             /* kill */
	int seconds;            /* stop grace period */
	bool force;             /* delete */
	unsigned exec_id;       /* exec: chosen by the daemon, echoed in notices */
};

struct keeper_reply {
	int code;               /* 0 = done, else the errno for write(2) */
	char msg[OCIFS_ERROR_MSG_MAX];
	pid_t pid;              /* create/run: the init; exec: the new process */
};

enum keeper_notice_kind {
	KEEPER_INIT_EXIT,       /* a container's init exited (status recorded) */
	KEEPER_EXEC_START,
	KEEPER_EXEC_EXIT,
};

struct keeper_notice {
	enum keeper_notice_kind kind;
	char id[129];
	unsigned exec_id;
	pid_t pid;
	int exit_status;        /* code, or 128 + signal */
};

typedef void (*keeper_notice_fn)(const struct keeper_notice *n, void *data);

/* Forks the keeper for the state root.  Must be called while the caller is
 * still single-threaded.  debug: the keeper logs each request on stderr. */
int keeper_start(const char *root, bool debug, struct keeper **out, ocifs_error *err);

/* Starts the daemon-side reader thread that matches replies to callers and
 * hands notices to fn (called on that thread).  Call once, after
 * keeper_start, when threads are allowed. */
int keeper_run_reader(struct keeper *k, keeper_notice_fn fn, void *data, ocifs_error *err);

/* Sends one request and waits for its reply.  Thread-safe; any number of
 * calls may be in flight.  Returns 0 when a reply came (rep->code says how
 * the operation went), -1 when the keeper is gone (err set). */
int keeper_call(struct keeper *k, const struct keeper_req *req, struct keeper_reply *rep,
		ocifs_error *err);

/* Closes the daemon's end; the keeper lives on while it has children. */
void keeper_close(struct keeper *k);

#endif
