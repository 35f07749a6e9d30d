/* The state store (see state.h) and the OCI state JSON. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "state.h"
#include "ocifs/util.h"

static const char *const status_names[] = {
	[OCIFS_CREATING] = "creating",
	[OCIFS_CREATED] = "created",
	[OCIFS_RUNNING] = "running",
	[OCIFS_PAUSED] = "paused",
	[OCIFS_STOPPED] = "stopped",
};

const char *ocifs_status_name(enum ocifs_status s)
{
	if ((size_t)s >= ARRAY_SIZE(status_names))
		return "unknown";
	return status_names[s];
}

bool ocifs_id_valid(const char *id)
{
	size_t n;

	if (!id || !((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z') ||
		     (id[0] >= '0' && id[0] <= '9')))
		return false;
	for (n = 1; id[n]; n++) {
		char c = id[n];
		if (n > 127)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

void state_rec_clear(struct state_rec *r)
{
	free(r->id);
	free(r->bundle);
	free(r->rootfs);
	free(r->created);
	free(r->cgroup);
	free(r->annotations_json);
	memset(r, 0, sizeof(*r));
}

char *state_dir(const char *root, const char *id)
{
	return xasprintf("%s/%s", root, id);
}

char *rfc3339_now(void)
{
	struct timespec ts;
	struct tm tm;
	char buf[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	return xasprintf("%s.%09ldZ", buf, ts.tv_nsec);
}

int state_write(const char *root, const struct state_rec *r, ocifs_error *err)
{
	cleanup_free char *dir = state_dir(root, r->id);
	json_t *o = json_object();
	json_t *ann = NULL;
	char *text;
	int ret;

	json_object_set_new(o, "id", json_string(r->id));
	json_object_set_new(o, "pid", json_integer(r->pid));
	json_object_set_new(o, "startTime", json_integer((json_int_t)r->start_time));
	json_object_set_new(o, "creator", json_integer(r->creator));
	json_object_set_new(o, "creatorStartTime", json_integer((json_int_t)r->creator_start));
	json_object_set_new(o, "bundle", json_string(r->bundle ? r->bundle : ""));
	json_object_set_new(o, "rootfs", json_string(r->rootfs ? r->rootfs : ""));
	json_object_set_new(o, "created", json_string(r->created ? r->created : ""));
	if (r->cgroup)
		json_object_set_new(o, "cgroup", json_string(r->cgroup));
	json_object_set_new(o, "started", json_boolean(r->started));
	if (r->has_exit_status)
		json_object_set_new(o, "exitStatus", json_integer(r->exit_status));
	if (r->annotations_json)
		ann = json_loads(r->annotations_json, 0, NULL);
	json_object_set_new(o, "annotations", ann ? ann : json_object());
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text)
		return ocifs_error_set(err, ENOMEM, "encode state");
	ret = write_file_atomic(dir, "state.json", text, strlen(text), 0600, err);
	free(text);
	return ret;
}

static char *json_str_dup(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && *s ? xstrdup(s) : NULL;
}

int state_read(const char *root, const char *id, struct state_rec *r, ocifs_error *err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *text = NULL;
	json_error_t jerr;
	json_t *o, *v;

	memset(r, 0, sizeof(*r));
	if (!ocifs_id_valid(id))
		return ocifs_error_set(err, EINVAL, "invalid container id");
	path = xasprintf("%s/%s/state.json", root, id);
	if (read_file(path, &text, NULL, err) < 0) {
		if (err->code == ENOENT)
			return ocifs_error_set(err, ENOENT, "container does not exist");
		return -1;
	}
	o = json_loads(text, 0, &jerr);
	if (!o || !json_is_object(o)) {
		json_decref(o);
		return ocifs_error_set(err, EIO, "%s: corrupt state: %s", path, jerr.text);
	}
	r->id = xstrdup(id);
	r->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
	r->start_time = (unsigned long long)json_integer_value(json_object_get(o, "startTime"));
	r->creator = (pid_t)json_integer_value(json_object_get(o, "creator"));
	r->creator_start = (unsigned long long)json_integer_value(json_object_get(o, "creatorStartTime"));
	r->bundle = json_str_dup(o, "bundle");
	r->rootfs = json_str_dup(o, "rootfs");
	r->created = json_str_dup(o, "created");
	r->cgroup = json_str_dup(o, "cgroup");
	r->started = json_is_true(json_object_get(o, "started"));
	v = json_object_get(o, "exitStatus");
	if (json_is_integer(v)) {
		r->has_exit_status = true;
		r->exit_status = (int)json_integer_value(v);
	}
	v = json_object_get(o, "annotations");
	r->annotations_json = json_dumps(json_is_object(v) ? v : json_object(), JSON_COMPACT);
	json_decref(o);
	return 0;
}

/* The state letter (field 3) and start time (field 22) of pid, from one
 * read of /proc/PID/stat into buf; 0 when it is gone.  *f3 is field 3, for
 * more fields. */
static char proc_state(pid_t pid, char *buf, size_t size, unsigned long long *start,
		       const char **f3)
{
	const char *p;

	*f3 = proc_stat_read(pid, buf, size);
	p = proc_stat_field(*f3, 22);
	if (!p || sscanf(p, "%llu", start) != 1)
		return 0;
	return **f3;
}

bool pid_is_alive(pid_t pid, unsigned long long start_time)
{
	unsigned long long start = 0;
	const char *f3;
	char buf[1024];
	char st;

	if (pid <= 0)
		return false;
	st = proc_state(pid, buf, sizeof(buf), &start, &f3);
	if (!st || st == 'Z' || st == 'X' || st == 'x')
		return false;
	return start_time == 0 || start == start_time;
}

/* waitpid's status as the state reports it: the exit code, or 128 + the
 * signal that killed the process (the shell's convention). */
int ocifs_exit_status(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return 255;
}

/* The exit status of our init while it is a zombie nobody has reaped yet:
 * /proc/PID/stat field 52 holds it in waitpid's encoding. */
static bool zombie_exit_status(pid_t pid, unsigned long long start_time, int *status)
{
	unsigned long long start = 0;
	const char *f3, *p;
	char buf[1024];
	int code;

	if (pid <= 0 || proc_state(pid, buf, sizeof(buf), &start, &f3) != 'Z' ||
	    (start_time && start != start_time))
		return false;
	p = proc_stat_field(f3, 52);
	if (!p || sscanf(p, "%d", &code) != 1)
		return false;
	*status = ocifs_exit_status(code);
	return true;
}

/* ROOT/ID/exit: "PID STATUS", written by the process that reaped the init
 * (ocifs_note_exit) before anything slower happens.  The status when it is
 * about r's init. */
static bool noted_exit_status(const char *root, const struct state_rec *r, int *status)
{
	cleanup_free char *path = xasprintf("%s/%s/exit", root, r->id);
	cleanup_free char *text = NULL;
	size_t len = 0;
	ocifs_error err;
	int pid, code;

	if (read_file(path, &text, &len, &err) < 0 || sscanf(text, "%d %d", &pid, &code) != 2 ||
	    pid != r->pid)
		return false;
	*status = code;
	return true;
}

int ocifs_note_exit(const char *root, const char *id, pid_t pid, int exit_status,
		    ocifs_error *err)
{
	cleanup_free char *dir = state_dir(root, id);
	char text[48];

	snprintf(text, sizeof(text), "%d %d\n", (int)pid, exit_status);
	return write_file_atomic(dir, "exit", text, strlen(text), 0600, err);
}

enum ocifs_status state_status(const struct state_rec *r)
{
	/* creator is set until create has finished */
	if (r->creator)
		return pid_is_alive(r->creator, r->creator_start) ? OCIFS_CREATING
								   : OCIFS_STOPPED;
	if (!pid_is_alive(r->pid, r->start_time))
		return OCIFS_STOPPED;
	if (r->cgroup && cgroup_is_frozen(r->cgroup))
		return OCIFS_PAUSED;
	return r->started ? OCIFS_RUNNING : OCIFS_CREATED;
}

int state_lock(const char *root, const char *id, ocifs_error *err)
{
	cleanup_free char *dir = state_dir(root, id);
	int fd;

	if (!ocifs_id_valid(id))
		return ocifs_error_set(err, EINVAL, "invalid container id");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return ocifs_error_set(err, ENOENT, "container does not exist");
		return ocifs_error_set(err, errno, "open %s", dir);
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		close(fd);
		return ocifs_error_set(err, errno, "lock %s", dir);
	}
	/* deleted while we waited for the lock? */
	if (faccessat(fd, "state.json", F_OK, 0) < 0) {
		close(fd);
		return ocifs_error_set(err, ENOENT, "container does not exist");
	}
	return fd;
}

int state_remove(const char *root, const char *id, ocifs_error *err)
{
	cleanup_free char *dir = state_dir(root, id);
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d) {
		if (errno == ENOENT)
			return 0;
		return ocifs_error_set(err, errno, "open %s", dir);
	}
	/* state.json goes first so readers see the container gone at once */
	unlinkat(dirfd(d), "state.json", 0);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT) {
			int saved = errno;
			closedir(d);
			return ocifs_error_set(err, saved, "remove %s/%s", dir, e->d_name);
		}
	}
	closedir(d);
	if (rmdir(dir) < 0 && errno != ENOENT)
		return ocifs_error_set(err, errno, "remove %s", dir);
	return 0;
}

int state_load_config(const char *root, const char *id, struct oci_config **cfg,
		      ocifs_error *err)
{
	cleanup_free char *path = xasprintf("%s/%s/config.json", root, id);

	if (ocifs_config_load(path, cfg, err) < 0)
		return ocifs_error_prefix(err, "frozen config");
	return 0;
}

void ocifs_state_clear(struct ocifs_state *st)
{
	free(st->id);
	free(st->bundle);
	free(st->created);
	free(st->annotations_json);
	memset(st, 0, sizeof(*st));
}

char *ocifs_state_json(const struct ocifs_state *st)
{
	json_t *o = json_object();
	json_t *ann = NULL;
	char *text;

	json_object_set_new(o, "ociVersion", json_string(OCIFS_OCI_VERSION));
	json_object_set_new(o, "id", json_string(st->id));
	json_object_set_new(o, "status", json_string(ocifs_status_name(st->status)));
	if (st->pid > 0)
		json_object_set_new(o, "pid", json_integer(st->pid));
	json_object_set_new(o, "bundle", json_string(st->bundle ? st->bundle : ""));
	if (st->annotations_json)
		ann = json_loads(st->annotations_json, 0, NULL);
	json_object_set_new(o, "annotations", ann ? ann : json_object());
	if (st->created)
		json_object_set_new(o, "created", json_string(st->created));
	if (st->has_exit_status)
		json_object_set_new(o, "exitStatus", json_integer(st->exit_status));
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

int ocifs_state_get(const char *root, const char *id, struct ocifs_state *st,
		    ocifs_error *err)
{
	struct state_rec r;

	memset(st, 0, sizeof(*st));
	if (state_read(root, id, &r, err) < 0)
		return -1;
	st->status = state_status(&r);
	st->id = steal_ptr(&r.id);
	st->pid = (st->status == OCIFS_STOPPED || st->status == OCIFS_CREATING) ? 0 : r.pid;
	st->bundle = steal_ptr(&r.bundle);
	st->created = steal_ptr(&r.created);
	st->annotations_json = steal_ptr(&r.annotations_json);
	st->has_exit_status = r.has_exit_status;
	st->exit_status = r.exit_status;
	/* exited, but not recorded yet: a zombie, or the reaper's note */
	if (st->status == OCIFS_STOPPED && !st->has_exit_status && !r.creator)
		st->has_exit_status = zombie_exit_status(r.pid, r.start_time, &st->exit_status) ||
				      noted_exit_status(root, &r, &st->exit_status);
	state_rec_clear(&r);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ocifs_list(const char *root, char ***ids, size_t *n, ocifs_error *err)
{
	DIR *d = opendir(root);
	struct dirent *e;
	char **v = NULL;
	size_t cnt = 0;

	*ids = NULL;
	*n = 0;
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return ocifs_error_set(err, errno, "open %s", root);
	}
	while ((e = readdir(d))) {
		if (!ocifs_id_valid(e->d_name))
			continue;
		if (faccessat(dirfd(d), e->d_name, F_OK, 0) < 0)
			continue;
		{
			char sub[300];
			snprintf(sub, sizeof(sub), "%s/state.json", e->d_name);
			if (faccessat(dirfd(d), sub, F_OK, 0) < 0)
				continue;
		}
		v = xrealloc(v, (cnt + 1) * sizeof(*v));
		v[cnt++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_str);
	*ids = v;
	*n = cnt;
	return 0;
}

void ocifs_list_free(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}
