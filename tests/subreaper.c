/* subreaper — run a command as a child subreaper and clean up after it.
 *
 *   subreaper CMD [ARGS...]
 *
 * PID 1 on the test machines does not reap orphans, so a test run leaves
 * zombies behind (every detached container init is orphaned when the runtime
 * exits).  This program marks itself PR_SET_CHILD_SUBREAPER, runs CMD, reaps
 * every orphan that lands on it until CMD exits, then SIGKILLs and reaps
 * every descendant still alive, and exits with CMD's status (128+N when CMD
 * died of signal N).  SIGINT, SIGTERM and SIGHUP are forwarded to CMD.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t child_pid;

static void forward(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

/* Parent pid of PID from /proc/PID/stat, or -1. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "pid (comm) state ppid ...": comm may hold spaces and parens. */
	char *p = strrchr(buf, ')');
	int ppid;
	if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

/* SIGKILL every live descendant of this process; returns how many. */
static int kill_descendants(void)
{
	size_t cap = 1024, len = 0;
	pid_t *pids = malloc(cap * sizeof *pids), *ppids = malloc(cap * sizeof *ppids);
	DIR *d = opendir("/proc");
	if (!pids || !ppids || !d) {
		perror("subreaper: /proc");
		exit(125);
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		pid_t ppid = parent_of((pid_t)pid);
		if (ppid < 0)
			continue;
		if (len == cap) {
			cap *= 2;
			pids = realloc(pids, cap * sizeof *pids);
			ppids = realloc(ppids, cap * sizeof *ppids);
			if (!pids || !ppids)
				exit(125);
		}
		pids[len] = (pid_t)pid;
		ppids[len++] = ppid;
	}
	closedir(d);

	/* Mark descendants: repeat until no new pid joins the set. */
	char *mine = calloc(len ? len : 1, 1);
	int killed = 0, grew = 1;
	while (grew) {
		grew = 0;
		for (size_t i = 0; i < len; i++) {
			if (mine[i])
				continue;
			int hit = ppids[i] == getpid();
			for (size_t j = 0; !hit && j < len; j++)
				hit = mine[j] && pids[j] == ppids[i];
			if (hit) {
				mine[i] = 1;
				grew = 1;
			}
		}
	}
	for (size_t i = 0; i < len; i++) {
		if (mine[i] && kill(pids[i], SIGKILL) == 0)
			killed++;
	}
	free(mine);
	free(pids);
	free(ppids);
	return killed;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: subreaper CMD [ARGS...]\n");
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		perror("subreaper: PR_SET_CHILD_SUBREAPER");
		return 125;
	}

	pid_t pid = fork();
	if (pid < 0) {
		perror("subreaper: fork");
		return 125;
	}
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		fprintf(stderr, "subreaper: %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	child_pid = pid;

	struct sigaction sa = { .sa_handler = forward };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	int status = 0, wstatus;
	for (;;) {
		pid_t got = waitpid(-1, &wstatus, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			perror("subreaper: waitpid");
			return 125;
		}
		if (got == pid) {
			status = wstatus;
			break;
		}
	}
	child_pid = 0;

	/* Leftovers: kill them all, reap, and look again (a dying process's
	 * children are re-parented to us); give up after about 5 s. */
	for (int round = 0; round < 500; round++) {
		int killed = kill_descendants();
		pid_t got;
		while ((got = waitpid(-1, &wstatus, WNOHANG)) > 0)
			;
		if (got < 0 && errno == ECHILD && !killed)
			break;
		usleep(10000);
	}

	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 125;
}
