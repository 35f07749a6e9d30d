/* Unit tests for the state store: id rules, atomic record round trip,
 * status derived from live processes (including pid reuse), listing. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "state.h"
#include "ocifs/util.h"

#include "tap.h"

static void test_ids(void)
{
	char long_id[200];

	ok(ocifs_id_valid("web"), "plain id valid");
	ok(ocifs_id_valid("a_b.c-9"), "id with _ . - valid");
	ok(!ocifs_id_valid(""), "empty id refused");
	ok(!ocifs_id_valid(".."), "'..' refused");
	ok(!ocifs_id_valid("a/b"), "slash refused");
	ok(!ocifs_id_valid("-a"), "leading dash refused");
	ok(!ocifs_id_valid("a\nb"), "control character refused");
	memset(long_id, 'a', 128);
	long_id[128] = '\0';
	ok(ocifs_id_valid(long_id), "128 characters valid");
	long_id[128] = 'a';
	long_id[129] = '\0';
	ok(!ocifs_id_valid(long_id), "129 characters refused");
}

static pid_t spawn_sleeper(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	return pid;
}

static void test_round_trip(const char *root)
{
	struct state_rec r = { 0 }, back;
	ocifs_error err;
	char **ids;
	size_t n;
	pid_t pid = spawn_sleeper();

	r.id = xstrdup("c1");
	r.pid = pid;
	r.start_time = proc_start_time(pid);
	r.bundle = xstrdup("/b");
	r.created = rfc3339_now();
	r.annotations_json = xstrdup("{\"k\":\"v\"}");
	{
		char *dir = state_dir(root, "c1");
		mkdir(dir, 0700);
		free(dir);
	}
	ok(state_write(root, &r, &err) == 0, "state_write");
	ok(state_read(root, "c1", &back, &err) == 0, "state_read");
	ok(back.pid == pid && back.start_time == r.start_time, "pid and start time kept");
	ok(!strcmp(back.bundle, "/b"), "bundle kept");
	ok(strstr(back.annotations_json, "\"k\"") != NULL, "annotations kept");
	ok(state_status(&back) == OCIFS_CREATED, "alive, not started: created");
	back.started = true;
	ok(state_status(&back) == OCIFS_RUNNING, "alive, started: running");
	back.start_time++;
	ok(state_status(&back) == OCIFS_STOPPED, "other start time (pid reuse): stopped");
	back.start_time--;
	kill(pid, SIGKILL);
	usleep(50000);
	ok(state_status(&back) == OCIFS_STOPPED, "zombie: stopped");
	waitpid(pid, NULL, 0);
	ok(state_status(&back) == OCIFS_STOPPED, "reaped: stopped");
	back.creator = getpid();
	back.creator_start = proc_start_time(getpid());
	ok(state_status(&back) == OCIFS_CREATING, "creator alive: creating");
	ok(ocifs_list(root, &ids, &n, &err) == 0 && n == 1 && !strcmp(ids[0], "c1"), "list");
	ocifs_list_free(ids, n);
	state_rec_clear(&back);
	ok(state_read(root, "nope", &back, &err) < 0 && err.code == ENOENT, "missing id: ENOENT");
	ok(state_remove(root, "c1", &err) == 0, "remove");
	ok(ocifs_list(root, &ids, &n, &err) == 0 && n == 0, "list empty after remove");
	state_rec_clear(&back);
	state_rec_clear(&r);
}

int main(void)
{
	char root[] = "/tmp/ocifs-test-state.XXXXXX";

	if (!mkdtemp(root))
		return 1;
	test_ids();
	test_round_trip(root);
	rmdir(root);
	printf("1..%d\n", n_run);
	return n_failed ? 1 : 0;
}
