/* The state store: one directory per container under the state root.
 *
 *   ROOT/ID/            0700, made by mkdir at create (reserves the id)
 *   ROOT/ID/state.json  the record below, replaced atomically (temp+rename)
 *   ROOT/ID/config.json the bundle's config.json as it was at create
 *   ROOT/ID/init.sock   the created init listens here until start
 *
 * Writers hold an exclusive flock on the ROOT/ID directory for the whole
 * operation (create, start, kill, delete); readers take no lock and rely on
 * the atomic rename.  The init is identified by pid + start time (field 22
 * of /proc/PID/stat), so a reused pid is never mistaken for the init.
 */
#ifndef OCIFS_STATE_H
#define OCIFS_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "ocifs/engine.h"
#include "ocifs/error.h"

struct state_rec {
	char *id;
	pid_t pid;                     /* 0 while creating */
	unsigned long long start_time; /* of pid */
	pid_t creator;                 /* process running create, while creating */
	unsigned long long creator_start;
	char *bundle;
	char *rootfs;
	char *created;                 /* RFC 3339 */
	char *cgroup;                  /* cgroup path, NULL when none */
	bool started;                  /* start handed over to the user process */
	bool has_exit_status;
	int exit_status;
	char *annotations_json;        /* "{}" when none */
};

void state_rec_clear(struct state_rec *r);

char *state_dir(const char *root, const char *id);
int state_write(const char *root, const struct state_rec *r, ocifs_error *err);
/* ENOENT: "container does not exist" */
int state_read(const char *root, const char *id, struct state_rec *r, ocifs_error *err);

/* Status derived from the record and the live system. */
enum ocifs_status state_status(const struct state_rec *r);

/* Opens ROOT/ID and takes the exclusive lock; returns the dir fd. */
int state_lock(const char *root, const char *id, ocifs_error *err);

/* Removes ROOT/ID and everything in it. */
int state_remove(const char *root, const char *id, ocifs_error *err);

/* True when pid is alive (not a zombie) and started at start_time. */
bool pid_is_alive(pid_t pid, unsigned long long start_time);

/* Loads the frozen config of a container. */
int state_load_config(const char *root, const char *id, struct oci_config **cfg,
		      ocifs_error *err);

/* Now as RFC 3339 with nanoseconds, UTC. */
char *rfc3339_now(void);

#endif
