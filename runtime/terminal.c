/* config.md "process.terminal": the container's pty (see terminal.h).
 *
 * The pty is opened inside the container's devpts instance (through its
 * /dev/ptmx) so that the slave's path, /dev/pts/N, means something there.
 * The master leaves over a unix socket: one sendmsg with SCM_RIGHTS whose
 * body is the slave's path, as runc does, so consoles written for runc
 * (podman's conmon, containerd's shim, recvtty) work unchanged.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "terminal.h"
#include "ocifs/util.h"

/* ---- the console socket --------------------------------------------- */

int terminal_connect_socket(const char *path, ocifs_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	cleanup_close int fd = -1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return ocifs_error_set(err, ENAMETOOLONG, "console socket %s", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ocifs_error_set(err, errno, "console socket %s: socket", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return ocifs_error_set(err, errno, "console socket %s", path);
	return steal_fd(&fd);
}

int terminal_send_fd(int sock, int fd, const char *name, ocifs_error *err)
{
	/* as runc: the body is the slave's name (one NUL byte without one) */
	const char *body = name && name[0] ? name : "\0";
	size_t len = name && name[0] ? strlen(name) : 1;
	ssize_t n = send_with_fd(sock, fd, body, len);

	if (n < 0)
		return ocifs_error_set(err, errno, "send the pty master over the console socket");
	if ((size_t)n != len)
		return ocifs_error_set(err, EIO, "send the pty master: short write");
	return 0;
}

int terminal_recv_fd(int sock, ocifs_error *err)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char name[4096];
	struct iovec iov = { .iov_base = name, .iov_len = sizeof(name) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	ssize_t n;
	int fd;

	memset(&u, 0, sizeof(u));
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return ocifs_error_set(err, errno, "receive the pty master");
	if (n == 0)
		return ocifs_error_set(err, ECONNRESET,
				       "receive the pty master: the peer closed the socket");
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int)))
		return ocifs_error_set(err, EBADMSG,
				       "receive the pty master: no file descriptor in the message");
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if (msg.msg_flags & MSG_CTRUNC) {
		close(fd);
		return ocifs_error_set(err, EBADMSG, "receive the pty master: control data truncated");
	}
	return fd;
}

/* ---- in the container ----------------------------------------------- */

/* Opens the slave of master; *path gets its name inside the container. */
static int open_slave(int master, char *path, size_t len, ocifs_error *err)
{
	unsigned int n;
	int fd;

	if (ioctl(master, TIOCGPTN, &n) < 0)
		return ocifs_error_set(err, errno, "terminal: TIOCGPTN");
	snprintf(path, len, "/dev/pts/%u", n);
	fd = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno != EINVAL && errno != ENOTTY)
		return ocifs_error_set(err, errno, "terminal: TIOCGPTPEER");
	/* Kernels before 4.13: open by name. */
	fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return ocifs_error_set(err, errno, "terminal: open %s", path);
	return fd;
}

static int bind_console(const char *slave_path, ocifs_error *err)
{
	struct stat st;

	/* The rootfs set-up leaves a regular file there; make one if not. */
	if (lstat("/dev/console", &st) < 0) {
		int fd;

		if (errno != ENOENT)
			return ocifs_error_set(err, errno, "terminal: stat /dev/console");
		fd = open("/dev/console", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0)
			return ocifs_error_set(err, errno, "terminal: create /dev/console");
		close(fd);
	}
	if (mount(slave_path, "/dev/console", NULL, MS_BIND, NULL) < 0)
		return ocifs_error_set(err, errno, "terminal: bind %s on /dev/console", slave_path);
	return 0;
}

/* setsid, TIOCSCTTY, slave onto 0, 1, 2. */
static int become_ctty(int slave, ocifs_error *err)
{
	if (setsid() < 0 && !(errno == EPERM && getsid(0) == getpid()))
		return ocifs_error_set(err, errno, "terminal: setsid");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return ocifs_error_set(err, errno, "terminal: make the pty the controlling terminal");
	for (int i = 0; i <= 2; i++) {
		int r = slave == i ? fcntl(i, F_SETFD, 0) : dup2(slave, i);
		if (r < 0)
			return ocifs_error_set(err, errno, "terminal: dup2 the pty onto fd %d", i);
	}
	return 0;
}

int terminal_setup(const struct oci_process *p, int send_fd, bool bind_console_,
		   ocifs_error *err)
{
	cleanup_close int master = -1;
	cleanup_close int slave = -1;
	char path[64];

	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return ocifs_error_set(err, errno, "terminal: open /dev/ptmx");
	if (unlockpt(master) < 0)
		return ocifs_error_set(err, errno, "terminal: unlockpt");
	slave = open_slave(master, path, sizeof(path), err);
	if (slave < 0)
		return -1;
	if (p->has_console_size) {
		struct winsize ws = { .ws_row = (unsigned short)p->console_height,
				      .ws_col = (unsigned short)p->console_width };
		if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
			return ocifs_error_set(err, errno, "process.consoleSize: TIOCSWINSZ");
	}
	if (bind_console_ && bind_console(path, err) < 0)
		return -1;
	if (terminal_send_fd(send_fd, master, path, err) < 0)
		return -1;
	close(steal_fd(&master));
	if (become_ctty(slave, err) < 0)
		return -1;
	if (slave <= 2)
		slave = -1; /* now one of the stdio fds: keep it open */
	return 0;
}

/* ---- the proxy (in ocirun, foreground with a terminal) --------------- */

struct proxy {
	int master;
	pid_t child;
	int pidfd;            /* -1 when pidfd_open is unavailable */
	int sigfd;            /* SIGWINCH */
	bool stdin_open;
	bool stdout_ok;
	bool master_open;
	bool reaped;
	int status;
	char in[4096];        /* stdin bytes not yet written to the master */
	size_t in_len, in_off;
};

static void copy_winsize(int master)
{
	struct winsize ws;

	/* 0x0 means "unknown" (a pty nobody sized): keep the container's. */
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
		ioctl(master, TIOCSWINSZ, &ws); /* best effort: a resize may race the exit */
}

static int reap(struct proxy *px, int flags, ocifs_error *err)
{
	pid_t r;

	do
		r = waitpid(px->child, &px->status, flags);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return ocifs_error_set(err, errno, "terminal: wait for pid %d", (int)px->child);
	if (r == px->child)
		px->reaped = true;
	return 0;
}

static int on_stdin(struct proxy *px, ocifs_error *err)
{
	ssize_t n = read(STDIN_FILENO, px->in, sizeof(px->in));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n < 0 && errno != EIO)
		return ocifs_error_set(err, errno, "terminal: read stdin");
	if (n <= 0) {
		px->stdin_open = false;
		return 0;
	}
	px->in_len = (size_t)n;
	px->in_off = 0;
	return 0;
}

static int on_master_writable(struct proxy *px, ocifs_error *err)
{
	ssize_t n = write(px->master, px->in + px->in_off, px->in_len - px->in_off);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n < 0) {
		if (errno == EIO) { /* the slave is gone: drop the input */
			px->in_len = px->in_off = 0;
			return 0;
		}
		return ocifs_error_set(err, errno, "terminal: write to the pty");
	}
	px->in_off += (size_t)n;
	if (px->in_off == px->in_len)
		px->in_len = px->in_off = 0;
	return 0;
}

static int on_master_readable(struct proxy *px, ocifs_error *err)
{
	char buf[16384];
	ssize_t n = read(px->master, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n < 0 && errno != EIO)
		return ocifs_error_set(err, errno, "terminal: read the pty");
	if (n <= 0) {
		px->master_open = false;
		return 0;
	}
	/* A closed stdout must not block the container: output is then dropped. */
	if (px->stdout_ok && write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
		px->stdout_ok = false;
	return 0;
}

static void on_winch(struct proxy *px)
{
	struct signalfd_siginfo si;

	while (read(px->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		;
	copy_winsize(px->master);
}

enum { PX_STDIN, PX_MASTER, PX_SIG, PX_CHILD, PX__N };

/* One poll round.  After the child is reaped, 100 ms without output from a
 * pty that a background process keeps open ends the proxy. */
static int proxy_step(struct proxy *px, ocifs_error *err)
{
	struct pollfd fds[PX__N] = {
		[PX_STDIN] = { .fd = px->stdin_open && px->in_len == 0 ? STDIN_FILENO : -1,
			      .events = POLLIN },
		[PX_MASTER] = { .fd = px->master,
			       .events = POLLIN | (px->in_len ? POLLOUT : 0) },
		[PX_SIG] = { .fd = px->sigfd, .events = POLLIN },
		[PX_CHILD] = { .fd = px->reaped ? -1 : px->pidfd, .events = POLLIN },
	};
	int r = poll(fds, PX__N, px->reaped ? 100 : -1);

	if (r < 0)
		return errno == EINTR ? 0 : ocifs_error_set(err, errno, "terminal: poll");
	if (r == 0) {
		px->master_open = false;
		return 0;
	}
	if (fds[PX_SIG].revents & POLLIN)
		on_winch(px);
	if ((fds[PX_CHILD].revents & POLLIN) && reap(px, WNOHANG, err) < 0)
		return -1;
	if (fds[PX_STDIN].revents & (POLLIN | POLLHUP | POLLERR) && on_stdin(px, err) < 0)
		return -1;
	if ((fds[PX_MASTER].revents & POLLOUT) && on_master_writable(px, err) < 0)
		return -1;
	if (fds[PX_MASTER].revents & (POLLIN | POLLHUP | POLLERR))
		return on_master_readable(px, err);
	return 0;
}

/* Blocks SIGWINCH and opens a signalfd for it; *old gets the previous mask. */
static int winch_fd(sigset_t *old, ocifs_error *err)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	if (sigprocmask(SIG_BLOCK, &set, old) < 0)
		return ocifs_error_set(err, errno, "terminal: block SIGWINCH");
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		sigprocmask(SIG_SETMASK, old, NULL);
		return ocifs_error_set(err, e, "terminal: signalfd");
	}
	return fd;
}

static int proxy_run(struct proxy *px, ocifs_error *err)
{
	int fl = fcntl(px->master, F_GETFL);

	if (fl < 0 || fcntl(px->master, F_SETFL, fl | O_NONBLOCK) < 0)
		return ocifs_error_set(err, errno, "terminal: make the pty master non-blocking");
	copy_winsize(px->master);
	while (px->master_open)
		if (proxy_step(px, err) < 0)
			return -1;
	if (!px->reaped && reap(px, 0, err) < 0)
		return -1;
	return 0;
}

int terminal_proxy(int master, pid_t child, int *wait_status, ocifs_error *err)
{
	struct proxy px = { .master = master, .child = child, .stdin_open = true,
			    .stdout_ok = true, .master_open = true };
	struct termios saved, raw;
	bool restore = false;
	sigset_t old;
	int ret;

	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0)
			return ocifs_error_set(err, errno, "terminal: raw mode on stdin");
		restore = true;
	}
	px.sigfd = winch_fd(&old, err);
	if (px.sigfd < 0) {
		if (restore)
			tcsetattr(STDIN_FILENO, TCSANOW, &saved);
		return -1;
	}
	px.pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	ret = proxy_run(&px, err);
	if (px.pidfd >= 0)
		close(px.pidfd);
	close(px.sigfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (restore)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	if (ret == 0)
		*wait_status = px.status;
	return ret;
}
