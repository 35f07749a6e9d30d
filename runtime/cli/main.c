/* ocirun: the runc-compatible command line over the ocifs engine.
 *
 * Global options come before the command (runc style); the command is looked
 * up in a static table and its handler parses its own options.  See cli.h
 * for the error and option conventions.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "cli.h"
#include "ocifs/engine.h"
#include "ocifs/util.h"

static int cmd_help(struct cli_ctx *ctx, int argc, char **argv);

static const struct cli_command commands[] = {
	{ "create", cmd_create,
	  "create [--bundle DIR] [--pid-file FILE] [--console-socket SOCK] [--preserve-fds N] "
	  "[--no-pivot] [--no-new-keyring] ID",
	  "create a container (its process waits for `start`)" },
	{ "start", cmd_start, "start ID", "run the user process of a created container" },
	{ "run", cmd_run,
	  "run [--bundle DIR] [--detach] [--keep] [--pid-file FILE] [--console-socket SOCK] "
	  "[--preserve-fds N] [--no-pivot] [--no-new-keyring] ID",
	  "create and start a container; without --detach wait and exit with its status" },
	{ "state", cmd_state, "state ID", "print the OCI state of a container" },
	{ "kill", cmd_kill, "kill [--all] ID [SIGNAL]",
	  "send a signal (default SIGTERM) to the container's init (or to all its processes)" },
	{ "delete", cmd_delete, "delete [--force] ID",
	  "delete a stopped container (--force: kill it first)" },
	{ "stop", cmd_stop, "stop [--time SECONDS] ID",
	  "SIGTERM, wait (default 10 s), SIGKILL every process, delete" },
	{ "exec", cmd_exec,
	  "exec [OPTIONS] ID COMMAND [ARG...]  |  exec [OPTIONS] --process FILE ID",
	  "run a new process inside a running container" },
	{ "list", cmd_list, "list [--format table|json] [--quiet]",
	  "list the containers of the state root" },
	{ "ps", cmd_ps, "ps [--format table|json] ID [PS OPTIONS...]",
	  "show the processes running inside a container" },
	{ "pause", cmd_pause, "pause ID", "suspend every process of a container" },
	{ "resume", cmd_resume, "resume ID", "resume a paused container" },
	{ "events", cmd_events, "events [--stats] [--interval DURATION] ID",
	  "container events and statistics" },
	{ "update", cmd_update, "update [OPTIONS] ID", "update a container's resource limits" },
	{ "spec", cmd_spec, "spec [--bundle DIR] [--rootless]",
	  "write a default config.json into the bundle directory" },
	{ "features", cmd_features, "features", "print the runtime's OCI features document" },
	{ "help", cmd_help, "help [COMMAND]", "show the commands, or one command's usage" },
};

static const struct cli_command *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	if (strcmp(name, "h") == 0)
		return find_command("help");
	return NULL;
}

static void print_help(FILE *f, const char *root)
{
	fprintf(f,
		"ocirun - the ocifs OCI runtime (runc-compatible command line)\n\n"
		"Usage: ocirun [global options] COMMAND [command options] [arguments...]\n\n"
		"Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "   %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
		"\nGlobal options:\n"
		"   --root DIR          state root (default \"%s\")\n"
		"   --log FILE          append errors (and debug lines) to FILE\n"
		"   --log-format FMT    'text' (default) or 'json'\n"
		"   --debug             enable debug logging\n"
		"   --systemd-cgroup    accepted; not supported (use cgroupfs paths)\n"
		"   --criu PATH         accepted, ignored (no checkpoint/restore)\n"
		"   --rootless VALUE    'true', 'false' or 'auto' (default \"auto\")\n"
		"   --help, -h          show help\n"
		"   --version, -v       print the version\n"
		"\nRun 'ocirun COMMAND --help' for a command's options.\n",
		root);
}

static int cmd_help(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc > 2)
		return cli_fail("help", NULL, "unexpected argument '%s'", argv[2]);
	if (argc == 2) {
		const struct cli_command *c = find_command(argv[1]);
		if (!c)
			return cli_fail("help", NULL, "unknown command '%s'", argv[1]);
		ctx->cmd = c;
		return cli_usage(ctx);
	}
	print_help(stdout, ctx->root);
	return 0;
}

/* The fallback root in /tmp is shared with every user: it must be ours,
 * a real directory and writable by nobody else, or someone could plant
 * state (or a symlink) there. */
static int check_tmp_root(const char *op, const char *root)
{
	struct stat st;

	if (mkdir(root, 0700) < 0 && errno != EEXIST)
		return cli_fail(op, NULL, "state root %s: %s", root, strerror(errno));
	if (lstat(root, &st) < 0)
		return cli_fail(op, NULL, "state root %s: %s", root, strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
		return cli_fail(op, NULL, "state root %s: not a directory owned by uid %d and "
				"writable only by it (set XDG_RUNTIME_DIR or use --root)",
				root, (int)geteuid());
	return 0;
}

/* runc's choice of default root: an unprivileged caller (euid != 0, or
 * root of a user namespace whose $USER is not "root") gets
 * $XDG_RUNTIME_DIR/ocifs; without XDG_RUNTIME_DIR, a non-root euid falls
 * back to its /run/user/UID (when it owns it), then /tmp/ocifs-UID.
 * Everyone else gets /run/ocifs. */
static const char *default_root(void)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	const char *user = getenv("USER");
	uid_t euid = geteuid();
	char *run_user;
	struct stat st;

	if (euid == 0 && (!cgroup_in_userns() || (user && strcmp(user, "root") == 0)))
		return OCIFS_DEFAULT_ROOT;
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/ocifs", xdg);
	if (euid == 0)
		return OCIFS_DEFAULT_ROOT;
	run_user = xasprintf("/run/user/%d", (int)euid);
	if (stat(run_user, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == euid) {
		char *root = xasprintf("%s/ocifs", run_user);
		free(run_user);
		return root;
	}
	free(run_user);
	return xasprintf("/tmp/ocifs-%d", (int)euid);
}

/* The commands that put a process into a container run from a sealed copy
 * of this binary (runtime/exe.c). */
static bool enters_container(const struct cli_command *cmd)
{
	return strcmp(cmd->name, "create") == 0 || strcmp(cmd->name, "run") == 0 ||
	       strcmp(cmd->name, "exec") == 0;
}

static int parse_rootless(const char *v)
{
	if (strcmp(v, "true") == 0)
		cgroup_set_rootless(CGROUP_ROOTLESS_TRUE);
	else if (strcmp(v, "false") == 0)
		cgroup_set_rootless(CGROUP_ROOTLESS_FALSE);
	else if (strcmp(v, "auto") == 0)
		cgroup_set_rootless(CGROUP_ROOTLESS_AUTO);
	else
		return -1;
	return 0;
}

enum {
	OPT_ROOT = 256,
	OPT_LOG,
	OPT_LOG_FORMAT,
	OPT_DEBUG,
	OPT_SYSTEMD_CGROUP,
	OPT_CRIU,
	OPT_ROOTLESS,
};

static const struct option global_longopts[] = {
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
	{ "debug", no_argument, NULL, OPT_DEBUG },
	{ "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD_CGROUP },
	{ "criu", required_argument, NULL, OPT_CRIU },
	{ "rootless", required_argument, NULL, OPT_ROOTLESS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
	struct cli_ctx ctx = {
		.root = NULL,
		.rootless = "auto",
	};
	const char *log_format = "text", *root_opt = NULL;
	bool version = false, help = false;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hv", global_longopts, NULL)) != -1) {
		switch (c) {
		case OPT_ROOT: ctx.root = root_opt = optarg; break;
		case OPT_LOG: ctx.log_path = optarg; break;
		case OPT_LOG_FORMAT: log_format = optarg; break;
		case OPT_DEBUG: ctx.debug = true; break;
		case OPT_SYSTEMD_CGROUP: ctx.systemd_cgroup = true; break;
		case OPT_CRIU: ctx.criu = optarg; break;
		case OPT_ROOTLESS: ctx.rootless = optarg; break;
		case 'h': help = true; break;
		case 'v': version = true; break;
		case ':':
			fprintf(stderr, "ocirun: option %s requires a value\n", argv[optind - 1]);
			return 1;
		default:
			fprintf(stderr, "ocirun: unknown global option %s (see 'ocirun --help')\n",
				argv[optind - 1]);
			return 1;
		}
	}

	if (strcmp(log_format, "json") == 0) {
		ctx.log_json = true;
	} else if (strcmp(log_format, "text") != 0) {
		fprintf(stderr, "ocirun: --log-format: unknown format '%s' (text or json)\n",
			log_format);
		return 1;
	}
	if (parse_rootless(ctx.rootless) < 0) {
		fprintf(stderr, "ocirun: --rootless: invalid value '%s' (true, false or auto)\n",
			ctx.rootless);
		return 1;
	}
	if (ctx.root && !*ctx.root) {
		fprintf(stderr, "ocirun: --root: empty path\n");
		return 1;
	}
	if (!ctx.root)
		ctx.root = default_root();
	if (cli_log_open(&ctx))
		return 1;

	if (version) {
		cli_print_version();
		return 0;
	}
	if (help) {
		print_help(stdout, ctx.root);
		return 0;
	}
	if (optind >= argc) {
		print_help(stdout, ctx.root);
		return 0;
	}

	const struct cli_command *cmd = find_command(argv[optind]);
	if (!cmd)
		return cli_fail(NULL, NULL, "unknown command '%s' (see 'ocirun --help')",
				argv[optind]);
	ctx.cmd = cmd;
	if (enters_container(cmd)) {
		ocifs_error err = { 0 };

		if (ocifs_exe_reexec_sealed(argv, &err) < 0)
			return cli_fail_err(cmd->name, NULL, &err);
	}
	if (ctx.root != root_opt && strncmp(ctx.root, "/tmp/", 5) == 0 &&
	    check_tmp_root(cmd->name, ctx.root) != 0)
		return 1;
	cli_debug("command %s, root %s", cmd->name, ctx.root);
	return cmd->handler(&ctx, argc - optind, argv + optind);
}
