/* ocifs error convention.
 *
 * Every fallible function takes an `ocifs_error *err` as its last argument
 * and returns 0 on success or -1 on failure.  On failure it has filled *err:
 * `code` is the errno that best describes the failure (EINVAL for bad input,
 * ENOENT, EEXIST, EBUSY ...), `msg` a one-line human message without a
 * trailing newline.  Callers add context with ocifs_error_prefix() on the way
 * up ("create web: mount /proc: Permission denied"), and the outermost layer
 * (the CLI, a FUSE handler) turns the error into an exit code or -errno
 * exactly once.  `err` is never NULL.
 */
#ifndef OCIFS_ERROR_H
#define OCIFS_ERROR_H

#include <stddef.h>

#define OCIFS_ERROR_MSG_MAX 1024

typedef struct ocifs_error {
	int code;                      /* errno value, 0 when none */
	char msg[OCIFS_ERROR_MSG_MAX]; /* one line, no trailing newline */
} ocifs_error;

/* Sets *err.  When errnum != 0, ": strerror(errnum)" is appended to the
 * formatted message.  code = errnum, or EINVAL when errnum is 0.
 * Always returns -1, so `return ocifs_error_set(err, errno, "open %s", p);`. */
int ocifs_error_set(ocifs_error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepends "<formatted>: " to err->msg, keeps err->code.  Returns -1. */
int ocifs_error_prefix(ocifs_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void ocifs_error_clear(ocifs_error *err);

#endif
