/* A minimal seccomp agent for tests/integration/seccomp.bats.
 *
 *   seccomp_listener SOCKET STATE_FILE ERRNO
 *
 * Listens on the unix socket SOCKET, receives from one connection the
 * seccomp state (written to STATE_FILE) and the notify fd (SCM_RIGHTS),
 * then answers every notification with -ERRNO and appends "nr N" to
 * STATE_FILE.log, until the filter's last user is gone.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/seccomp.h>

static int recv_state(int conn, const char *state_file)
{
	char buf[65536], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
	FILE *f;
	int fd;

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	f = fopen(state_file, "w");
	if (!f)
		return -1;
	fprintf(f, "%s\n", buf);
	fclose(f);
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	char logname[4096];
	int lfd, conn, nfd, err;

	if (argc != 4 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: seccomp_listener SOCKET STATE_FILE ERRNO\n");
		return 2;
	}
	err = atoi(argv[3]);
	snprintf(logname, sizeof(logname), "%s.log", argv[2]);
	strcpy(sa.sun_path, argv[1]);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(argv[1]);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4) < 0) {
		perror("seccomp_listener: listen");
		return 1;
	}
	conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0 || (nfd = recv_state(conn, argv[2])) < 0) {
		fprintf(stderr, "seccomp_listener: no state/fd received\n");
		return 1;
	}
	for (;;) {
		FILE *log;

		struct pollfd pfd = { .fd = nfd, .events = POLLIN };

		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (!(pfd.revents & POLLIN))
			break; /* POLLHUP: the filter has no user left */
		memset(&req, 0, sizeof(req));
		if (ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR)
				continue;
			break; /* ENOENT: the filter has no user left */
		}
		log = fopen(logname, "a");
		if (log) {
			fprintf(log, "nr %d\n", req.data.nr);
			fclose(log);
		}
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		resp.error = -err;
		if (ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
			break;
	}
	return 0;
}
