/* The remaining process and linux fields (runtime/process_extra.c):
 *
 *   process.scheduler        sched_setattr(2)
 *   process.ioPriority       ioprio_set(2)
 *   process.execCPUAffinity  sched_setaffinity(2): "initial" when the
 *                            process starts being prepared, "final" last
 *   linux.personality        personality(2), in the init before exec
 *   linux.memoryPolicy       set_mempolicy(2), in the init before exec
 *   linux.timeOffsets        /proc/self/timens_offsets, written by the
 *                            intermediate right after unshare(CLONE_NEWTIME)
 *
 * The name tables are shared with the config parser.
 */
#ifndef OCIFS_PROCESS_EXTRA_H
#define OCIFS_PROCESS_EXTRA_H

#include <stddef.h>
#include <stdint.h>

#include "ocifs/config.h"
#include "ocifs/error.h"

#define CPU_LIST_BITS 1024 /* CPU and NUMA node numbers are < this */

/* name -> number, -1 if unknown */
int pextra_sched_policy(const char *name);
int64_t pextra_sched_flag(const char *name);
int pextra_ioprio_class(const char *name);
int pextra_mpol_mode(const char *name);
int pextra_mpol_flag(const char *name);

/* Parses a list like "0-3,7" into bits (nbits wide, zeroed first).
 * Returns 0, or -1 when malformed or a number is >= nbits. */
int pextra_parse_list(const char *s, unsigned long *bits, size_t nbits);

/* process_prepare: start (initial affinity) and end (scheduler, ioPriority,
 * final affinity). */
int pextra_process_start(const struct oci_process *p, ocifs_error *err);
int pextra_process_end(const struct oci_process *p, ocifs_error *err);

/* The init, before process_prepare: personality, memory policy. */
int pextra_linux_apply(const struct oci_linux *lx, ocifs_error *err);

/* The intermediate, right after unshare(CLONE_NEWTIME). */
int pextra_time_offsets(const struct oci_linux *lx, ocifs_error *err);

#endif
