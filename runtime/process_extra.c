/* process.scheduler, process.ioPriority, process.execCPUAffinity,
 * linux.personality, linux.memoryPolicy, linux.timeOffsets (see
 * process_extra.h). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "process_extra.h"
#include "ocifs/util.h"

struct name_num {
	const char *name;
	int64_t num;
};

static int64_t lookup(const struct name_num *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return t[i].num;
	return -1;
}

static const struct name_num sched_policies[] = {
	{ "SCHED_OTHER", 0 }, { "SCHED_FIFO", 1 }, { "SCHED_RR", 2 },   { "SCHED_BATCH", 3 },
	{ "SCHED_ISO", 4 },   { "SCHED_IDLE", 5 }, { "SCHED_DEADLINE", 6 },
};

static const struct name_num sched_flags[] = {
	{ "SCHED_FLAG_RESET_ON_FORK", 0x01 },  { "SCHED_FLAG_RECLAIM", 0x02 },
	{ "SCHED_FLAG_DL_OVERRUN", 0x04 },     { "SCHED_FLAG_KEEP_POLICY", 0x08 },
	{ "SCHED_FLAG_KEEP_PARAMS", 0x10 },    { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
	{ "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};

static const struct name_num ioprio_classes[] = {
	{ "IOPRIO_CLASS_RT", 1 }, { "IOPRIO_CLASS_BE", 2 }, { "IOPRIO_CLASS_IDLE", 3 },
};

static const struct name_num mpol_modes[] = {
	{ "MPOL_DEFAULT", 0 },        { "MPOL_PREFERRED", 1 },
	{ "MPOL_BIND", 2 },           { "MPOL_INTERLEAVE", 3 },
	{ "MPOL_LOCAL", 4 },          { "MPOL_PREFERRED_MANY", 5 },
	{ "MPOL_WEIGHTED_INTERLEAVE", 6 },
};

static const struct name_num mpol_flags[] = {
	{ "MPOL_F_NUMA_BALANCING", 1 << 13 },
	{ "MPOL_F_RELATIVE_NODES", 1 << 14 },
	{ "MPOL_F_STATIC_NODES", 1 << 15 },
};

int pextra_sched_policy(const char *name)
{
	return (int)lookup(sched_policies, ARRAY_SIZE(sched_policies), name);
}

int64_t pextra_sched_flag(const char *name)
{
	return lookup(sched_flags, ARRAY_SIZE(sched_flags), name);
}

int pextra_ioprio_class(const char *name)
{
	return (int)lookup(ioprio_classes, ARRAY_SIZE(ioprio_classes), name);
}

int pextra_mpol_mode(const char *name)
{
	return (int)lookup(mpol_modes, ARRAY_SIZE(mpol_modes), name);
}

int pextra_mpol_flag(const char *name)
{
	return (int)lookup(mpol_flags, ARRAY_SIZE(mpol_flags), name);
}

#define LONG_BITS (8 * sizeof(unsigned long))

static int parse_num(const char **s, unsigned long *out)
{
	char *end;

	if (**s < '0' || **s > '9')
		return -1;
	errno = 0;
	*out = strtoul(*s, &end, 10);
	if (errno)
		return -1;
	*s = end;
	return 0;
}

int pextra_parse_list(const char *s, unsigned long *bits, size_t nbits)
{
	memset(bits, 0, (nbits + LONG_BITS - 1) / LONG_BITS * sizeof(unsigned long));
	if (!*s)
		return -1;
	for (;;) {
		unsigned long a, b;

		if (parse_num(&s, &a) < 0)
			return -1;
		b = a;
		if (*s == '-') {
			s++;
			if (parse_num(&s, &b) < 0 || b < a)
				return -1;
		}
		if (b >= nbits)
			return -1;
		for (unsigned long i = a; i <= b; i++)
			bits[i / LONG_BITS] |= 1UL << (i % LONG_BITS);
		if (*s == '\0')
			return 0;
		if (*s++ != ',')
			return -1;
	}
}

/* ---- process ---- */

static int set_affinity(const char *list, const char *what, ocifs_error *err)
{
	unsigned long bits[CPU_SETSIZE / LONG_BITS];
	cpu_set_t set;

	if (pextra_parse_list(list, bits, CPU_SETSIZE) < 0)
		return ocifs_error_set(err, EINVAL, "process.execCPUAffinity.%s: bad CPU list \"%s\"",
				       what, list);
	CPU_ZERO(&set);
	for (size_t i = 0; i < CPU_SETSIZE; i++)
		if (bits[i / LONG_BITS] & (1UL << (i % LONG_BITS)))
			CPU_SET(i, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		return ocifs_error_set(err, errno, "process.execCPUAffinity.%s: sched_setaffinity %s",
				       what, list);
	return 0;
}

/* The kernel's struct sched_attr (sched_setattr(2)), size 56 (VER1). */
struct pextra_sched_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
};

static int set_scheduler(const struct oci_scheduler *s, ocifs_error *err)
{
	struct pextra_sched_attr a = {
		.size = sizeof(a),
		.sched_policy = (uint32_t)s->policy,
		.sched_flags = s->flags,
		.sched_nice = s->nice,
		.sched_priority = (uint32_t)s->priority,
		.sched_runtime = s->runtime,
		.sched_deadline = s->deadline,
		.sched_period = s->period,
	};

	if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
		return ocifs_error_set(err, errno, "process.scheduler: sched_setattr");
	return 0;
}

int pextra_process_start(const struct oci_process *p, ocifs_error *err)
{
	if (p->cpu_affinity_initial && set_affinity(p->cpu_affinity_initial, "initial", err) < 0)
		return -1;
	return 0;
}

int pextra_process_end(const struct oci_process *p, ocifs_error *err)
{
	if (p->has_scheduler && set_scheduler(&p->scheduler, err) < 0)
		return -1;
	if (p->has_io_priority) {
		long v = ((long)p->io_priority_class << 13) | p->io_priority;
		if (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, v) < 0)
			return ocifs_error_set(err, errno, "process.ioPriority: ioprio_set");
	}
	if (p->cpu_affinity_final && set_affinity(p->cpu_affinity_final, "final", err) < 0)
		return -1;
	return 0;
}

/* ---- linux ---- */

#define NODE_BITS 1024

int pextra_linux_apply(const struct oci_linux *lx, ocifs_error *err)
{
	if (lx->has_personality && personality(lx->personality) < 0)
		return ocifs_error_set(err, errno, "linux.personality: personality");
	if (lx->has_memory_policy) {
		unsigned long nodes[NODE_BITS / LONG_BITS];
		const unsigned long *mask = NULL;
		unsigned long maxnode = 0;

		if (lx->mempolicy_nodes && lx->mempolicy_nodes[0]) {
			if (pextra_parse_list(lx->mempolicy_nodes, nodes, NODE_BITS) < 0)
				return ocifs_error_set(err, EINVAL,
						       "linux.memoryPolicy.nodes: bad node list \"%s\"",
						       lx->mempolicy_nodes);
			mask = nodes;
			maxnode = NODE_BITS + 1;
		}
		if (syscall(SYS_set_mempolicy, lx->mempolicy_mode, mask, maxnode) < 0)
			return ocifs_error_set(err, errno, "linux.memoryPolicy: set_mempolicy");
	}
	return 0;
}

int pextra_time_offsets(const struct oci_linux *lx, ocifs_error *err)
{
	char buf[128];
	int fd, n;

	if (!lx || !lx->has_time_offsets)
		return 0;
	n = snprintf(buf, sizeof(buf), "monotonic %lld %u\nboottime %lld %u\n",
		     (long long)lx->monotonic_secs, lx->monotonic_nsecs,
		     (long long)lx->boottime_secs, lx->boottime_nsecs);
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return ocifs_error_set(err, errno, "linux.timeOffsets: open /proc/self/timens_offsets");
	if (write(fd, buf, (size_t)n) != n) {
		int e = errno;
		close(fd);
		return ocifs_error_set(err, e, "linux.timeOffsets: write /proc/self/timens_offsets");
	}
	close(fd);
	return 0;
}
