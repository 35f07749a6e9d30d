/* Shared between keeper.c (the keeper process, keeper_start), keeper_worker.c and
 * keeper_proto.c (the wire format helpers, the daemon's end). */
#ifndef OCIFS_FS_KEEPER_INTERNAL_H
#define OCIFS_FS_KEEPER_INTERNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "ctl.h"
#include "keeper.h"

/* The largest message either side sends or accepts. */
#define KEEPER_MSG_MAX 16384

/* "create", "run", ... on the wire; "?" for anything else. */
const char *keeper_op_str(enum ctl_op op);
/* The enum ctl_op for a wire name, -1 when unknown. */
int keeper_op_parse(const char *s);
/* A JSON string that never fails: invalid UTF-8 and control bytes become '?'. */
json_t *keeper_jstr(const char *s);
/* Compact JSON text of j (NULL when j is NULL); drops the reference. */
char *keeper_jdump(json_t *j);
/* Member key of o as an int / a string ("" when absent). */
int keeper_jint(json_t *o, const char *key, int dflt);
const char *keeper_jtext(json_t *o, const char *key);
void keeper_copy_str(char *dst, size_t size, const char *src);

#define klog(...) fprintf(stderr, "ocifs-keeper: " __VA_ARGS__)

/* A request as the keeper reads it: 0, -1 without a "seq", -2 with an
 * unknown "op" (*seq is set then). */
int keeper_parse_request(json_t *j, uint64_t *seq, struct keeper_req *r);

/* keeper_worker.c: makes the request's engine call in a worker, sends the
 * result on fd and exits. */
__attribute__((noreturn)) void keeper_worker_run(const char *root, const struct keeper_req *r,
						 int fd);

/* The daemon's handle on a started keeper: its socket and pid. */
struct keeper *keeper_client_new(int fd, pid_t pid);

#endif
