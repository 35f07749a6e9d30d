/* ocirun spec, features and --version: documents about the runtime itself. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <seccomp.h>

#include "cli.h"
#include "ocifs/engine.h"
#include "ocifs/util.h"

#ifndef OCIFS_VERSION
#define OCIFS_VERSION "unknown"
#endif

void cli_print_version(void)
{
	const struct scmp_version *v = seccomp_version();

	printf("ocirun version %s\nspec: %s\n", OCIFS_VERSION, OCIFS_OCI_VERSION);
	if (v)
		printf("libseccomp: %u.%u.%u\n", v->major, v->minor, v->micro);
}

/* JSON text re-indented by 2, with a trailing newline; caller frees. */
static char *pretty(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	char *res = xasprintf("%s\n", s ? s : text);

	free(s);
	json_decref(j);
	return res;
}

int cmd_spec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "rootless", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_opts o;
	const char *bundle = NULL;
	bool rootless = false;
	int c;

	cli_opts_begin(&o, "spec", argc, argv, 0);
	while ((c = cli_getopt(&o, "b:h", opts)) != -1) {
		if (c == 'b')
			bundle = o.optarg;
		else if (c == 'r')
			rootless = true;
		else {
			cli_opts_end(&o);
			return c == 'h' ? cli_usage(ctx) : 1;
		}
	}
	c = cli_no_more_args(ctx, &o, 0);
	cli_opts_end(&o);
	if (c)
		return 1;

	char *text = ocifs_spec_json(rootless);
	if (!text)
		return cli_fail("spec", NULL, "cannot render the default configuration");
	char *out = pretty(text);
	free(text);

	char *path = bundle ? xasprintf("%s/config.json", bundle) : xstrdup("config.json");
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	int rc = 0;
	if (fd < 0) {
		if (errno == EEXIST)
			rc = cli_fail("spec", NULL, "config.json already exists");
		else
			rc = cli_fail("spec", NULL, "%s: %s", path, strerror(errno));
	} else {
		if (write_all(fd, out, strlen(out)) < 0) {
			rc = cli_fail("spec", NULL, "write %s: %s", path, strerror(errno));
			unlink(path);
		}
		if (close(fd) < 0 && !rc)
			rc = cli_fail("spec", NULL, "close %s: %s", path, strerror(errno));
	}
	free(path);
	free(out);
	return rc;
}

int cmd_features(struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_opts o;
	int c;

	cli_opts_begin(&o, "features", argc, argv, 0);
	while ((c = cli_getopt(&o, "h", (const struct option[]){
					       { "help", no_argument, NULL, 'h' },
					       { NULL, 0, NULL, 0 } })) != -1) {
		cli_opts_end(&o);
		return c == 'h' ? cli_usage(ctx) : 1;
	}
	c = cli_no_more_args(ctx, &o, 0);
	cli_opts_end(&o);
	if (c)
		return 1;

	char *text = ocifs_features_json();
	if (!text)
		return cli_fail("features", NULL, "cannot render the features document");
	char *out = pretty(text);
	free(text);
	fputs(out, stdout);
	free(out);
	return fflush(stdout) == 0 ? 0 : 1;
}
