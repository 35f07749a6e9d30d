/* The daemon's HTTP front end (config key Port, SPEC §5; docs/FS.md "HTTP"):
 * the tree's operations over HTTP/1.1, without TLS.
 *
 * Two steps, because ocifs detaches after mounting and a detached daemon has
 * no terminal left to report a busy port on: http_listen() binds before the
 * mount (its failure is a start-up failure naming the port), http_start()
 * starts the serving thread once the FUSE session and the other threads are
 * up.  http_stop() ends it (NULL is fine) and waits for ctl commands still
 * running on its behalf.
 */
#ifndef OCIFS_FS_HTTP_H
#define OCIFS_FS_HTTP_H

#include "fsconfig.h"
#include "ocifs/error.h"

struct daemon;
struct http_server;

struct http_server *http_listen(const struct fs_config *cfg, ocifs_error *err);
int http_start(struct http_server *s, struct daemon *d, ocifs_error *err);
void http_stop(struct http_server *s);

#endif
