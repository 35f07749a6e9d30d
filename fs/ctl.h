/* The ctl grammar (SPEC §5): one command a line, parsed by a pure function
 * (no I/O, no allocation that outlives the struct), so it can be unit-tested
 * and fuzzed.
 *
 *   top-level ctl:   create ID BUNDLE | run ID BUNDLE
 *   container ctl:   start | kill [SIGNAL] | stop [SECONDS] |
 *                    exec PROCESS_JSON_PATH | pause | resume | delete [force]
 *
 * Words are separated by spaces or tabs; a trailing "\n" (or "\r\n") is
 * allowed; empty lines are no commands.  IDs follow ocifs_id_valid();
 * BUNDLE and PROCESS_JSON_PATH are absolute paths without control
 * characters; SIGNAL is a name (TERM, SIGTERM, any case) or a number 1..64;
 * SECONDS a whole number 0..86400.  Errors: code EINVAL and a one-line
 * message naming what was wrong ("kill: unknown signal \"FOO\"").
 */
#ifndef OCIFS_FS_CTL_H
#define OCIFS_FS_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include "ocifs/error.h"

#define CTL_PATH_MAX 4096

enum ctl_op {
	CTL_NONE,     /* empty line */
	CTL_CREATE,
	CTL_RUN,
	CTL_START,
	CTL_KILL,
	CTL_STOP,
	CTL_EXEC,
	CTL_PAUSE,
	CTL_RESUME,
	CTL_DELETE,
};

struct ctl_cmd {
	enum ctl_op op;
	char id[129];             /* create/run */
	char path[CTL_PATH_MAX];  /* create/run: bundle; exec: process JSON */
	int signal;               /* kill: default SIGTERM */
	int seconds;              /* stop: default 10 */
	bool force;               /* delete force */
};

/* Parses one line (len bytes, need not be NUL-terminated). top = the
 * top-level ctl (create/run) or a container's ctl (the rest). */
int ctl_parse(const char *line, size_t len, bool top, struct ctl_cmd *out,
	      ocifs_error *err);

/* Splits a write buffer into lines: returns the length of the first line
 * including its '\n' (or len when there is none). */
size_t ctl_next_line(const char *buf, size_t len);

const char *ctl_op_name(enum ctl_op op);

#endif
