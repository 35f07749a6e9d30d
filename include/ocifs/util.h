/* Small helpers shared by the engine and its front ends: cleanup
 * attributes, allocation that aborts on failure, file I/O (util.c). */
#ifndef OCIFS_OCIFS_UTIL_H
#define OCIFS_OCIFS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "ocifs/error.h"

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void ocifs_freep(void *p) { free(*(void **)p); }
static inline void ocifs_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
static inline void ocifs_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define cleanup_free _cleanup_(ocifs_freep)
#define cleanup_close _cleanup_(ocifs_closep)
#define cleanup_fclose _cleanup_(ocifs_fclosep)

/* Ownership moves out of a cleanup variable: `return steal_ptr(&buf);` */
static inline void *steal_ptr(void *pp)
{
	void **p = pp;
	void *v = *p;
	*p = NULL;
	return v;
}
static inline int steal_fd(int *fd)
{
	int v = *fd;
	*fd = -1;
	return v;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation that aborts on failure (out of memory is not recoverable here). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes all of buf to fd, retrying on EINTR and short writes. */
int write_all(int fd, const void *buf, size_t len);
/* Reads a whole file (NUL-terminated, len excludes the NUL). */
int read_file(const char *path, char **out, size_t *len, ocifs_error *err);
int read_fd_all(int fd, char **out, size_t *len, ocifs_error *err);
/* open(O_WRONLY|O_TRUNC) + write: for /proc, /sys and cgroup files. */
int write_file(const char *path, const char *data, ocifs_error *err);
/* Writes dir/name atomically: temp file in dir, fsync-free, rename. */
int write_file_atomic(const char *dir, const char *name, const char *data,
		      size_t len, mode_t mode, ocifs_error *err);
/* Writes a pid file atomically (temp file + rename, as runc does). */
int write_pid_file(const char *path, pid_t pid, ocifs_error *err);
/* mkdir -p */
int mkdir_p(const char *path, mode_t mode, ocifs_error *err);

/* /proc/PID/stat read once into buf: returns its field 3 (the state
 * letter, the first field after the command name, which may hold spaces
 * and parentheses), NULL when the process is gone. */
const char *proc_stat_read(pid_t pid, char *buf, size_t size);
/* Field n (>= 3) of a record, given its field 3; NULL when it is missing. */
const char *proc_stat_field(const char *f3, int n);
/* Process start time (field 22 of /proc/PID/stat), 0 if the process is gone. */
unsigned long long proc_start_time(pid_t pid);

/* Sends one message (body, len >= 1 bytes) carrying fd as SCM_RIGHTS, with
 * MSG_NOSIGNAL, retrying EINTR.  Returns the bytes sent, -1 with errno. */
ssize_t send_with_fd(int sock, int fd, const void *body, size_t len);

/* Decimal digits only (len bytes), value <= max; -1 otherwise (no overflow). */
long parse_uint_n(const char *s, size_t len, long max);

/* Milliseconds on CLOCK_MONOTONIC. */
long long now_ms(void);

#endif
