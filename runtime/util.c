/* Small helpers shared by the engine (see util.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ocifs/util.h"

static void oom(void)
{
	static const char msg[] = "ocifs: out of memory\n";
	ssize_t r = write(2, msg, sizeof(msg) - 1);
	(void)r;
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		oom();
	return d;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		oom();
	return s;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int read_fd_all(int fd, char **out, size_t *len, ocifs_error *err)
{
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap);

	for (;;) {
		ssize_t r;
		if (n + 1 >= cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return ocifs_error_set(err, errno, "read");
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

int read_file(const char *path, char **out, size_t *len, ocifs_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return ocifs_error_set(err, errno, "open %s", path);
	if (read_fd_all(fd, out, len, err) < 0)
		return ocifs_error_prefix(err, "%s", path);
	return 0;
}

int write_file(const char *path, const char *data, ocifs_error *err)
{
	cleanup_close int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);

	if (fd < 0)
		return ocifs_error_set(err, errno, "open %s", path);
	if (write_all(fd, data, strlen(data)) < 0)
		return ocifs_error_set(err, errno, "write %s", path);
	return 0;
}

int write_file_atomic(const char *dir, const char *name, const char *data,
		      size_t len, mode_t mode, ocifs_error *err)
{
	cleanup_free char *tmp = xasprintf("%s/.%s.tmp.%d", dir, name, (int)getpid());
	cleanup_free char *dst = xasprintf("%s/%s", dir, name);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0)
		return ocifs_error_set(err, errno, "create %s", tmp);
	if (write_all(fd, data, len) < 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		return ocifs_error_set(err, e, "write %s", tmp);
	}
	if (close(fd) < 0) {
		int e = errno;
		unlink(tmp);
		return ocifs_error_set(err, e, "close %s", tmp);
	}
	if (rename(tmp, dst) < 0) {
		int e = errno;
		unlink(tmp);
		return ocifs_error_set(err, e, "rename %s", dst);
	}
	return 0;
}

int mkdir_p(const char *path, mode_t mode, ocifs_error *err)
{
	cleanup_free char *p = xstrdup(path);

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return ocifs_error_set(err, errno, "mkdir %s", p);
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return ocifs_error_set(err, errno, "mkdir %s", p);
	return 0;
}

const char *proc_stat_read(pid_t pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	char *p;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p + 2 : NULL;
}

const char *proc_stat_field(const char *f3, int n)
{
	for (int field = 3; field < n && f3; field++) {
		f3 = strchr(f3, ' ');
		if (f3)
			f3++;
	}
	return f3;
}

unsigned long long proc_start_time(pid_t pid)
{
	char buf[1024];
	const char *p = proc_stat_field(proc_stat_read(pid, buf, sizeof(buf)), 22);
	unsigned long long start = 0;

	/* a zombie still has a start time; callers treat zombies as stopped */
	if (!p || sscanf(p, "%llu", &start) != 1)
		return 0;
	return start;
}

long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int write_pid_file(const char *path, pid_t pid, ocifs_error *err)
{
	cleanup_free char *copy = xstrdup(path);
	cleanup_free char *text = xasprintf("%d", (int)pid);
	char *slash = strrchr(copy, '/');
	const char *dir = ".", *name = copy;

	if (slash) {
		*slash = '\0';
		dir = slash == copy ? "/" : copy;
		name = slash + 1;
	}
	if (write_file_atomic(dir, name, text, strlen(text), 0644, err) < 0)
		return ocifs_error_prefix(err, "pid file %s", path);
	return 0;
}

ssize_t send_with_fd(int sock, int fd, const void *body, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)body, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	ssize_t n;

	memset(&u, 0, sizeof(u));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n;
}

long parse_uint_n(const char *s, size_t len, long max)
{
	long v = 0;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
		if (v > max)
			return -1;
	}
	return v;
}
