/* The daemon's configuration file (JSON, --config, default
 * /etc/ocifs/ocifs.json; a missing default file is no error).
 * Keys (SPEC §5): Port (int, 0..65535), Bind (string, an IPv4 or IPv6
 * literal, default 127.0.0.1), Token (string, FS_TOKEN_MIN..FS_TOKEN_MAX
 * visible ASCII characters), ServerListFile (string), Debug (bool),
 * CtlGroup (string: a group name or number).  A non-loopback Bind without
 * a Token is an error.  ServerListFile is accepted and reported as not
 * supported yet when set.
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
	char *bind;             /* HTTP listen address, NULL = 127.0.0.1 */
	char *token;            /* HTTP bearer token, NULL = none */
};

#define FS_TOKEN_MIN 16
#define FS_TOKEN_MAX 255

int fs_config_parse(const char *json, size_t len, struct fs_config *out, ocifs_error *err);
/* Reads path; when path is NULL the default file is read if it exists. */
int fs_config_load(const char *path, struct fs_config *out, ocifs_error *err);
void fs_config_clear(struct fs_config *c);
/* Whether an address (NULL = the default) is a loopback one: 127.0.0.0/8,
 * ::1, ::ffff:127.0.0.0/104. */
bool fs_config_bind_loopback(const char *bind);

#endif
