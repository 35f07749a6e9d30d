/* create: reserve the id, freeze the config, spawn and drive the init
 * (protocol in container.h). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "container.h"
#include "hooks.h"
#include "idmap.h"
#include "seccomp_filter.h"
#include "state.h"
#include "terminal.h"
#include "ocifs/util.h"

int sync_send(int fd, char tag, const char *payload)
{
	size_t n = strlen(payload);
	char *buf = xmalloc(n + 1);
	ssize_t w;

	buf[0] = tag;
	memcpy(buf + 1, payload, n);
	do
		w = send(fd, buf, n + 1, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	free(buf);
	return w < 0 ? -1 : 0;
}

int sync_recv(int fd, char *tag, char *payload, size_t cap)
{
	char head[OCIFS_ERROR_MSG_MAX + 2];
	char *buf = payload ? payload : head;
	size_t size = payload ? cap : sizeof(head);
	ssize_t n;

	do
		n = recv(fd, buf, size - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	*tag = n > 0 ? buf[0] : 0;
	if (n > 0)
		memmove(buf, buf + 1, (size_t)n - 1);
	buf[n > 0 ? n - 1 : 0] = '\0';
	return 0;
}

static json_t *annotations_object(const struct oci_config *cfg)
{
	json_t *o = json_object();

	for (size_t i = 0; cfg && i < cfg->n_annotations; i++)
		json_object_set_new(o, cfg->annotations[i].key,
				    json_string(cfg->annotations[i].value));
	return o;
}

char *hook_state_json(const char *id, enum ocifs_status status, pid_t pid,
		      const char *bundle, const struct oci_config *cfg)
{
	json_t *ann = annotations_object(cfg);
	struct ocifs_state st = {
		.id = (char *)id, .status = status, .pid = pid, .bundle = (char *)bundle,
		.annotations_json = json_dumps(ann, JSON_COMPACT),
	};
	char *text = ocifs_state_json(&st);

	free(st.annotations_json);
	json_decref(ann);
	return text;
}

void ocifs_create_opts_init(struct ocifs_create_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->console_socket_fd = -1;
	o->stdio[0] = o->stdio[1] = o->stdio[2] = -1;
}

/* Refusals that need the whole config and the options together. */
static int preflight(const struct oci_config *cfg, const struct ocifs_create_opts *o,
		     ocifs_error *err)
{
	bool mnt = ocifs_config_namespace(cfg, OCI_NS_MOUNT) != NULL;
	const struct oci_namespace *uts = ocifs_config_namespace(cfg, OCI_NS_UTS);

	if (!cfg->root_path)
		return ocifs_error_set(err, EINVAL, "root: required on Linux");
	if (cfg->process && cfg->process->terminal && !o->console_socket &&
	    o->console_socket_fd < 0)
		return ocifs_error_set(err, EINVAL, "process.terminal: true needs --console-socket");
	if ((cfg->hostname || cfg->domainname) && (!uts || uts->path))
		return ocifs_error_set(err, EINVAL, "%s: needs a new uts namespace",
				       cfg->hostname ? "hostname" : "domainname");
	if (cfg->n_mounts && !mnt)
		return ocifs_error_set(err, EINVAL, "mounts: need a mount namespace");
	if (o->preserve_fds < 0)
		return ocifs_error_set(err, EINVAL, "--preserve-fds: must not be negative");
	return 0;
}

static char *resolve_rootfs(const char *bundle, const struct oci_config *cfg, ocifs_error *err)
{
	cleanup_free char *p = cfg->root_path[0] == '/' ? xstrdup(cfg->root_path)
						       : xasprintf("%s/%s", bundle, cfg->root_path);
	char *real = realpath(p, NULL);
	struct stat st;

	if (!real) {
		ocifs_error_set(err, errno, "root.path: %s", p);
		return NULL;
	}
	if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
		free(real);
		ocifs_error_set(err, ENOTDIR, "root.path: %s", p);
		return NULL;
	}
	return real;
}

struct create_run {
	const char *root;
	const struct ocifs_create_opts *o;
	struct oci_config *cfg;
	char *bundle;
	char *rootfs;
	char *dir;
	struct state_rec rec;
	struct ns_plan plan;
	int sv[2];
	int listen_fd;
	int console_fd;
	int lock_fd;    /* ROOT/ID, flocked: the init must not keep it */
	int log_fd;     /* ROOT/ID/log when capture_log, else -1 */
	int null_fd;
	pid_t pid;
};

static int listen_init_sock(struct create_run *r, int dirfd, ocifs_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	/* bound through the dir fd: the root's path may be longer than sun_path */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/init.sock", dirfd);
	r->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (r->listen_fd < 0)
		return ocifs_error_set(err, errno, "socket");
	if (bind(r->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return ocifs_error_set(err, errno, "bind %s/init.sock", r->dir);
	if (listen(r->listen_fd, 1) < 0)
		return ocifs_error_set(err, errno, "listen %s/init.sock", r->dir);
	return 0;
}

/* The container's output file: append-only, kept with the state. */
static int open_log(struct create_run *r, int dirfd, ocifs_error *err)
{
	r->log_fd = openat(dirfd, "log", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (r->log_fd < 0)
		return ocifs_error_set(err, errno, "create %s/log", r->dir);
	r->null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (r->null_fd < 0)
		return ocifs_error_set(err, errno, "open /dev/null");
	return 0;
}

static int open_console(struct create_run *r, ocifs_error *err)
{
	r->console_fd = -1;
	if (!r->cfg->process || !r->cfg->process->terminal)
		return 0;
	if (r->o->console_socket_fd >= 0) {
		r->console_fd = fcntl(r->o->console_socket_fd, F_DUPFD_CLOEXEC, 3);
		if (r->console_fd < 0)
			return ocifs_error_set(err, errno, "console socket fd");
		return 0;
	}
	r->console_fd = terminal_connect_socket(r->o->console_socket, err);
	return r->console_fd < 0 ? -1 : 0;
}

__attribute__((noreturn)) static void run_init(struct create_run *r)
{
	struct init_ctx c = {
		.cfg = r->cfg, .bundle = r->bundle, .rootfs = r->rootfs, .id = r->o->id,
		.plan = &r->plan, .sync_fd = r->sv[1], .listen_fd = r->listen_fd,
		.console_fd = r->console_fd, .preserve_fds = r->o->preserve_fds,
		.self_cgroup = r->plan.new_user ? NULL : r->rec.cgroup,
		.no_pivot = r->o->no_pivot, .no_new_keyring = r->o->no_new_keyring,
		.seccomp_cache = scf_cache_dir(r->root),
	};

	close(r->sv[0]);
	close(r->lock_fd);
	memcpy(c.stdio, r->o->stdio, sizeof(c.stdio));
	if (r->log_fd >= 0) {
		c.stdio[0] = r->null_fd;
		c.stdio[1] = c.stdio[2] = r->log_fd;
	}
	init_main(&c);
}

static int set_oom_score(pid_t pid, const struct oci_config *cfg, ocifs_error *err)
{
	char path[64], val[32];

	if (!cfg->process || !cfg->process->has_oom_score_adj)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
	snprintf(val, sizeof(val), "%d", cfg->process->oom_score_adj);
	if (write_file(path, val, err) < 0)
		return ocifs_error_prefix(err, "process.oomScoreAdj");
	return 0;
}

/* Before the init exists: make and configure the cgroup, and open its
 * cgroup2 directory so the init is born there.  With a new user namespace
 * the init cannot write the host's cgroup files, so the runtime moves it
 * (slow path) in enter_cgroup. */
static int prepare_cgroup(struct create_run *r, ocifs_error *err)
{
	ocifs_error none;
	int use;

	r->rec.cgroup = cgroup_path_for(r->cfg, r->o->id);
	use = cgroup_rootless_check(r->rec.cgroup, r->cfg, err);
	if (use <= 0) { /* rootless without a writable cgroup tree */
		free(r->rec.cgroup);
		r->rec.cgroup = NULL;
		return use;
	}
	if (r->plan.new_user)
		return 0;
	if (cgroup_create(r->rec.cgroup, r->cfg, 0, err) < 0)
		return -1;
	r->plan.cgroup_fd = cgroup_open_unified(r->rec.cgroup, &none);
	return 0;
}

/* After the clone: whatever prepare_cgroup could not arrange. */
static int enter_cgroup(struct create_run *r, ocifs_error *err)
{
	if (!r->rec.cgroup)
		return 0;
	if (r->plan.new_user)
		return cgroup_create(r->rec.cgroup, r->cfg, r->pid, err);
	if (r->plan.cgroup_fd >= 0 && !r->plan.cloned_into_cgroup)
		return cgroup_enter(r->rec.cgroup, r->pid, err);
	return 0;
}

/* Runs the runtime's half of the create protocol once the init exists. */
static int drive_init(struct create_run *r, ocifs_error *err)
{
	char *msg = xmalloc(OCIFS_ERROR_MSG_MAX + 2);
	cleanup_free char *state = NULL;
	char tag = 0;
	int ret = -1;

	if (r->plan.new_user && ns_write_id_maps(r->pid, r->cfg, err) < 0)
		goto out;
	/* needs the maps written, and the host's privileges (see idmap.c) */
	if (idmap_send_mounts(r->sv[0], r->cfg, r->bundle, r->pid, err) < 0)
		goto out;
	if (set_oom_score(r->pid, r->cfg, err) < 0)
		goto out;
	if (enter_cgroup(r, err) < 0)
		goto out;
	r->rec.pid = r->pid;
	r->rec.start_time = proc_start_time(r->pid);
	if (state_write(r->root, &r->rec, err) < 0 || sync_send(r->sv[0], 'G', "") < 0)
		goto out;
	if (sync_recv(r->sv[0], &tag, msg, OCIFS_ERROR_MSG_MAX + 2) < 0 || tag != 'H')
		goto init_failed;
	state = hook_state_json(r->o->id, OCIFS_CREATING, r->pid, r->bundle, r->cfg);
	if (hooks_run(&r->cfg->hooks[OCI_HOOK_PRESTART], "prestart", state, true, err) < 0 ||
	    hooks_run(&r->cfg->hooks[OCI_HOOK_CREATE_RUNTIME], "createRuntime", state, true, err) < 0)
		goto out;
	if (sync_send(r->sv[0], 'G', state) < 0)
		goto out;
	if (sync_recv(r->sv[0], &tag, msg, OCIFS_ERROR_MSG_MAX + 2) < 0 || tag != 'R')
		goto init_failed;
	ret = 0;
	goto out;
init_failed:
	if (tag == 'E')
		ocifs_error_set(err, 0, "%s", msg);
	else
		ocifs_error_set(err, EIO, "container init exited during set-up");
out:
	free(msg);
	return ret;
}

/* A create that failed once the init existed: the container is destroyed
 * and, as runtime.md asks after a failed hook, the poststop hooks run. */
static void undo_spawn(struct create_run *r)
{
	cleanup_free char *state = NULL;
	ocifs_error ignored;

	if (r->pid > 0) {
		kill(r->pid, SIGKILL);
		while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (r->rec.cgroup)
		cgroup_destroy(r->rec.cgroup, &ignored);
	if (r->pid <= 0)
		return;
	state = hook_state_json(r->o->id, OCIFS_STOPPED, 0, r->bundle, r->cfg);
	hooks_run(&r->cfg->hooks[OCI_HOOK_POSTSTOP], "poststop", state, false, &ignored);
}

static int spawn_and_build(struct create_run *r, int dirfd, ocifs_error *err)
{
	if (ns_plan_build(r->cfg, &r->plan, err) < 0)
		return -1;
	r->lock_fd = dirfd;
	if (r->o->capture_log && open_log(r, dirfd, err) < 0)
		return -1;
	if (listen_init_sock(r, dirfd, err) < 0 || open_console(r, err) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, r->sv) < 0)
		return ocifs_error_set(err, errno, "socketpair");
	if (prepare_cgroup(r, err) < 0)
		return -1;
	r->pid = ns_spawn(&r->plan, r->sv[1], r->sv[0], err);
	if (r->pid < 0) {
		r->pid = 0;
		undo_spawn(r);
		return -1;
	}
	if (r->pid == 0)
		run_init(r);
	close(r->sv[1]);
	r->sv[1] = -1;
	if (drive_init(r, err) < 0) {
		undo_spawn(r);
		return -1;
	}
	if (r->o->pid_file && write_pid_file(r->o->pid_file, r->pid, err) < 0) {
		undo_spawn(r);
		return -1;
	}
	r->rec.creator = 0;
	r->rec.creator_start = 0;
	if (state_write(r->root, &r->rec, err) < 0) {
		undo_spawn(r);
		return -1;
	}
	return 0;
}

static void create_run_release(struct create_run *r)
{
	ns_plan_release(&r->plan);
	for (int i = 0; i < 2; i++)
		if (r->sv[i] >= 0)
			close(r->sv[i]);
	if (r->listen_fd >= 0)
		close(r->listen_fd);
	if (r->console_fd >= 0)
		close(r->console_fd);
	if (r->log_fd >= 0)
		close(r->log_fd);
	if (r->null_fd >= 0)
		close(r->null_fd);
	ocifs_config_free(r->cfg);
	free(r->bundle);
	free(r->rootfs);
	free(r->dir);
	state_rec_clear(&r->rec);
}

static int load_bundle(struct create_run *r, char **text, size_t *len, ocifs_error *err)
{
	cleanup_free char *path = NULL;

	r->bundle = realpath(r->o->bundle ? r->o->bundle : ".", NULL);
	if (!r->bundle)
		return ocifs_error_set(err, errno, "bundle %s", r->o->bundle ? r->o->bundle : ".");
	path = xasprintf("%s/config.json", r->bundle);
	if (read_file(path, text, len, err) < 0)
		return -1;
	if (ocifs_config_parse(*text, *len, &r->cfg, err) < 0)
		return ocifs_error_prefix(err, "%s", path);
	if (preflight(r->cfg, r->o, err) < 0)
		return -1;
	r->rootfs = resolve_rootfs(r->bundle, r->cfg, err);
	return r->rootfs ? 0 : -1;
}

static int reserve_id(struct create_run *r, const char *text, size_t len, ocifs_error *err)
{
	json_t *ann;
	int fd;

	if (mkdir_p(r->root, 0711, err) < 0)
		return -1;
	r->dir = state_dir(r->root, r->o->id);
	if (mkdir(r->dir, 0700) < 0) {
		if (errno == EEXIST)
			return ocifs_error_set(err, EEXIST, "container already exists");
		return ocifs_error_set(err, errno, "mkdir %s", r->dir);
	}
	fd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		ocifs_error_set(err, errno, "lock %s", r->dir);
		if (fd >= 0)
			close(fd);
		rmdir(r->dir);
		return -1;
	}
	r->rec.id = xstrdup(r->o->id);
	r->rec.creator = getpid();
	r->rec.creator_start = proc_start_time(getpid());
	r->rec.bundle = xstrdup(r->bundle);
	r->rec.rootfs = xstrdup(r->rootfs);
	r->rec.created = rfc3339_now();
	ann = annotations_object(r->cfg);
	r->rec.annotations_json = json_dumps(ann, JSON_COMPACT);
	json_decref(ann);
	if (write_file_atomic(r->dir, "config.json", text, len, 0600, err) < 0 ||
	    state_write(r->root, &r->rec, err) < 0) {
		ocifs_error ignored;
		state_remove(r->root, r->o->id, &ignored);
		close(fd);
		return -1;
	}
	return fd;
}

int ocifs_create(const char *root, const struct ocifs_create_opts *o, pid_t *pid,
		 ocifs_error *err)
{
	struct create_run r = { .root = root, .o = o, .sv = { -1, -1 }, .listen_fd = -1,
				.console_fd = -1, .lock_fd = -1, .log_fd = -1, .null_fd = -1 };
	cleanup_free char *text = NULL;
	size_t len = 0;
	int dirfd = -1, ret = -1;

	for (int i = 0; i < OCI_NS__COUNT; i++)
		r.plan.join_fds[i] = -1;
	r.plan.cgroup_fd = -1;
	if (!ocifs_id_valid(o->id)) {
		ocifs_error_set(err, EINVAL, "invalid container id \"%s\"", o->id ? o->id : "");
		goto out;
	}
	if (load_bundle(&r, &text, &len, err) < 0)
		goto out;
	dirfd = reserve_id(&r, text, len, err);
	if (dirfd < 0)
		goto out;
	if (spawn_and_build(&r, dirfd, err) < 0) {
		ocifs_error ignored;
		state_remove(root, o->id, &ignored);
		goto out;
	}
	if (pid)
		*pid = r.pid;
	ret = 0;
out:
	if (dirfd >= 0)
		close(dirfd);
	create_run_release(&r);
	return ret;
}
