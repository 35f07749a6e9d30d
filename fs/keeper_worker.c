/* The keeper's workers: one engine call per request (see keeper.c for the
 * process model).  A worker runs in a child forked by the keeper, which
 * has already dropped the keeper's fds and signal settings; it makes the
 * call, sends one result {"code","msg","pid"} on fd and exits. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "keeper.h"
#include "keeper_internal.h"
#include "ocifs/engine.h"
#include "ocifs/util.h"

static int do_exec(const char *root, const struct keeper_req *r, pid_t *pid, ocifs_error *err)
{
	cleanup_free char *text = NULL;
	struct oci_process *p = NULL;
	struct ocifs_exec_opts eo;
	size_t len = 0;
	int ret;

	if (read_file(r->path, &text, &len, err) < 0)
		return -1;
	if (ocifs_process_parse(text, len, "", &p, err) < 0)
		return ocifs_error_prefix(err, "%s", r->path);
	ocifs_exec_opts_init(&eo);
	eo.process = p;
	eo.detach = true;
	eo.capture_log = true;
	ret = ocifs_exec(root, r->id, &eo, pid, err);
	ocifs_process_free(p);
	return ret;
}

static int do_op(const char *root, const struct keeper_req *r, pid_t *pid, ocifs_error *err)
{
	struct ocifs_create_opts co;
	ocifs_error derr = { 0 };

	switch (r->op) {
	case CTL_CREATE:
	case CTL_RUN:
		ocifs_create_opts_init(&co);
		co.id = r->id;
		co.bundle = r->path;
		co.capture_log = true;
		if (ocifs_create(root, &co, pid, err) < 0)
			return -1;
		if (r->op == CTL_CREATE || ocifs_start(root, r->id, err) == 0)
			return 0;
		if (ocifs_delete(root, r->id, true, &derr) < 0)
			klog("run %s: delete after failed start: %s\n", r->id, derr.msg);
		*pid = 0;
		return -1;
	case CTL_START:
		return ocifs_start(root, r->id, err);
	case CTL_KILL:
		return ocifs_kill(root, r->id, r->signal, false, err);
	case CTL_STOP:
		return ocifs_stop(root, r->id, r->seconds * 1000, err);
	case CTL_EXEC:
		return do_exec(root, r, pid, err);
	case CTL_PAUSE:
		return ocifs_pause(root, r->id, err);
	case CTL_RESUME:
		return ocifs_resume(root, r->id, err);
	case CTL_DELETE:
		return ocifs_delete(root, r->id, r->force, err);
	default:
		return ocifs_error_set(err, EINVAL, "unknown operation");
	}
}

void keeper_worker_run(const char *root, const struct keeper_req *r, int fd)
{
	ocifs_error err = { 0 };
	pid_t pid = 0;
	char *text;

	if (do_op(root, r, &pid, &err) == 0)
		ocifs_error_clear(&err);
	else if (err.code == 0)
		err.code = EIO;
	text = keeper_jdump(json_pack("{si so si}", "code", err.code, "msg", keeper_jstr(err.msg),
			       "pid", (int)pid));
	if (!text || send(fd, text, strlen(text), MSG_NOSIGNAL) < 0)
		klog("worker for %s %s: cannot send the result\n", keeper_op_str(r->op), r->id);
	_exit(0);
}
