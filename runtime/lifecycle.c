/* start, kill, delete, stop, ps: operations on an existing container. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "container.h"
#include "hooks.h"
#include "state.h"
#include "ocifs/util.h"

/* A locked container: its dir fd (holding the flock), record, status. */
struct locked {
	int fd;
	struct state_rec rec;
	enum ocifs_status status;
};

static int lock_container(const char *root, const char *id, struct locked *l,
			  ocifs_error *err)
{
	l->fd = state_lock(root, id, err);
	if (l->fd < 0)
		return -1;
	if (state_read(root, id, &l->rec, err) < 0) {
		close(l->fd);
		l->fd = -1;
		return -1;
	}
	l->status = state_status(&l->rec);
	return 0;
}

static void unlock_container(struct locked *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	state_rec_clear(&l->rec);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Signals the init after checking it is still the same process (a pidfd
 * pins it between the check and the signal). */
static int signal_init(const struct state_rec *r, int sig, ocifs_error *err)
{
	int pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
	int ret = 0;

	if (pidfd < 0) {
		if (errno == ESRCH)
			return 0;
		return ocifs_error_set(err, errno, "pidfd_open %d", (int)r->pid);
	}
	if (pid_is_alive(r->pid, r->start_time) &&
	    syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 && errno != ESRCH)
		ret = ocifs_error_set(err, errno, "signal %d to pid %d", sig, (int)r->pid);
	close(pidfd);
	return ret;
}

/* Waits up to timeout_ms for the init to die; reaps it if it is our child. */
static bool wait_init_gone(const struct state_rec *r, long timeout_ms)
{
	long long end = now_ms() + timeout_ms;

	for (;;) {
		waitpid(r->pid, NULL, WNOHANG);
		if (!pid_is_alive(r->pid, r->start_time))
			return true;
		if (now_ms() >= end)
			return false;
		sleep_ms(5);
	}
}

static int destroy_locked(const char *root, struct locked *l, bool force, ocifs_error *err);

static int start_handshake(const char *root, const struct state_rec *r,
			   const char *state, ocifs_error *err)
{
	cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cleanup_free char *path = xasprintf("%s/%s/init.sock", root, r->id);
	cleanup_free char *reply = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	cleanup_close int dirfd = -1;
	size_t len = 0;

	if (fd < 0)
		return ocifs_error_set(err, errno, "socket");
	dirfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return ocifs_error_set(err, errno, "open %s", root);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s/init.sock", dirfd, r->id);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return ocifs_error_set(err, errno, "container init is gone (%s)", path);
	if (write_all(fd, state, strlen(state)) < 0 && errno != EPIPE)
		return ocifs_error_set(err, errno, "send start request");
	shutdown(fd, SHUT_WR);
	if (read_fd_all(fd, &reply, &len, err) < 0)
		return ocifs_error_prefix(err, "start reply");
	if (len > 0)
		return ocifs_error_set(err, 0, "%s", reply);
	return 0;
}

int ocifs_start(const char *root, const char *id, ocifs_error *err)
{
	struct locked l;
	struct oci_config *cfg = NULL;
	cleanup_free char *state = NULL;
	int ret = -1;

	if (lock_container(root, id, &l, err) < 0)
		return -1;
	if (l.status != OCIFS_CREATED) {
		ocifs_error_set(err, EBUSY, "container is %s, not created",
				ocifs_status_name(l.status));
		goto out;
	}
	if (state_load_config(root, id, &cfg, err) < 0)
		goto out;
	if (!cfg->process) {
		ocifs_error_set(err, EINVAL, "process: the config has no process to start");
		goto out;
	}
	/* marked first: from the exec on, nobody may see "created" */
	l.rec.started = true;
	if (state_write(root, &l.rec, err) < 0)
		goto out;
	state = hook_state_json(id, OCIFS_CREATED, l.rec.pid, l.rec.bundle, cfg);
	if (start_handshake(root, &l.rec, state, err) < 0) {
		/* runtime.md: a failed startContainer hook (or exec) stops the
		 * container, which is then destroyed and the poststop hooks run */
		ocifs_error ignored;
		l.status = OCIFS_STOPPED;
		destroy_locked(root, &l, true, &ignored);
		goto out;
	}
	{
		cleanup_free char *sock = xasprintf("%s/%s/init.sock", root, id);
		unlink(sock);
	}
	free(state);
	state = hook_state_json(id, OCIFS_RUNNING, l.rec.pid, l.rec.bundle, cfg);
	hooks_run(&cfg->hooks[OCI_HOOK_POSTSTART], "poststart", state, false, err);
	ret = 0;
out:
	ocifs_config_free(cfg);
	unlock_container(&l);
	return ret;
}

int ocifs_kill(const char *root, const char *id, int sig, bool all, ocifs_error *err)
{
	struct locked l;
	int ret = -1;

	if (sig <= 0 || sig >= 65)
		return ocifs_error_set(err, EINVAL, "invalid signal %d", sig);
	if (lock_container(root, id, &l, err) < 0)
		return -1;
	if (l.status == OCIFS_STOPPED || l.status == OCIFS_CREATING) {
		ocifs_error_set(err, EBUSY, "container is %s, not running",
				ocifs_status_name(l.status));
		goto out;
	}
	if (all && l.rec.cgroup)
		ret = cgroup_signal_all(l.rec.cgroup, sig, err);
	else
		ret = signal_init(&l.rec, sig, err);
out:
	unlock_container(&l);
	return ret;
}

/* Kills every process of the container and waits for the init to go. */
static int kill_everything(struct locked *l, ocifs_error *err)
{
	if (l->rec.cgroup && cgroup_signal_all(l->rec.cgroup, SIGKILL, err) < 0)
		return -1;
	if (l->rec.pid > 0 && signal_init(&l->rec, SIGKILL, err) < 0)
		return -1;
	if (l->rec.pid > 0 && !wait_init_gone(&l->rec, 10000))
		return ocifs_error_set(err, EBUSY, "init %d did not die", (int)l->rec.pid);
	return 0;
}

static int destroy_locked(const char *root, struct locked *l, bool force, ocifs_error *err)
{
	struct oci_config *cfg = NULL;
	ocifs_error cfg_err;
	cleanup_free char *state = NULL;

	if (l->status != OCIFS_STOPPED && !force)
		return ocifs_error_set(err, EBUSY, "container is %s, not stopped",
				       ocifs_status_name(l->status));
	if (kill_everything(l, err) < 0)
		return -1;
	if (l->rec.cgroup && cgroup_destroy(l->rec.cgroup, err) < 0)
		return -1;
	if (state_load_config(root, l->rec.id, &cfg, &cfg_err) < 0)
		cfg = NULL;
	if (state_remove(root, l->rec.id, err) < 0) {
		ocifs_config_free(cfg);
		return -1;
	}
	if (cfg) {
		ocifs_error ignored;
		state = hook_state_json(l->rec.id, OCIFS_STOPPED, 0, l->rec.bundle, cfg);
		hooks_run(&cfg->hooks[OCI_HOOK_POSTSTOP], "poststop", state, false, &ignored);
		ocifs_config_free(cfg);
	}
	return 0;
}

int ocifs_delete(const char *root, const char *id, bool force, ocifs_error *err)
{
	struct locked l;
	int ret;

	if (lock_container(root, id, &l, err) < 0)
		return -1;
	ret = destroy_locked(root, &l, force, err);
	unlock_container(&l);
	return ret;
}

int ocifs_stop(const char *root, const char *id, int grace_ms, ocifs_error *err)
{
	struct locked l;
	int ret = -1;

	if (lock_container(root, id, &l, err) < 0)
		return -1;
	if (l.status != OCIFS_RUNNING && l.status != OCIFS_PAUSED) {
		ocifs_error_set(err, EBUSY, "container is %s, not running",
				ocifs_status_name(l.status));
		goto out;
	}
	if (l.status == OCIFS_PAUSED && cgroup_freeze(l.rec.cgroup, false, err) < 0)
		goto out;
	if (signal_init(&l.rec, SIGTERM, err) < 0)
		goto out;
	wait_init_gone(&l.rec, grace_ms);
	ret = destroy_locked(root, &l, true, err);
out:
	unlock_container(&l);
	return ret;
}

static int set_frozen(const char *root, const char *id, bool frozen, ocifs_error *err)
{
	enum ocifs_status want = frozen ? OCIFS_RUNNING : OCIFS_PAUSED;
	struct locked l;
	int ret = -1;

	if (lock_container(root, id, &l, err) < 0)
		return -1;
	if (l.status != want)
		ocifs_error_set(err, EBUSY, "container is %s, not %s",
				ocifs_status_name(l.status), ocifs_status_name(want));
	else if (!l.rec.cgroup)
		ocifs_error_set(err, EINVAL, "container has no cgroup to freeze");
	else
		ret = cgroup_freeze(l.rec.cgroup, frozen, err);
	unlock_container(&l);
	return ret;
}

int ocifs_pause(const char *root, const char *id, ocifs_error *err)
{
	return set_frozen(root, id, true, err);
}

int ocifs_resume(const char *root, const char *id, ocifs_error *err)
{
	return set_frozen(root, id, false, err);
}

int ocifs_ps(const char *root, const char *id, pid_t **pids, size_t *n, ocifs_error *err)
{
	struct state_rec r;
	int ret = 0;

	*pids = NULL;
	*n = 0;
	if (state_read(root, id, &r, err) < 0)
		return -1;
	if (r.cgroup)
		ret = cgroup_pids(r.cgroup, pids, n, err);
	else if (state_status(&r) != OCIFS_STOPPED) {
		*pids = xmalloc(sizeof(pid_t));
		(*pids)[0] = r.pid;
		*n = 1;
	}
	state_rec_clear(&r);
	return ret;
}

int ocifs_record_exit(const char *root, const char *id, pid_t pid, int exit_status,
		      ocifs_error *err)
{
	struct locked l;
	int ret = 0;

	if (lock_container(root, id, &l, err) < 0)
		return -1;
	if (l.rec.pid == pid && !l.rec.has_exit_status) {
		l.rec.has_exit_status = true;
		l.rec.exit_status = exit_status;
		ret = state_write(root, &l.rec, err);
	}
	unlock_container(&l);
	return ret;
}

char *ocifs_log_path(const char *root, const char *id)
{
	return xasprintf("%s/%s/log", root, id);
}
