/* ocifs: mounts the containers of a state root as a FUSE filesystem.
 *
 *   ocifs [--root DIR] [--config FILE] [-d|--debug] [-f] [-o FUSEOPTS] MOUNTPOINT
 *
 * Start-up order matters: the keeper (the single-threaded helper that forks
 * containers, keeper.h) is forked before any thread exists; the FUSE session
 * is mounted, the daemon detaches, and only then do the threads start
 * (keeper reader, watcher, notifier, FUSE workers).
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "http.h"
#include "ocifs/util.h"

#define DEFAULT_CONFIG "/etc/ocifs/ocifs.json"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ocifs [--root DIR] [--config FILE] [-d|--debug] [-f] [-o FUSEOPTS] MOUNTPOINT\n"
		"\n"
		"Mounts the containers of the state root DIR (default " OCIFS_DEFAULT_ROOT ")\n"
		"as directories at MOUNTPOINT.\n"
		"\n"
		"  --root DIR      state root shared with `ocirun --root DIR`\n"
		"  --config FILE   configuration file (default " DEFAULT_CONFIG " if present)\n"
		"  -d, --debug     print every FUSE request on stderr; stay in the foreground\n"
		"  -f              stay in the foreground\n"
		"  -o OPTS         extra FUSE mount options (comma separated)\n"
		"  -h, --help      this help\n"
		"  --version       print the version\n"
		"\n"
		"Unmount with `fusermount3 -u MOUNTPOINT`, `umount MOUNTPOINT` or SIGTERM.\n");
}

struct opts {
	const char *root;
	const char *config;
	bool debug;
	bool foreground;
	char *fuse_opts; /* joined -o values, NULL none */
	const char *mountpoint;
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	enum { OPT_ROOT = 256, OPT_CONFIG, OPT_VERSION };
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->root = OCIFS_DEFAULT_ROOT;
	while ((c = getopt_long(argc, argv, "dfho:V", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_ROOT:
			o->root = optarg;
			break;
		case OPT_CONFIG:
			o->config = optarg;
			break;
		case 'd':
			o->debug = true;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'o': {
			char *joined = o->fuse_opts ? xasprintf("%s,%s", o->fuse_opts, optarg)
						    : xstrdup(optarg);
			free(o->fuse_opts);
			o->fuse_opts = joined;
			break;
		}
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
		case OPT_VERSION:
			printf("ocifs version %s\n", OCIFS_VERSION);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "ocifs: %s\n",
			optind >= argc ? "missing MOUNTPOINT" : "too many arguments");
		usage(stderr);
		return -1;
	}
	o->mountpoint = argv[optind];
	if (!*o->root) {
		fprintf(stderr, "ocifs: --root: empty path\n");
		return -1;
	}
	return 0;
}

/* CtlGroup: a group name or a number. */
static int resolve_group(const char *name, gid_t *gid)
{
	struct group *g;
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(name, &end, 10);
	if (*name && !*end && errno == 0 && v < (unsigned long)(gid_t)-1) {
		*gid = (gid_t)v;
		return 0;
	}
	g = getgrnam(name);
	if (!g)
		return -1;
	*gid = g->gr_gid;
	return 0;
}

/* The watcher holds a pidfd and an OOM handle per live container: take the
 * whole hard limit of open files.  Done after the keeper is forked, so the
 * containers it starts keep the limit ocifs was started with. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			fprintf(stderr, "ocifs: raise the open-file limit: %s\n", strerror(errno));
	}
}

static struct daemon *daemon_new(void)
{
	struct daemon *d = xcalloc(1, sizeof(*d));

	pthread_mutex_init(&d->lock, NULL);
	d->ctl_gid = (gid_t)-1;
	d->next_generation = 1;
	d->top_error = xstrdup("");
	clock_gettime(CLOCK_REALTIME, &d->top_changed);
	return d;
}

static void daemon_free(struct daemon *d)
{
	for (unsigned i = 0; i < d->n_slots; i++) {
		if (d->ctrs[i]) {
			if (d->ctrs[i]->pidfd >= 0)
				close(d->ctrs[i]->pidfd);
			free(d->ctrs[i]->error);
			free(d->ctrs[i]);
		}
	}
	free(d->ctrs);
	free(d->top_error);
	free(d->root);
	free(d->mountpoint);
	fs_config_clear(&d->cfg);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

/* Blocks (or unblocks) the signals that end the daemon, so that only the
 * thread running the FUSE loop takes them: the threads started while they
 * are blocked inherit the mask, and libfuse's handler then interrupts the
 * loop's wait instead of some other thread's. */
static void block_exit_signals(int how)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(how, &set, NULL);
}

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_loop_config loop = { .clone_fd = 0, .max_idle_threads = 10 };
	char mnt[PATH_MAX];
	struct daemon *d;
	struct http_server *http = NULL;
	struct opts o;
	ocifs_error err;
	cleanup_free char *mount_opts = NULL;
	bool mounted = false, signals = false;
	bool have_events = false, have_watch = false, have_notify = false;
	int ret = 1, r;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	/* the keeper forks containers from this image: run from a sealed copy
	 * (runtime/exe.c) so that none of them can reach the host's binary */
	if (ocifs_exe_reexec_sealed(argv, &err) < 0) {
		fprintf(stderr, "ocifs: %s\n", err.msg);
		return 1;
	}
	d = daemon_new();

	if (fs_config_load(o.config, &d->cfg, &err) < 0) {
		fprintf(stderr, "ocifs: config %s: %s\n", o.config ? o.config : DEFAULT_CONFIG,
			err.msg);
		goto out_free;
	}
	if (d->cfg.server_list_file)
		fprintf(stderr, "ocifs: ServerListFile: not supported yet, ignored\n");
	d->debug = o.debug || d->cfg.debug;
	if (d->debug)
		o.foreground = true;
	if (d->cfg.ctl_group && resolve_group(d->cfg.ctl_group, &d->ctl_gid) < 0) {
		fprintf(stderr, "ocifs: CtlGroup: unknown group \"%s\"\n", d->cfg.ctl_group);
		goto out_free;
	}

	if (!realpath(o.mountpoint, mnt)) {
		fprintf(stderr, "ocifs: mountpoint %s: %s\n", o.mountpoint, strerror(errno));
		goto out_free;
	}
	d->mountpoint = xstrdup(mnt);
	if (mkdir_p(o.root, 0700, &err) < 0) {
		fprintf(stderr, "ocifs: root %s: %s\n", o.root, err.msg);
		goto out_free;
	}
	{
		char rootbuf[PATH_MAX];

		if (!realpath(o.root, rootbuf)) {
			fprintf(stderr, "ocifs: root %s: %s\n", o.root, strerror(errno));
			goto out_free;
		}
		d->root = xstrdup(rootbuf);
	}

	/* Before any thread: the keeper forks containers single-threaded. */
	if (keeper_start(d->root, d->debug, &d->keeper, &err) < 0) {
		fprintf(stderr, "ocifs: keeper: %s\n", err.msg);
		goto out_free;
	}
	raise_nofile();
	/* Port: bound now, while stderr is still the terminal (the daemon
	 * detaches after mounting), so a busy port fails the start-up; served
	 * once the session is up.  After the keeper: it must not inherit it. */
	if (d->cfg.port && !(http = http_listen(&d->cfg, &err))) {
		fprintf(stderr, "ocifs: %s\n", err.msg);
		goto out_keeper;
	}

	mount_opts = xasprintf("allow_other,default_permissions,fsname=ocifs,subtype=ocifs%s%s",
			       o.fuse_opts ? "," : "", o.fuse_opts ? o.fuse_opts : "");
	if (fuse_opt_add_arg(&args, argv[0]) < 0 || fuse_opt_add_arg(&args, "-o") < 0 ||
	    fuse_opt_add_arg(&args, mount_opts) < 0) {
		fprintf(stderr, "ocifs: out of memory\n");
		goto out_keeper;
	}
	d->se = fuse_session_new(&args, &ocifs_ops, sizeof(ocifs_ops), d);
	if (!d->se) {
		fprintf(stderr, "ocifs: bad FUSE options: %s\n", mount_opts);
		goto out_keeper;
	}
	if (fuse_set_signal_handlers(d->se) < 0) {
		fprintf(stderr, "ocifs: cannot set signal handlers\n");
		goto out_session;
	}
	signals = true;
	if (fuse_session_mount(d->se, d->mountpoint) < 0) {
		fprintf(stderr, "ocifs: cannot mount on %s\n", d->mountpoint);
		goto out_session;
	}
	mounted = true;
	if (fuse_daemonize(o.foreground) < 0) {
		fprintf(stderr, "ocifs: cannot detach\n");
		goto out_session;
	}

	/* Threads from here on; they start with the exit signals blocked. */
	block_exit_signals(SIG_BLOCK);
	if (events_init(d) < 0) {
		fprintf(stderr, "ocifs: events: cannot initialise\n");
		goto out_session;
	}
	have_events = true;
	if (keeper_run_reader(d->keeper, watch_keeper_notice, d, &err) < 0) {
		fprintf(stderr, "ocifs: keeper: %s\n", err.msg);
		goto out_session;
	}
	if (watch_start(d) < 0) {
		fprintf(stderr, "ocifs: watcher: cannot start\n");
		goto out_session;
	}
	have_watch = true;
	/* after watch_start: the watcher arms its watches (state directory,
	 * init pidfd) on the containers it sees appear in this first scan */
	tree_rescan(d);
	if (notify_start(d) < 0) {
		fprintf(stderr, "ocifs: notifier: cannot start\n");
		goto out_session;
	}
	have_notify = true;
	if (http && http_start(http, d, &err) < 0) {
		fprintf(stderr, "ocifs: %s\n", err.msg);
		goto out_session;
	}
	if (d->debug)
		fprintf(stderr, "ocifs: serving %s on %s\n", d->root, d->mountpoint);
	block_exit_signals(SIG_UNBLOCK);

	r = fuse_session_loop_mt(d->se, &loop);
	ret = r < 0 ? 1 : 0; /* > 0: ended by a signal, a clean unmount too */
	if (r < 0)
		fprintf(stderr, "ocifs: FUSE loop: %s\n", strerror(-r));
	block_exit_signals(SIG_BLOCK);

out_session:
	/* first: its ctl workers use the keeper, the watcher and the events */
	http_stop(http);
	http = NULL;
	/* Unmount first: closing the session's fd aborts any request still
	 * pending, so a notifier blocked in a call on the mount returns. */
	if (mounted)
		fuse_session_unmount(d->se);
	if (have_notify)
		notify_stop(d);
	if (have_watch)
		watch_stop(d);
	/* the keeper's reader thread emits events: end it before them */
	keeper_close(d->keeper);
	d->keeper = NULL;
	if (have_events)
		events_destroy(d);
	if (signals)
		fuse_remove_signal_handlers(d->se);
	fuse_session_destroy(d->se);
out_keeper:
	http_stop(http);
	if (d->keeper)
		keeper_close(d->keeper);
	fuse_opt_free_args(&args);
out_free:
	free(o.fuse_opts);
	daemon_free(d);
	return ret;
}
