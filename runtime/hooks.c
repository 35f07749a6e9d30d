/* OCI hooks (runtime.md "Lifecycle", config.md "POSIX-platform Hooks").
 *
 * Each hook is forked and exec'd with the state JSON on a pipe as its
 * stdin.  The parent feeds the pipe without blocking and watches the child
 * through a pidfd in one poll(2) loop, so a hook that never reads stdin can
 * neither wedge the runtime (non-blocking writes) nor kill it (SIGPIPE is
 * blocked around the writes and a pending one consumed), and a timeout is
 * honoured to the millisecond even while the state is still being written.
 * exec(2) failures come back over a close-on-exec pipe.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"
#include "ocifs/util.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* Hook failures that are not a syscall error carry this code. */
#define HOOK_FAILED_CODE EIO

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void close_from(int lowfd)
{
	if (close_range((unsigned)lowfd, ~0U, 0) == 0)
		return;
	/* No close_range (kernel < 5.9): the slow way, still async-signal-safe. */
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = lowfd; fd < max; fd++)
		close(fd);
}

/* In the forked child: only async-signal-safe calls from here on (the
 * caller may be a multi-threaded process). */
static void __attribute__((noreturn))
hook_child(int rd, int errfd, const char *path, char *const argv[], char *const envp[])
{
	struct sigaction dfl;
	sigset_t none;
	int e;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++) {
		if (s != SIGKILL && s != SIGSTOP)
			sigaction(s, &dfl, NULL); /* glibc-internal signals fail: fine */
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	/* Keep the error pipe out of the way of fds 0..2. */
	if (errfd < 3) {
		int nfd = fcntl(errfd, F_DUPFD_CLOEXEC, 3);
		if (nfd < 0)
			goto fail;
		errfd = nfd;
	}
	/* stdin = the state pipe */
	if (rd == 0) {
		if (fcntl(0, F_SETFD, 0) < 0)
			goto fail;
	} else if (dup2(rd, 0) < 0) {
		goto fail;
	}
	/* stdout = the runtime's stderr (or closed when that is closed) */
	if (dup2(2, 1) < 0)
		close(1);
	if (errfd != 3) {
		if (dup3(errfd, 3, O_CLOEXEC) < 0)
			goto fail;
		errfd = 3;
	}
	close_from(4);

	execve(path, argv, envp);
fail:
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0) {
		/* nothing left to report with */
	}
	_exit(127);
}

static void kill_and_reap(pid_t pid, int pidfd)
{
	int st;

	if (pidfd < 0 || syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

struct feed {
	const char *data;
	size_t len, off;
	int fd;          /* write end of the stdin pipe, -1 once closed */
	bool epipe;      /* the hook closed its stdin before reading it all */
};

static void feed_close(struct feed *f)
{
	if (f->fd >= 0) {
		close(f->fd);
		f->fd = -1;
	}
}

/* Writes as much as the pipe takes now.  Any failure (EPIPE: the hook is
 * gone or closed stdin) just ends the feeding: not reading stdin is the
 * hook's business. */
static void feed_some(struct feed *f)
{
	while (f->fd >= 0 && f->off < f->len) {
		ssize_t w = write(f->fd, f->data + f->off, f->len - f->off);
		if (w > 0) {
			f->off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (w < 0 && errno == EPIPE)
			f->epipe = true;
		feed_close(f);
		return;
	}
	if (f->off >= f->len)
		feed_close(f); /* EOF for the hook */
}

/* Feeds the state and waits for the hook to exit (or the deadline).
 * Returns 0 and the wait status, or -1 with *err set (the child is reaped
 * either way). */
static int feed_and_wait(pid_t pid, int pidfd, struct feed *f, const struct oci_hook *h,
			 const char *kind, int *status, ocifs_error *err)
{
	long long deadline = h->has_timeout ? now_ms() + (long long)h->timeout * 1000 : -1;
	sigset_t pipeset, oldmask, pending;
	bool was_pending;
	int ret = 0;

	/* SIGPIPE from a write to a pipe is sent to the writing thread: block
	 * it here, and remember whether one was already pending (not ours). */
	sigemptyset(&pipeset);
	sigaddset(&pipeset, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipeset, &oldmask);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE) == 1;

	if (fcntl(f->fd, F_SETFL, O_NONBLOCK) < 0)
		feed_close(f);
	feed_some(f);

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = pidfd, .events = POLLIN },
			{ .fd = f->fd, .events = POLLOUT },
		};
		int timeout = -1, r;

		if (deadline >= 0) {
			long long left = deadline - now_ms();
			timeout = left > 0 ? (int)left : 0;
		}
		r = poll(p, f->fd >= 0 ? 2 : 1, timeout);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = ocifs_error_set(err, errno, "%s hook %s: poll", kind, h->path);
			kill_and_reap(pid, pidfd);
			break;
		}
		if (r == 0) {
			kill_and_reap(pid, pidfd);
			ret = ocifs_error_set(err, 0, "%s hook %s: timed out after %d s", kind,
					      h->path, h->timeout);
			err->code = ETIMEDOUT;
			break;
		}
		if (f->fd >= 0 && p[1].revents)
			feed_some(f);
		if (p[0].revents) {
			feed_close(f);
			while ((r = waitpid(pid, status, 0)) < 0 && errno == EINTR)
				;
			if (r < 0)
				ret = ocifs_error_set(err, errno, "%s hook %s: wait", kind, h->path);
			break;
		}
	}
	feed_close(f);

	if (f->epipe && !was_pending) {
		struct timespec zero = { 0, 0 };
		while (sigtimedwait(&pipeset, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	return ret;
}

static int run_one(const struct oci_hook *h, const char *kind, const char *state,
		   ocifs_error *err)
{
	cleanup_free char **argv = NULL;
	cleanup_free char **envp = NULL;
	cleanup_close int pidfd = -1;
	int in[2], ep[2], e, status = 0;
	struct feed f;
	ssize_t n;
	pid_t pid;

	if (!h->path || h->path[0] != '/')
		return ocifs_error_set(err, 0, "%s hook %s: path is not absolute", kind,
				       h->path ? h->path : "(null)");

	/* argv/envp are built before fork: the child may not allocate. */
	if (h->args && h->n_args > 0) {
		argv = xcalloc(h->n_args + 1, sizeof(*argv));
		for (size_t i = 0; i < h->n_args; i++)
			argv[i] = h->args[i];
	} else {
		argv = xcalloc(2, sizeof(*argv));
		argv[0] = h->path;
	}
	envp = xcalloc(h->n_env + 1, sizeof(*envp));
	for (size_t i = 0; i < h->n_env && h->env; i++)
		envp[i] = h->env[i];

	if (pipe2(in, O_CLOEXEC) < 0)
		return ocifs_error_set(err, errno, "%s hook %s: pipe", kind, h->path);
	if (pipe2(ep, O_CLOEXEC) < 0) {
		e = errno;
		close(in[0]);
		close(in[1]);
		return ocifs_error_set(err, e, "%s hook %s: pipe", kind, h->path);
	}
	pid = fork();
	if (pid < 0) {
		e = errno;
		close(in[0]);
		close(in[1]);
		close(ep[0]);
		close(ep[1]);
		return ocifs_error_set(err, e, "%s hook %s: fork", kind, h->path);
	}
	if (pid == 0) {
		close(in[1]);
		close(ep[0]);
		hook_child(in[0], ep[1], h->path, argv, envp);
	}
	close(in[0]);
	close(ep[1]);

	/* EOF = exec succeeded; an int = errno of the failed exec. */
	while ((n = read(ep[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(ep[0]);
	if (n == (ssize_t)sizeof(e)) {
		int st;
		close(in[1]);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		return ocifs_error_set(err, e, "%s hook %s", kind, h->path);
	}

	pidfd = pidfd_open_(pid);
	if (pidfd < 0) {
		e = errno;
		close(in[1]);
		kill_and_reap(pid, -1);
		return ocifs_error_set(err, e, "%s hook %s: pidfd_open", kind, h->path);
	}

	f.data = state ? state : "";
	f.len = strlen(f.data);
	f.off = 0;
	f.fd = in[1];
	f.epipe = false;
	if (feed_and_wait(pid, pidfd, &f, h, kind, &status, err) < 0)
		return -1;

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		ocifs_error_set(err, 0, "%s hook %s: exit status %d", kind, h->path,
				WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		ocifs_error_set(err, 0, "%s hook %s: killed by signal %d", kind, h->path,
				WTERMSIG(status));
	else
		ocifs_error_set(err, 0, "%s hook %s: wait status 0x%x", kind, h->path, status);
	err->code = HOOK_FAILED_CODE;
	return -1;
}

int hooks_run(const struct oci_hook_list *list, const char *kind_name,
	      const char *state_json, bool stop_on_error, ocifs_error *err)
{
	const char *kind = kind_name ? kind_name : "hook";

	if (!list)
		return 0;
	for (size_t i = 0; i < list->n; i++) {
		ocifs_error e;

		ocifs_error_clear(&e);
		if (run_one(&list->v[i], kind, state_json, &e) == 0)
			continue;
		if (stop_on_error) {
			*err = e;
			return -1;
		}
		fprintf(stderr, "ocirun: %s\n", e.msg);
	}
	return 0;
}
