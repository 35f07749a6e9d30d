/* process.capabilities and process.user: the credentials of the container
 * process (config.md "process", Linux capabilities and user).
 *
 * process_set_credentials() runs as uid 0 of the container with every
 * capability the runtime has, and in this order:
 *   1. checks that every requested capability is one the runtime can give
 *      (in its own bounding set), so that a missing one is named instead of
 *      surfacing as an opaque EPERM later;
 *   2. drops from the bounding set what caps.bounding does not list;
 *   3. PR_SET_KEEPCAPS, setgroups(additionalGids), setresgid, setresuid;
 *   4. capset effective/permitted/inheritable, then raises the ambient set;
 *   5. clears PR_SET_KEEPCAPS.
 * Without "capabilities" in the config, uid 0 keeps everything and any other
 * uid ends with no capabilities, as a plain setuid() would leave it.
 *
 * An ambient capability that is not in both the permitted and inheritable
 * sets cannot be raised (capabilities(7)); like runc and crun we skip it
 * rather than fail, since podman generates such configs.
 */
#include <errno.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "process.h"
#include "ocifs/util.h"

/* Declared here rather than in process.h: the one entry point of this file,
 * used by process.c only. */

#define CAP_BIT(c) (UINT64_C(1) << (c))

static int last_cap(void)
{
	/* cap_max_bits() asks the kernel (/proc/sys/kernel/cap_last_cap). */
	int n = (int)cap_max_bits();
	return n > 64 ? 63 : n - 1;
}

static const char *cap_label(int cap, char *buf, size_t len)
{
	const char *name = caps_to_name(cap);

	if (name)
		return name;
	snprintf(buf, len, "capability %d", cap);
	return buf;
}

/* Every capability of every set must be known to the kernel and present in
 * the runtime's own bounding set: a capability cannot be granted otherwise. */
/* The runtime-spec says runtimes SHOULD NOT fail on capabilities that
 * cannot be granted: a capability missing from the runtime's own bounding
 * set (this host's root lacks CAP_SYS_RESOURCE) is dropped from every set
 * with a warning on stderr.  A capability the kernel does not know, or an
 * effective capability outside the permitted set, is an error. */
static int check_available(struct oci_caps *c, ocifs_error *err)
{
	uint64_t all = c->bounding | c->effective | c->inheritable |
		       c->permitted | c->ambient;
	int last = last_cap();
	char buf[32];

	for (int cap = 0; cap < 64; cap++) {
		if (!(all & CAP_BIT(cap)))
			continue;
		if (cap > last)
			return ocifs_error_set(err, 0,
					       "process.capabilities: %s: not known to this kernel (last is %d)",
					       cap_label(cap, buf, sizeof(buf)), last);
		int r = prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0);
		if (r < 0)
			return ocifs_error_set(err, errno,
					       "process.capabilities: PR_CAPBSET_READ %s",
					       cap_label(cap, buf, sizeof(buf)));
		if (r == 0) {
			fprintf(stderr, "ocirun: warning: process.capabilities: %s: "
				"not in the runtime's bounding set, dropped\n",
				cap_label(cap, buf, sizeof(buf)));
			c->bounding &= ~CAP_BIT(cap);
			c->effective &= ~CAP_BIT(cap);
			c->inheritable &= ~CAP_BIT(cap);
			c->permitted &= ~CAP_BIT(cap);
			c->ambient &= ~CAP_BIT(cap);
		}
	}
	if (c->effective & ~c->permitted) {
		int cap = __builtin_ctzll(c->effective & ~c->permitted);
		return ocifs_error_set(err, 0,
				       "process.capabilities.effective: %s: not in the permitted set",
				       cap_label(cap, buf, sizeof(buf)));
	}
	return 0;
}

static int drop_bounding(uint64_t keep, ocifs_error *err)
{
	int last = last_cap();
	char buf[32];

	for (int cap = 0; cap <= last; cap++) {
		if (keep & CAP_BIT(cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0) < 0 &&
		    errno != EINVAL)
			return ocifs_error_set(err, errno,
					       "process.capabilities.bounding: drop %s",
					       cap_label(cap, buf, sizeof(buf)));
	}
	return 0;
}

static bool setgroups_denied(void)
{
	cleanup_free char *s = NULL;
	ocifs_error ignored;

	return read_file("/proc/self/setgroups", &s, NULL, &ignored) == 0 &&
	       strncmp(s, "deny", 4) == 0;
}

static int set_ids(const struct oci_user *u, ocifs_error *err)
{
	if (u->n_additional_gids > 0) {
		if (setgroups(u->n_additional_gids, u->additional_gids) < 0) {
			int e = errno;

			if (e == EPERM && setgroups_denied())
				return ocifs_error_set(err, e,
						       "process.user.additionalGids: setgroups is denied in this user namespace");
			return ocifs_error_set(err, e,
					       "process.user.additionalGids: setgroups");
		}
	} else if (setgroups(0, NULL) < 0 && errno != EPERM) {
		/* EPERM: the user namespace has setgroups denied; then the
		 * process has no supplementary groups to clear anyway. */
		return ocifs_error_set(err, errno, "process.user: setgroups(0)");
	}
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return ocifs_error_set(err, errno, "process.user.gid: setresgid %u",
				       (unsigned)u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return ocifs_error_set(err, errno, "process.user.uid: setresuid %u",
				       (unsigned)u->uid);
	return 0;
}

static int add_flags(cap_t caps, cap_flag_t flag, uint64_t mask, ocifs_error *err)
{
	int last = last_cap();

	for (int cap = 0; cap <= last; cap++) {
		cap_value_t v = cap;
		if ((mask & CAP_BIT(cap)) && cap_set_flag(caps, flag, 1, &v, CAP_SET) < 0)
			return ocifs_error_set(err, errno, "process.capabilities: cap_set_flag");
	}
	return 0;
}

/* capset of effective, permitted and inheritable (the bounding set is done). */
static int set_caps(uint64_t eff, uint64_t perm, uint64_t inh, ocifs_error *err)
{
	cap_t caps = cap_init();
	int ret = -1;

	if (!caps)
		return ocifs_error_set(err, errno, "process.capabilities: cap_init");
	if (add_flags(caps, CAP_EFFECTIVE, eff, err) < 0 ||
	    add_flags(caps, CAP_PERMITTED, perm, err) < 0 ||
	    add_flags(caps, CAP_INHERITABLE, inh, err) < 0)
		goto out;
	if (cap_set_proc(caps) < 0) {
		ocifs_error_set(err, errno, "process.capabilities: capset");
		goto out;
	}
	ret = 0;
out:
	cap_free(caps);
	return ret;
}

static int raise_ambient(const struct oci_caps *c, ocifs_error *err)
{
	uint64_t can = c->ambient & c->permitted & c->inheritable;
	int last = last_cap();
	char buf[32];

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		return ocifs_error_set(err, errno,
				       "process.capabilities.ambient: clear");
	for (int cap = 0; cap <= last; cap++) {
		if (!(can & CAP_BIT(cap)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)cap, 0, 0) < 0)
			return ocifs_error_set(err, errno,
					       "process.capabilities.ambient: raise %s",
					       cap_label(cap, buf, sizeof(buf)));
	}
	return 0;
}

int process_set_credentials(const struct oci_process *p, ocifs_error *err)
{
	struct oci_caps caps = p->caps;

	if (p->has_caps) {
		if (check_available(&caps, err) < 0 ||
		    drop_bounding(caps.bounding, err) < 0)
			return -1;
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return ocifs_error_set(err, errno, "process.user: PR_SET_KEEPCAPS");
	if (set_ids(&p->user, err) < 0)
		return -1;
	if (p->has_caps) {
		if (set_caps(caps.effective, caps.permitted, caps.inheritable, err) < 0 ||
		    raise_ambient(&caps, err) < 0)
			return -1;
	} else if (p->user.uid != 0) {
		/* What setuid() without keepcaps would have left. */
		if (set_caps(0, 0, 0, err) < 0)
			return -1;
	}
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return ocifs_error_set(err, errno, "process.user: clear PR_SET_KEEPCAPS");
	return 0;
}
