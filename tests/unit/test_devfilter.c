/* Unit tests for the cgroup v2 device filter (runtime/cgroup_bpf.c) on the
 * real kernel.  Each scenario makes a scratch cgroup in the cgroup2 tree
 * (/sys/fs/cgroup/unified on this hybrid host: it has no controllers, but
 * BPF device programs apply there all the same; /sys/fs/cgroup on pure v2),
 * attaches the filter of a rule list, and forks a child that moves itself
 * in and tries open(2)s and mknod(2)s; each attempt's errno is one TAP
 * result.  The scratch cgroup is removed after the child has exited (the
 * program goes with it).  Without root or a cgroup2 tree those parts are
 * skipped; rule-list and program-generation checks always run. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup_bpf.h"
#include "cgroup_internal.h"
#include "ocifs/util.h"

#include "tap.h"

#define W (-1) /* wildcard major/minor */
#define MAX_CHECKS 16

static const char *cg_base; /* the cgroup2 tree, NULL when unusable */
static char tmp[64];        /* scratch dir for mknod */

static void skip(const char *why, const char *what)
{
	n_run++;
	printf("ok %d - %s # SKIP %s\n", n_run, what, why);
}

enum kind { OPEN, MKNOD };

struct check {
	enum kind kind;
	const char *path; /* OPEN */
	int flags;        /* OPEN */
	mode_t type;      /* MKNOD: S_IFCHR or S_IFBLK */
	unsigned major, minor;
	int want;         /* 0 or the errno */
};

#define OPEN_(p, f, w) { OPEN, p, f, 0, 0, 0, w }
#define MKNOD_(t, ma, mi, w) { MKNOD, NULL, 0, t, ma, mi, w }

struct scenario {
	const char *name;
	const struct oci_device_rule *rules;
	size_t n_rules;
	const struct check *checks;
	size_t n_checks;
};

static const char *describe(const struct check *c, char *buf, size_t len)
{
	if (c->kind == OPEN)
		snprintf(buf, len, "open %s %s", c->path,
			 c->flags == O_RDWR ? "O_RDWR" : c->flags == O_WRONLY ? "O_WRONLY"
										: "O_RDONLY");
	else
		snprintf(buf, len, "mknod %c %u:%u", c->type == S_IFCHR ? 'c' : 'b', c->major,
			 c->minor);
	return buf;
}

/* In the child: 0 or the errno of one attempt. */
static int attempt(const struct check *c, int i)
{
	char node[128];
	int fd;

	if (c->kind == OPEN) {
		fd = open(c->path, c->flags | O_CLOEXEC);
		if (fd < 0)
			return errno;
		close(fd);
		return 0;
	}
	snprintf(node, sizeof(node), "%s/node%d", tmp, i);
	if (mknod(node, c->type | 0600, makedev(c->major, c->minor)) < 0)
		return errno;
	unlink(node);
	return 0;
}

/* The child: moves itself into dir, sends back one errno per check (all
 * -1 when it could not move). */
static _Noreturn void child(const char *dir, const struct scenario *s, int out)
{
	int res[MAX_CHECKS];
	char pid[32];
	cleanup_free char *procs = xasprintf("%s/cgroup.procs", dir);
	int fd = open(procs, O_WRONLY | O_CLOEXEC);
	bool in = false;

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (fd >= 0) {
		in = write(fd, pid, strlen(pid)) == (ssize_t)strlen(pid);
		close(fd);
	}
	for (size_t i = 0; i < s->n_checks; i++)
		res[i] = in ? attempt(&s->checks[i], (int)i) : -1;
	if (write(out, res, s->n_checks * sizeof(int)) < 0)
		_exit(1);
	_exit(0);
}

static void remove_cgroup(const char *dir)
{
	/* the cgroup may report busy for a moment after its last task is reaped */
	for (int i = 0; i < 100 && rmdir(dir) < 0 && errno == EBUSY; i++)
		usleep(10000);
	if (cg_dir_exists(dir))
		printf("# could not remove %s: %s\n", dir, strerror(errno));
}

/* Scratch cgroups of an earlier run that was killed (a test timeout) before
 * it could remove them: their pid is gone. */
static void remove_stale(void)
{
	DIR *d = opendir(cg_base);
	struct dirent *e;
	int pid, k;

	while (d && (e = readdir(d)))
		if (sscanf(e->d_name, "ocifs-devfilter-%d-%d", &pid, &k) == 2 &&
		    kill(pid, 0) < 0 && errno == ESRCH) {
			cleanup_free char *dir = xasprintf("%s/%s", cg_base, e->d_name);
			remove_cgroup(dir);
		}
	if (d)
		closedir(d);
}

/* Runs the child in dir and reports each check. */
static void run_checks(const char *dir, const struct scenario *s)
{
	int res[MAX_CHECKS], p[2], status;
	ssize_t got = -1;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		ok(false, "%s: pipe/fork: %s", s->name, strerror(errno));
		return;
	}
	if (pid == 0) {
		close(p[0]);
		child(dir, s, p[1]);
	}
	close(p[1]);
	got = read(p[0], res, s->n_checks * sizeof(int));
	close(p[0]);
	waitpid(pid, &status, 0);
	for (size_t i = 0; i < s->n_checks; i++) {
		const struct check *c = &s->checks[i];
		int r = got == (ssize_t)(s->n_checks * sizeof(int)) ? res[i] : -2;
		char what[64];

		describe(c, what, sizeof(what));
		if (r != c->want)
			printf("# %s: got %s, want %s\n", what, r < 0 ? "no answer" : strerror(r),
			       strerror(c->want));
		ok(r == c->want, "%s: %s -> %s", s->name, what, c->want ? strerror(c->want) : "ok");
	}
}

static void run_scenario(const struct scenario *s)
{
	static int serial;
	cleanup_free char *dir =
		xasprintf("%s/ocifs-devfilter-%d-%d", cg_base, (int)getpid(), serial++);
	ocifs_error err;
	int fd, rc;

	if (mkdir(dir, 0755) < 0) {
		ok(false, "%s: mkdir %s: %s", s->name, dir, strerror(errno));
		return;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rc = fd < 0 ? -1 : cgroup_bpf_devices_attach(fd, s->rules, s->n_rules, &err);
	if (rc < 0)
		printf("# %s\n", fd < 0 ? strerror(errno) : err.msg);
	if (ok(rc == 0, "%s: filter of %zu rules attached", s->name, s->n_rules))
		run_checks(dir, s);
	if (fd >= 0)
		close(fd);
	remove_cgroup(dir);
}

/* ---- scenarios ---- */

static const struct oci_device_rule basic_rules[] = {
	{ false, 'a', W, W, "rwm" },
	{ true, 'c', 1, 3, "rwm" }, /* /dev/null */
	{ true, 'c', 1, 5, "r" },   /* /dev/zero, read only */
};
static const struct check basic_checks[] = {
	OPEN_("/dev/null", O_RDWR, 0),
	OPEN_("/dev/zero", O_RDONLY, 0),
	OPEN_("/dev/zero", O_WRONLY, EPERM),
	OPEN_("/dev/zero", O_RDWR, EPERM),
	OPEN_("/dev/full", O_RDONLY, EPERM),
	MKNOD_(S_IFCHR, 1, 5, EPERM),
	MKNOD_(S_IFCHR, 1, 3, 0),
	MKNOD_(S_IFBLK, 7, 0, EPERM),
};

static const struct oci_device_rule wild_rules[] = {
	{ false, 'a', W, W, "rwm" },
	{ true, 'c', W, W, "m" },
	{ true, 'c', 1, W, "r" },
};
static const struct check wild_checks[] = {
	MKNOD_(S_IFCHR, 1, 7, 0),
	MKNOD_(S_IFCHR, 10, 200, 0),
	MKNOD_(S_IFBLK, 7, 0, EPERM),
	OPEN_("/dev/full", O_RDONLY, 0),
	OPEN_("/dev/full", O_WRONLY, EPERM),
	OPEN_("/dev/tty", O_RDONLY, EPERM), /* 5:0 */
};

static const struct oci_device_rule all_rules[] = {
	{ false, 'a', W, W, "rwm" },
	{ true, 'a', W, W, "" }, /* "a": every device, every access */
};
static const struct check all_checks[] = {
	OPEN_("/dev/full", O_RDWR, 0),
	MKNOD_(S_IFBLK, 7, 0, 0),
};

static const struct oci_device_rule last_deny_rules[] = {
	{ true, 'a', W, W, "rwm" },
	{ false, 'c', 1, 3, "rwm" },
	{ false, 'c', 1, 5, "w" },
};
static const struct check last_deny_checks[] = {
	OPEN_("/dev/null", O_RDONLY, EPERM),
	OPEN_("/dev/zero", O_RDONLY, 0),
	OPEN_("/dev/zero", O_RDWR, EPERM), /* the write bit was denied last */
	OPEN_("/dev/full", O_RDWR, 0),
};

static const struct oci_device_rule last_allow_rules[] = {
	{ false, 'c', 1, 3, "rwm" },
	{ true, 'a', W, W, "rwm" },
	{ false, 'c', 1, 5, "w" },
	{ true, 'c', 1, 5, "rw" },
};
static const struct check last_allow_checks[] = {
	OPEN_("/dev/null", O_RDWR, 0),
	OPEN_("/dev/zero", O_RDWR, 0),
};

/* Split access: read and write allowed by different rules. */
static const struct oci_device_rule split_rules[] = {
	{ false, 'a', W, W, "rwm" },
	{ true, 'c', 1, 3, "r" },
	{ true, 'c', 1, W, "w" },
	{ false, 'c', 1, 7, "w" },
};
static const struct check split_checks[] = {
	OPEN_("/dev/null", O_RDWR, 0),
	OPEN_("/dev/full", O_WRONLY, EPERM),
	OPEN_("/dev/zero", O_WRONLY, 0),
	OPEN_("/dev/zero", O_RDONLY, EPERM),
};

static const struct check many_checks[] = {
	OPEN_("/dev/null", O_RDWR, 0),
	OPEN_("/dev/zero", O_RDONLY, EPERM),
	OPEN_("/dev/full", O_RDONLY, 0),
};

/* deny all, 3000 rules that match nothing here, /dev/null, /dev/full:
 * the program is over 20000 instructions. */
static void many_rules(void)
{
	size_t n = 3003;
	cleanup_free struct oci_device_rule *r = xcalloc(n, sizeof(*r));
	struct scenario s = { "3003 rules", r, n, many_checks, ARRAY_SIZE(many_checks) };

	r[0] = (struct oci_device_rule){ false, 'a', W, W, "rwm" };
	for (size_t i = 1; i < n - 2; i++)
		r[i] = (struct oci_device_rule){ i % 2 == 0, i % 3 ? 'c' : 'b', 200 + (int64_t)i,
						 (int64_t)(i % 7), "rw" };
	r[n - 2] = (struct oci_device_rule){ true, 'c', 1, 3, "rwm" };
	r[n - 1] = (struct oci_device_rule){ true, 'c', 1, 7, "r" };
	run_scenario(&s);
}

#define SCENARIO(name, r, c) { name, r, ARRAY_SIZE(r), c, ARRAY_SIZE(c) }

static void test_kernel(void)
{
	static const struct scenario scenarios[] = {
		SCENARIO("deny all + null rwm + zero r", basic_rules, basic_checks),
		SCENARIO("wildcards c *:* m, c 1:* r", wild_rules, wild_checks),
		SCENARIO("a allows everything", all_rules, all_checks),
		SCENARIO("allow all, then deny c 1:3", last_deny_rules, last_deny_checks),
		SCENARIO("deny c 1:3, then allow all", last_allow_rules, last_allow_checks),
		SCENARIO("read and write from different rules", split_rules, split_checks),
	};
	for (size_t i = 0; i < ARRAY_SIZE(scenarios); i++)
		run_scenario(&scenarios[i]);
	many_rules();
}

/* A program the verifier must refuse (r0 never set): its words reach the
 * error message. */
static void test_verifier_log(void)
{
	const struct bpf_insn bad[] = {
		{ .code = BPF_JMP | BPF_EXIT },
	};
	ocifs_error err;
	int fd = cgroup_bpf_prog_load(bad, ARRAY_SIZE(bad), &err);

	if (fd >= 0)
		close(fd);
	else
		printf("# %s\n", err.msg);
	ok(fd < 0 && strstr(err.msg, "verifier: ") && strstr(err.msg, "R0"),
	   "a refused program's error carries the verifier log");
}

/* ---- without the kernel ---- */

static void test_effective_rules(void)
{
	struct oci_device_rule cfg_rules[] = {
		{ false, 'a', W, W, "rwm" },
		{ true, 'c', 10, 200, "rw" },
	};
	struct oci_config cfg;
	cleanup_free struct oci_device_rule *v = NULL, *w = NULL;
	size_t n, m;

	memset(&cfg, 0, sizeof(cfg));
	cfg.has_linux = true;
	cfg.lx.device_rules = cfg_rules;
	cfg.lx.n_device_rules = ARRAY_SIZE(cfg_rules);
	n = cg_effective_device_rules(&cfg, &v);
	ok(n == 3 + cg_n_default_device_rules && !v[0].allow && v[0].type == 'a' &&
		   v[2].major == 10 && v[2].minor == 200 &&
		   memcmp(&v[3], &cg_default_device_rules[0], sizeof(v[3])) == 0,
	   "effective rules: deny all, the config's in order, then the defaults");
	m = cg_effective_device_rules(NULL, &w);
	ok(m == 1 + cg_n_default_device_rules && !w[0].allow,
	   "effective rules without a config: deny all + the defaults");
}

static void test_prog_shape(void)
{
	const struct oci_device_rule shadowed[] = {
		{ false, 'c', 1, 3, "rwm" },
		{ true, 'b', 8, W, "r" },
		{ true, 'a', W, W, "rwm" },
	};
	const struct oci_device_rule bad[] = { { true, 'x', 1, 1, "r" } };
	const struct oci_device_rule huge[] = { { true, 'c', 1LL << 33, 1, "r" } };
	cleanup_free struct bpf_insn *p = NULL, *q = NULL, *h = NULL;
	size_t n = 0, nq = 0, nh = 0;
	ocifs_error err;

	/* 1 = the start value of r3, 10 = the verdict */
	int rc = cgroup_bpf_devices_prog(shadowed, ARRAY_SIZE(shadowed), &p, &n, &err);

	ok(rc == 0 && n == 1 + 10,
	   "rules before the last 'a *:* rwm' are left out (%zu instructions)", n);
	rc = cgroup_bpf_devices_prog(huge, 1, &h, &nh, &err);
	ok(rc == 0 && nh == 1 + 10, "a rule no device can match (major 2^33) emits nothing");
	ok(cgroup_bpf_devices_prog(bad, 1, &q, &nq, &err) < 0 && err.code == EINVAL &&
		   strstr(err.msg, "unknown type 'x'"),
	   "a rule of unknown type is refused");
}

/* The cgroup2 tree to experiment in, or why not. */
static const char *find_cgroup2(const char **why)
{
	static const char *const cands[] = { CG_ROOT "/unified", CG_ROOT };
	struct statfs st;

	if (geteuid() != 0) {
		*why = "needs root";
		return NULL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(cands); i++)
		if (statfs(cands[i], &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
			return cands[i];
	*why = "no cgroup2 tree under " CG_ROOT;
	return NULL;
}

int main(void)
{
	const char *why = NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	test_effective_rules();
	test_prog_shape();
	cg_base = find_cgroup2(&why);
	snprintf(tmp, sizeof(tmp), "/tmp/ocifs-devfilter-XXXXXX");
	if (cg_base && !mkdtemp(tmp)) {
		why = "mkdtemp failed";
		cg_base = NULL;
	}
	if (cg_base) {
		remove_stale();
		test_verifier_log();
		test_kernel();
		rmdir(tmp);
	} else {
		skip(why, "verifier log in the error");
		skip(why, "device filters on the real kernel");
	}
	printf("1..%d\n", n_run);
	return n_failed ? 1 : 0;
}
