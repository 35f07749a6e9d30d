/* The cgroup v2 device filter (see cgroup_bpf.h for the semantics).
 *
 * The program has no branches.  It walks the rules in order, keeping in r3
 * the set of access bits (BPF_DEVCG_ACC_*) that the latest matching rule for
 * each bit allows, so the last match wins bit by bit:
 *
 *     r3 = 0                                  default deny
 *     for each rule:
 *         r2 = (type ^ TYPE) | (major ^ MAJOR) | (minor ^ MINOR)
 *                                             0 when the device matches;
 *                                             wildcards leave their term out
 *         r2 = r2 == 0 ? ACC : 0              as (((r2 | -r2) >> 31) ^ 1) * ACC
 *         allow: r3 |= r2     deny: r3 &= ~r2
 *     return (requested & ~r3) == 0           every requested bit allowed
 *
 * Why no branches: the kernel verifier follows every path, keeps a pending
 * state per unexplored branch (at most 8192) and, once a check has taught
 * it a device number, explores that state apart from the others; a filter
 * of "if no match goto next rule" blocks hit both limits at about 3000
 * rules.  A straight line is verified in one pass.  A rule is at most 17
 * instructions and root may load a million, so tens of thousands of rules
 * fit.  Rules before the last "a *:* rwm" cannot matter and are left out:
 * that rule sets r3's start value instead.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup_bpf.h"
#include "cgroup_internal.h"
#include "ocifs/util.h"

#define LOG_SIZE (256 * 1024)
#define BLOCK_MAX 20
#define ACC_ALL (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)

enum { R0, R1, R2, R3, R4, R5 };

/* ---- instruction emitters ---- */

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct bpf_insn i;

	memset(&i, 0, sizeof(i));
	i.code = code;
	i.dst_reg = dst & 0xf;
	i.src_reg = src & 0xf;
	i.off = off;
	i.imm = imm;
	return i;
}

/* dst = *(u32 *)(src + off) */
static struct bpf_insn ld_u32(uint8_t dst, uint8_t src, int16_t off)
{
	return insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0);
}

/* 32-bit dst OP= imm (the upper half is zeroed) */
static struct bpf_insn alu32_k(uint8_t op, uint8_t dst, int32_t imm)
{
	return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}

/* 32-bit dst OP= src */
static struct bpf_insn alu32_x(uint8_t op, uint8_t dst, uint8_t src)
{
	return insn(BPF_ALU | op | BPF_X, dst, src, 0, 0);
}

static struct bpf_insn exit_insn(void)
{
	return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

struct prog {
	struct bpf_insn *v;
	size_t n, cap;
};

static void put(struct prog *p, const struct bpf_insn *v, size_t n)
{
	if (p->n + n > p->cap) {
		p->cap = (p->n + n) * 2;
		p->v = xrealloc(p->v, p->cap * sizeof(*p->v));
	}
	memcpy(p->v + p->n, v, n * sizeof(*v));
	p->n += n;
}

/* ---- rules ---- */

static int access_mask(const char *access)
{
	int m = 0;

	if (!access[0])
		access = "rwm";
	for (; *access; access++)
		m |= *access == 'r' ? BPF_DEVCG_ACC_READ
		   : *access == 'w' ? BPF_DEVCG_ACC_WRITE
		   : *access == 'm' ? BPF_DEVCG_ACC_MKNOD : 0;
	return m;
}

static bool decides_everything(const struct oci_device_rule *r)
{
	char type = r->type ? r->type : 'a';

	return type == 'a' && r->major < 0 && r->minor < 0 && access_mask(r->access) == ACC_ALL;
}

/* One term of r2: the ctx field at off (masked to the device type when
 * is_type) xor the rule's value; the first term goes to r2, the others are
 * or'ed in through r4.  Returns the instruction count. */
static int term(struct bpf_insn *b, bool first, int16_t off, bool is_type, uint32_t value)
{
	uint8_t reg = first ? R2 : R4;
	int n = 0;

	b[n++] = ld_u32(reg, R1, off);
	if (is_type)
		b[n++] = alu32_k(BPF_AND, reg, 0xffff);
	b[n++] = alu32_k(BPF_XOR, reg, (int32_t)value);
	if (!first)
		b[n++] = alu32_x(BPF_OR, R2, R4);
	return n;
}

/* The instructions of one rule (of a known type) into b; returns their
 * count, 0 when the rule can match no device. */
static int rule_block(const struct oci_device_rule *r, struct bpf_insn *b)
{
	char type = r->type ? r->type : 'a';
	int acc = access_mask(r->access), n = 0, terms = 0;

	/* no device has a number past 32 bits (the kernel's are 12:20) */
	if (r->major > UINT32_MAX || r->minor > UINT32_MAX || acc == 0)
		return 0;
	if (type != 'a')
		n += term(b + n, terms++ == 0, offsetof(struct bpf_cgroup_dev_ctx, access_type),
			  true, type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
	if (r->major >= 0)
		n += term(b + n, terms++ == 0, offsetof(struct bpf_cgroup_dev_ctx, major), false,
			  (uint32_t)r->major);
	if (r->minor >= 0)
		n += term(b + n, terms++ == 0, offsetof(struct bpf_cgroup_dev_ctx, minor), false,
			  (uint32_t)r->minor);
	if (terms == 0) { /* "a *:*": it matches every device */
		b[n++] = r->allow ? alu32_k(BPF_OR, R3, acc) : alu32_k(BPF_AND, R3, ~acc);
		return n;
	}
	/* r2 = r2 == 0 ? acc : 0: (r2 | -r2) has its top bit set iff r2 != 0.
	 * Not the shorter ((...) - 1) & acc: the verifier splits its state on
	 * an AND of a value that is 0 or -1, twice the paths per rule. */
	b[n++] = alu32_x(BPF_MOV, R4, R2);
	b[n++] = alu32_k(BPF_NEG, R4, 0);
	b[n++] = alu32_x(BPF_OR, R2, R4);
	b[n++] = alu32_k(BPF_RSH, R2, 31);
	b[n++] = alu32_k(BPF_XOR, R2, 1);
	b[n++] = alu32_k(BPF_MUL, R2, acc);
	if (r->allow) {
		b[n++] = alu32_x(BPF_OR, R3, R2);
	} else {
		b[n++] = alu32_k(BPF_XOR, R2, -1);
		b[n++] = alu32_x(BPF_AND, R3, R2);
	}
	return n;
}

int cgroup_bpf_devices_prog(const struct oci_device_rule *rules, size_t n,
			    struct bpf_insn **insns, size_t *n_insns, ocifs_error *err)
{
	/* r0 = (requested & ~r3) == 0, again without a branch */
	const struct bpf_insn verdict[] = {
		ld_u32(R0, R1, offsetof(struct bpf_cgroup_dev_ctx, access_type)),
		alu32_k(BPF_RSH, R0, 16),
		alu32_k(BPF_XOR, R3, -1),
		alu32_x(BPF_AND, R0, R3),
		alu32_x(BPF_MOV, R4, R0),
		alu32_k(BPF_NEG, R4, 0),
		alu32_x(BPF_OR, R0, R4),
		alu32_k(BPF_RSH, R0, 31),
		alu32_k(BPF_XOR, R0, 1),
		exit_insn(),
	};
	struct prog p = { 0 };
	struct bpf_insn start;
	size_t first = 0;

	for (size_t i = 0; i < n; i++)
		if (!strchr("abc", rules[i].type ? rules[i].type : 'a'))
			return ocifs_error_set(err, 0, "device rule %zu: unknown type '%c'", i,
					       rules[i].type);
	for (size_t i = n; i-- > 0;)
		if (decides_everything(&rules[i])) {
			first = i + 1;
			break;
		}
	start = alu32_k(BPF_MOV, R3, first > 0 && rules[first - 1].allow ? ACC_ALL : 0);
	put(&p, &start, 1);
	for (size_t i = first; i < n; i++) {
		struct bpf_insn b[BLOCK_MAX];
		put(&p, b, (size_t)rule_block(&rules[i], b));
	}
	put(&p, verdict, ARRAY_SIZE(verdict));
	*insns = p.v;
	*n_insns = p.n;
	return 0;
}

/* ---- bpf(2) ---- */

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static bool is_statistics(const char *line)
{
	static const char *const prefixes[] = { "processed ", "verification time", "stack depth" };

	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (strncmp(line, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/* The verifier's verdict: the last line of its log before the statistics
 * ("processed N insns ..."), in place. */
static const char *verdict(char *log)
{
	char *end = log + strnlen(log, LOG_SIZE - 1), *line;

	*end = '\0';
	for (;;) {
		while (end > log && (end[-1] == '\n' || end[-1] == ' '))
			*--end = '\0';
		line = end;
		while (line > log && line[-1] != '\n')
			line--;
		if (line == log || !is_statistics(line))
			return line;
		end = line;
	}
}

int cgroup_bpf_prog_load(const struct bpf_insn *insns, size_t n, ocifs_error *err)
{
	static const char license[] = "Apache-2.0";
	cleanup_free char *log = NULL;
	union bpf_attr attr;
	int fd, saved;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = (uint32_t)n;
	attr.license = (uint64_t)(uintptr_t)license;
	snprintf(attr.prog_name, sizeof(attr.prog_name), "ocifs_devices");
	fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0)
		return fd;
	saved = errno;
	if (saved != EINVAL && saved != EACCES && saved != E2BIG)
		return ocifs_error_set(err, saved, "load BPF device filter (%zu instructions)", n);
	/* again, with the verifier's log: only a refused program pays for it */
	log = xcalloc(1, LOG_SIZE);
	attr.log_buf = (uint64_t)(uintptr_t)log;
	attr.log_size = LOG_SIZE;
	attr.log_level = 1;
	fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0) /* not expected, but the program is good */
		return fd;
	if (errno != ENOSPC)
		saved = errno;
	if (!log[0]) /* refused before the verifier ran (too long) */
		return ocifs_error_set(err, saved, "load BPF device filter (%zu instructions)", n);
	return ocifs_error_set(err, saved, "load BPF device filter (%zu instructions): verifier: %s",
			       n, verdict(log));
}

int cgroup_bpf_devices_attach(int cgroup_dirfd, const struct oci_device_rule *rules,
			      size_t n, ocifs_error *err)
{
	cleanup_free struct bpf_insn *insns = NULL;
	cleanup_close int prog = -1;
	union bpf_attr attr;
	size_t n_insns;

	if (cgroup_bpf_devices_prog(rules, n, &insns, &n_insns, err) < 0)
		return -1;
	prog = cgroup_bpf_prog_load(insns, n_insns, err);
	if (prog < 0)
		return -1;
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cgroup_dirfd;
	attr.attach_bpf_fd = (uint32_t)prog;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
		return ocifs_error_set(err, errno, "attach BPF device filter to the cgroup");
	return 0;
}
