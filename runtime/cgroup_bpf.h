/* The cgroup v2 device controller: cgroup2 has no devices.allow/deny files;
 * a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup decides each
 * open(2)/mknod(2) of a device node instead.  cgroup_bpf.c turns a device
 * rule list into such a program (no libbpf: raw bpf(2)).
 *
 * Semantics, for each requested access bit (read, write, mknod) on its own:
 * the LAST rule whose type and major:minor match the device and whose
 * access holds the bit decides; no such rule means deny.  The request is
 * allowed when every bit it asks for is.  This is the v1 controller's
 * "rules in order" reading of linux.resources.devices.
 */
#ifndef OCIFS_CGROUP_BPF_H
#define OCIFS_CGROUP_BPF_H

#include <linux/bpf.h>
#include <stddef.h>

#include "ocifs/config.h"
#include "ocifs/error.h"

/* Generates the filter program of rules[0..n) (*insns, caller frees;
 * *n_insns instructions).  Rules that no later rule can reach (everything
 * before the last "a *:* rwm") are left out.  Fails with EINVAL on a rule
 * of unknown type. */
int cgroup_bpf_devices_prog(const struct oci_device_rule *rules, size_t n,
			    struct bpf_insn **insns, size_t *n_insns, ocifs_error *err);

/* Loads a BPF_PROG_TYPE_CGROUP_DEVICE program; returns its fd (close-on-
 * exec).  A refused program's error ends with the verifier's last words. */
int cgroup_bpf_prog_load(const struct bpf_insn *insns, size_t n, ocifs_error *err);

/* Generates, loads and attaches the filter of rules[0..n) to the cgroup2
 * directory cgroup_dirfd (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI: it stacks
 * with filters of the ancestors and every one of them must allow).  The
 * attachment lives as long as the cgroup; the program fd is closed. */
int cgroup_bpf_devices_attach(int cgroup_dirfd, const struct oci_device_rule *rules,
			      size_t n, ocifs_error *err);

#endif
