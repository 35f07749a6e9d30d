/* Terminals.  When process.terminal is true the init (or exec'd process)
 * opens a new pty in the container's devpts, makes the slave its controlling
 * terminal and stdio, and hands the master out:
 *   - over --console-socket: one sendmsg with SCM_RIGHTS, as runc does
 *     (the message body is the pty slave's name);
 *   - or, when the caller runs in the foreground without a console socket,
 *     over a socketpair to ocirun, which proxies its own stdio to the master
 *     (terminal_proxy) until the process exits.
 */
#ifndef OCIFS_TERMINAL_H
#define OCIFS_TERMINAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "ocifs/config.h"
#include "ocifs/error.h"

/* Connects to a console socket path; returns the fd or -1. */
int terminal_connect_socket(const char *path, ocifs_error *err);

/* In the container, after pivot_root: open /dev/ptmx, set the window size
 * from p (if set), bind-mount the slave over /dev/console when
 * bind_console (the init does, exec does not), send the master over
 * send_fd, close the master, setsid, TIOCSCTTY, dup2 the slave onto 0,1,2. */
int terminal_setup(const struct oci_process *p, int send_fd, bool bind_console,
		   ocifs_error *err);

/* Sends / receives one fd over a unix socket (SCM_RIGHTS). */
int terminal_send_fd(int sock, int fd, const char *name, ocifs_error *err);
int terminal_recv_fd(int sock, ocifs_error *err);

/* Copies stdin -> master and master -> stdout until the master hangs up
 * and child has exited; puts stdin in raw mode if it is a tty (restored
 * after), forwards SIGWINCH window sizes.  Returns child's wait status. */
int terminal_proxy(int master, pid_t child, int *wait_status, ocifs_error *err);

#endif
