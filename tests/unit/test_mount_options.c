/* TAP tests for mount_options_decode() and mount_propagation_flag()
 * (runtime/config_mounts.c): fstab/mount(8) options to MS_* flags. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "ocifs/config.h"
#include "rootfs.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

#include "tap.h"

#define MAX_OPTS 8

/* Decodes `opts` (NULL-terminated) for a mount of `type`. */
static int decode(const char *type, const char *const *opts, struct oci_mount *m,
		  ocifs_error *err)
{
	static char *buf[MAX_OPTS];
	size_t n = 0;

	memset(m, 0, sizeof(*m));
	while (opts && opts[n] && n < MAX_OPTS) {
		buf[n] = (char *)opts[n];
		n++;
	}
	m->type = (char *)type;
	m->options = n ? buf : NULL;
	m->n_options = n;
	return mount_options_decode(m, err);
}

struct flag_case {
	const char *name;
	unsigned long flag;
	bool clears; /* the option clears `flag` */
};

static const struct flag_case flag_cases[] = {
	{ "ro", MS_RDONLY, false },          { "rw", MS_RDONLY, true },
	{ "nosuid", MS_NOSUID, false },      { "suid", MS_NOSUID, true },
	{ "nodev", MS_NODEV, false },        { "dev", MS_NODEV, true },
	{ "noexec", MS_NOEXEC, false },      { "exec", MS_NOEXEC, true },
	{ "sync", MS_SYNCHRONOUS, false },   { "async", MS_SYNCHRONOUS, true },
	{ "dirsync", MS_DIRSYNC, false },    { "remount", MS_REMOUNT, false },
	{ "mand", MS_MANDLOCK, false },      { "nomand", MS_MANDLOCK, true },
	{ "noatime", MS_NOATIME, false },    { "atime", MS_NOATIME, true },
	{ "nodiratime", MS_NODIRATIME, false }, { "diratime", MS_NODIRATIME, true },
	{ "relatime", MS_RELATIME, false },  { "norelatime", MS_RELATIME, true },
	{ "strictatime", MS_STRICTATIME, false }, { "nostrictatime", MS_STRICTATIME, true },
	{ "lazytime", MS_LAZYTIME, false },  { "nolazytime", MS_LAZYTIME, true },
	{ "silent", MS_SILENT, false },      { "loud", MS_SILENT, true },
	{ "iversion", MS_I_VERSION, false }, { "noiversion", MS_I_VERSION, true },
	{ "nosymfollow", MS_NOSYMFOLLOW, false }, { "symfollow", MS_NOSYMFOLLOW, true },
};

static void test_flags(void)
{
	for (size_t i = 0; i < sizeof(flag_cases) / sizeof(flag_cases[0]); i++) {
		const struct flag_case *c = &flag_cases[i];
		const char *opts[] = { c->name, NULL };
		struct oci_mount m;
		ocifs_error err = { 0 };
		int r = decode("tmpfs", opts, &m, &err);
		bool good = r == 0 && !m.data && !m.bind && m.propagation == 0 &&
			    (c->clears ? m.flags == 0 && m.clear_flags == c->flag
				       : m.flags == c->flag && m.clear_flags == 0);
		ok(good, "\"%s\" %s its flag", c->name, c->clears ? "clears" : "sets");
		free(m.data);
	}
}

struct combo_case {
	const char *desc;
	const char *type;
	const char *opts[MAX_OPTS];
	unsigned long flags, clear, propagation;
	bool bind, rbind;
	const char *data;
};

static const struct combo_case combos[] = {
	{ "later wins: ro,rw", "tmpfs", { "ro", "rw" }, 0, MS_RDONLY, 0, false, false, NULL },
	{ "later wins: rw,ro", "tmpfs", { "rw", "ro" }, MS_RDONLY, 0, 0, false, false, NULL },
	{ "later wins: noexec,exec,nosuid", "tmpfs", { "noexec", "exec", "nosuid" }, MS_NOSUID,
	  MS_NOEXEC, 0, false, false, NULL },
	{ "bind", NULL, { "bind" }, MS_BIND, 0, 0, true, false, NULL },
	{ "rbind", NULL, { "rbind" }, MS_BIND | MS_REC, 0, 0, true, true, NULL },
	{ "type bind alone means bind", "bind", { NULL }, MS_BIND, 0, 0, true, false, NULL },
	{ "type bind with rbind,ro", "bind", { "rbind", "ro" }, MS_BIND | MS_REC | MS_RDONLY, 0, 0,
	  true, true, NULL },
	{ "shared", "none", { "shared" }, 0, 0, MS_SHARED, false, false, NULL },
	{ "rshared", "none", { "rshared" }, 0, 0, MS_SHARED | MS_REC, false, false, NULL },
	{ "slave", "none", { "slave" }, 0, 0, MS_SLAVE, false, false, NULL },
	{ "rslave", "none", { "rslave" }, 0, 0, MS_SLAVE | MS_REC, false, false, NULL },
	{ "private", "none", { "private" }, 0, 0, MS_PRIVATE, false, false, NULL },
	{ "rprivate", "none", { "rprivate" }, 0, 0, MS_PRIVATE | MS_REC, false, false, NULL },
	{ "unbindable", "none", { "unbindable" }, 0, 0, MS_UNBINDABLE, false, false, NULL },
	{ "runbindable", "none", { "runbindable" }, 0, 0, MS_UNBINDABLE | MS_REC, false, false,
	  NULL },
	{ "propagation: later wins", "none", { "rprivate", "rshared" }, 0, 0, MS_SHARED | MS_REC,
	  false, false, NULL },
	{ "propagation does not touch flags", "bind", { "rbind", "rslave" }, MS_BIND | MS_REC, 0,
	  MS_SLAVE | MS_REC, true, true, NULL },
	{ "defaults is a no-op", "tmpfs", { "defaults" }, 0, 0, 0, false, false, NULL },
	{ "empty options are skipped", "tmpfs", { "", "ro", "" }, MS_RDONLY, 0, 0, false, false,
	  NULL },
	{ "fs data kept in order", "tmpfs", { "nosuid", "mode=755", "strictatime", "size=65536k" },
	  MS_NOSUID | MS_STRICTATIME, 0, 0, false, false, "mode=755,size=65536k" },
	{ "devpts data", "devpts",
	  { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" },
	  MS_NOSUID | MS_NOEXEC, 0, 0, false, false, "newinstance,ptmxmode=0666,mode=0620,gid=5" },
	{ "option names are case-sensitive", "tmpfs", { "RO" }, 0, 0, 0, false, false, "RO" },
	{ "unknown flag-like option is fs data", "ext4", { "noauto", "errors=remount-ro" }, 0, 0,
	  0, false, false, "noauto,errors=remount-ro" },
	{ "cgroup example", "cgroup", { "nosuid", "noexec", "nodev", "relatime", "ro" },
	  MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY, 0, 0, false, false, NULL },
	{ "no options at all", "proc", { NULL }, 0, 0, 0, false, false, NULL },
};

static void test_combos(void)
{
	for (size_t i = 0; i < sizeof(combos) / sizeof(combos[0]); i++) {
		const struct combo_case *c = &combos[i];
		struct oci_mount m;
		ocifs_error err = { 0 };
		int r = decode(c->type, c->opts, &m, &err);
		bool data_ok = c->data ? (m.data && strcmp(m.data, c->data) == 0) : m.data == NULL;
		bool good = r == 0 && m.flags == c->flags && m.clear_flags == c->clear &&
			    m.propagation == c->propagation && m.bind == c->bind &&
			    m.recursive_bind == c->rbind && data_ok;
		if (!ok(good, "%s", c->desc))
			printf("# r=%d flags=%#lx clear=%#lx prop=%#lx bind=%d rbind=%d data=%s %s\n",
			       r, m.flags, m.clear_flags, m.propagation, m.bind, m.recursive_bind,
			       m.data ? m.data : "(null)", err.msg);
		free(m.data);
	}
}

static const char *const refused[] = {
	"rro",          "rrw",      "rnosuid",     "rsuid",          "rnodev",
	"rdev",         "rnoexec",  "rexec",       "rnoatime",       "ratime",
	"rnodiratime",  "rdiratime", "rrelatime",  "rnorelatime",    "rstrictatime",
	"rnostrictatime", "rnosymfollow", "rsymfollow", "tmpcopyup",
};

static void test_refused(void)
{
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		const char *opts[] = { "mode=1", "ro", refused[i], NULL };
		struct oci_mount m;
		ocifs_error err = { 0 };
		char want[64];
		int r = decode("tmpfs", opts, &m, &err);
		snprintf(want, sizeof(want), "options[2]: \"%s\" is not supported yet", refused[i]);
		if (!ok(r == -1 && err.code == EINVAL && strcmp(err.msg, want) == 0 && !m.data,
			"\"%s\" refused as not supported yet", refused[i]))
			printf("# got r=%d: %s\n", r, err.msg);
		free(m.data);
	}
}

static void test_redecode(void)
{
	const char *opts1[] = { "ro", "rbind", "rshared", "size=1", NULL };
	struct oci_mount m;
	ocifs_error err = { 0 };
	char *o2[] = { "nodev", "mode=2" };

	decode("bind", opts1, &m, &err);
	m.type = "tmpfs";
	m.options = o2;
	m.n_options = 2;
	int r = mount_options_decode(&m, &err);
	ok(r == 0 && m.flags == MS_NODEV && m.clear_flags == 0 && m.propagation == 0 && !m.bind &&
		   !m.recursive_bind && m.data && strcmp(m.data, "mode=2") == 0,
	   "decoding again starts from scratch");
	free(m.data);
}

static void test_propagation_flag(void)
{
	ok(mount_propagation_flag("shared") == MS_SHARED &&
		   mount_propagation_flag("rslave") == (MS_SLAVE | MS_REC) &&
		   mount_propagation_flag("private") == MS_PRIVATE &&
		   mount_propagation_flag("runbindable") == (MS_UNBINDABLE | MS_REC),
	   "mount_propagation_flag known names");
	ok(mount_propagation_flag("") == -1 && mount_propagation_flag("bind") == -1 &&
		   mount_propagation_flag("Shared") == -1 && mount_propagation_flag("rro") == -1,
	   "mount_propagation_flag unknown names give -1");
}

int main(void)
{
	test_flags();
	test_combos();
	test_refused();
	test_redecode();
	test_propagation_flag();
	printf("1..%d\n", n_run);
	return n_failed ? 1 : 0;
}
