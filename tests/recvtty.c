/* recvtty — the receiving end of a runtime's --console-socket, for tests.
 *
 *   recvtty SOCKET [OUTFILE]
 *
 * Listens on the unix socket SOCKET, accepts one connection, receives the
 * pseudo-terminal master that the runtime sends with SCM_RIGHTS (as runc
 * does), then copies everything the container writes to its terminal into
 * OUTFILE (default stdout) until the terminal's last slave closes.  Prints
 * nothing else; exits 0 on success, 1 on any error (with a message).
 * SOCKET is unlinked before exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char *sock_path;

static int fail(const char *what)
{
	fprintf(stderr, "recvtty: %s: %s\n", what, strerror(errno));
	if (sock_path)
		unlink(sock_path);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: recvtty SOCKET [OUTFILE]\n");
		return 2;
	}
	int out = STDOUT_FILENO;
	if (argc == 3) {
		out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (out < 0)
			return fail(argv[2]);
	}

	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(argv[1]) >= sizeof addr.sun_path) {
		fprintf(stderr, "recvtty: %s: path too long\n", argv[1]);
		return 1;
	}
	strcpy(addr.sun_path, argv[1]);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return fail("socket");
	unlink(argv[1]);
	if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0)
		return fail(argv[1]);
	sock_path = argv[1];
	if (listen(lfd, 1) < 0)
		return fail("listen");

	int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (cfd < 0)
		return fail("accept");
	close(lfd);
	unlink(sock_path);
	sock_path = NULL;

	char name[4096];
	struct iovec iov = { .iov_base = name, .iov_len = sizeof name };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof u.buf,
	};
	ssize_t n;
	do
		n = recvmsg(cfd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return fail("recvmsg");
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int))) {
		fprintf(stderr, "recvtty: no file descriptor received\n");
		return 1;
	}
	int master;
	memcpy(&master, CMSG_DATA(c), sizeof master);
	close(cfd);
	if (!isatty(master)) {
		fprintf(stderr, "recvtty: received fd is not a terminal\n");
		return 1;
	}

	/* Copy until the slave side is gone: read() then fails with EIO. */
	char buf[4096];
	for (;;) {
		n = read(master, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return fail("write");
			off += w;
		}
	}
	close(master);
	return 0;
}
