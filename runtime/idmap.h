/* ID-mapped bind mounts (config.md: "idmap", "ridmap", a mount's
 * uidMappings/gidMappings).  See idmap.c for why the runtime, not the
 * init, makes them, and how they reach the init. */
#ifndef OCIFS_IDMAP_H
#define OCIFS_IDMAP_H

#include <sys/types.h>

#include "ocifs/config.h"
#include "ocifs/error.h"

/* Runtime side, once the init's user namespace has its maps and before the
 * first 'G': makes the detached, ID-mapped mount of every such entry of
 * cfg->mounts, in listed order, and sends each to the init over the sync
 * socket.  Errors name the entry ("mounts[3]: ..."). */
int idmap_send_mounts(int sock, const struct oci_config *cfg, const char *bundle,
		      pid_t init, ocifs_error *err);

/* Init side, before waiting for the first 'G': receives them all. */
int idmap_recv_mounts(int sock, const struct oci_config *cfg, ocifs_error *err);

/* The received detached mount for entry m; the caller owns (and closes)
 * it.  -1 when none was received for m. */
int idmap_take_mount(const struct oci_mount *m);

#endif
