/* The daemon's configuration file (JSON, --config, default
 * /etc/ocifs/ocifs.json; a missing default file is no error).
 * Keys (SPEC §5): Port (int, 0..65535), ServerListFile (string), Debug
 * (bool), CtlGroup (string: a group name or number).  Port and
 * ServerListFile are accepted and reported as not supported yet when set.
 * Unknown keys are an error naming them (a typo must not pass silently).
 * Parsing is pure (text in, struct out) for unit tests and fuzzing. */
#ifndef OCIFS_FS_FSCONFIG_H
#define OCIFS_FS_FSCONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "ocifs/error.h"

struct fs_config {
	int port;               /* 0 = off */
	char *server_list_file; /* NULL = none */
	bool debug;
	char *ctl_group;        /* NULL = root only */
};

int fs_config_parse(const char *json, size_t len, struct fs_config *out, ocifs_error *err);
/* Reads path; when path is NULL the default file is read if it exists. */
int fs_config_load(const char *path, struct fs_config *out, ocifs_error *err);
void fs_config_clear(struct fs_config *c);

#endif
