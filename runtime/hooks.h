/* OCI hooks.  Each hook runs as a child of the runtime with the container's
 * state JSON on stdin, argv = hook.args (or { path }), envp = hook.env
 * exactly, default signal dispositions, in listed order.  A hook that exits
 * without reading stdin must not hurt the runtime (EPIPE is ignored, never
 * SIGPIPE).  With a timeout, a hook still running after `timeout` seconds is
 * SIGKILLed and counts as failed.  The hook's stdout/stderr go to the
 * runtime's stderr.
 */
#ifndef OCIFS_HOOKS_H
#define OCIFS_HOOKS_H

#include <stdbool.h>

#include "ocifs/config.h"
#include "ocifs/error.h"

/* Runs hooks in order.  With stop_on_error the first failure stops the
 * run and is returned; without it every hook runs, failures are written to
 * stderr ("ocirun: poststop hook /x: exit status 1") and 0 is returned. */
int hooks_run(const struct oci_hook_list *list, const char *kind_name,
	      const char *state_json, bool stop_on_error, ocifs_error *err);

#endif
