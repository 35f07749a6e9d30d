/* Unit tests for the cgroup v2 driver's writes (runtime/cgroup_v2.c) over a
 * scratch directory tree: a hierarchy whose mount point is a temp dir, with
 * the controller files precreated as empty regular files, so that what the
 * driver writes can be read back.  This host is hybrid (its cgroup2 tree has
 * no controllers), so this is where memory.max, cpu.weight, cpu.max,
 * pids.max, io.*, hugetlb.*, unified keys and subtree_control are checked.
 * Also: linux.resources parsing (ocifs_resources_parse). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "ocifs/config.h"
#include "ocifs/util.h"

#include "tap.h"

static char top[64];

static void put_file(const char *dir, const char *name, const char *content)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (f) {
		fputs(content, f);
		fclose(f);
	}
}

static char *get_file(const char *dir, const char *name)
{
	static char buf[256];
	char p[512];
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "r");
	if (!f)
		return strcpy(buf, "(missing)");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static bool file_is(const char *dir, const char *name, const char *want)
{
	const char *got = get_file(dir, name);

	if (strcmp(got, want) != 0)
		printf("# %s: got \"%s\", want \"%s\"\n", name, got, want);
	return strcmp(got, want) == 0;
}

/* A fresh cgroup dir <top>/<name> with every file the driver may write. */
static void make_cgroup(const char *dir)
{
	static const char *const files[] = {
		"memory.max", "memory.low", "memory.swap.max", "memory.current",
		"cpu.weight", "cpu.max", "cpu.max.burst", "cpu.idle", "cpuset.cpus",
		"cpuset.mems", "pids.max", "io.weight", "io.max", "hugetlb.2MB.max",
		"rdma.max", "memory.high", "cgroup.subtree_control",
	};

	mkdir(dir, 0755);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		put_file(dir, files[i], "");
}

static struct oci_resources *parse(const char *json)
{
	struct oci_resources *r = NULL;
	ocifs_error err = { 0 };

	if (ocifs_resources_parse(json, strlen(json), &r, &err) < 0) {
		printf("# parse %s: %s\n", json, err.msg);
		return NULL;
	}
	return r;
}

static struct cg_hier v2_hier(bool unified_only)
{
	struct cg_hier h = { 0 };

	h.version = 2;
	h.mnt = top;
	h.controllers = (char *)"";
	h.unified_only = unified_only;
	h.drv = &cg_driver_v2;
	return h;
}

static int set(const char *dir, const char *json, bool unified_only, ocifs_error *err)
{
	struct cg_hier h = v2_hier(unified_only);
	struct oci_resources *r = parse(json);
	int rc;

	if (!r)
		return -2;
	rc = cg_driver_v2.set_resources(&h, dir, r, false, err);
	ocifs_resources_free(r);
	return rc;
}

static void test_parse(void)
{
	struct oci_resources *r = parse(
		"{\"memory\":{\"limit\":1048576,\"reservation\":-1,\"swap\":2097152,"
		"\"swappiness\":10,\"disableOOMKiller\":true,\"checkBeforeUpdate\":false},"
		"\"cpu\":{\"shares\":512,\"quota\":-1,\"period\":100000,\"cpus\":\"0-1\",\"mems\":\"\"},"
		"\"pids\":{\"limit\":-1},"
		"\"blockIO\":{\"weight\":500,\"weightDevice\":[{\"major\":8,\"minor\":0,\"weight\":20}],"
		"\"throttleWriteIOPSDevice\":[{\"major\":8,\"minor\":16,\"rate\":300}]},"
		"\"hugepageLimits\":[{\"pageSize\":\"1GB\",\"limit\":0}],"
		"\"network\":{\"classID\":1048577,\"priorities\":[{\"name\":\"eth0\",\"priority\":5}]},"
		"\"rdma\":{\"mlx5_1\":{\"hcaHandles\":3}},"
		"\"unified\":{\"memory.high\":\"max\"},\"devices\":[]}");

	if (!ok(r != NULL, "parse: a full resources object"))
		return;
	ok(r->has_memory && r->memory.has_limit && r->memory.limit == 1048576 &&
		   r->memory.reservation == -1 && r->memory.swap == 2097152 &&
		   r->memory.swappiness == 10 && r->memory.disable_oom_killer &&
		   r->memory.has_check_before_update && !r->memory.check_before_update &&
		   !r->memory.has_kernel && !r->memory.has_use_hierarchy,
	   "parse: memory");
	ok(r->has_cpu && r->cpu.shares == 512 && r->cpu.quota == -1 && r->cpu.period == 100000 &&
		   strcmp(r->cpu.cpus, "0-1") == 0 && r->cpu.mems == NULL && !r->cpu.has_burst,
	   "parse: cpu (empty mems = absent)");
	ok(r->has_pids && r->pids_limit == -1, "parse: pids");
	ok(r->has_blkio && r->blkio.weight == 500 && r->blkio.n_weight_devices == 1 &&
		   r->blkio.weight_devices[0].weight == 20 &&
		   !r->blkio.weight_devices[0].has_leaf_weight &&
		   r->blkio.n_throttle[OCI_THROTTLE_WRITE_IOPS] == 1 &&
		   r->blkio.throttle[OCI_THROTTLE_WRITE_IOPS][0].rate == 300 &&
		   r->blkio.n_throttle[OCI_THROTTLE_READ_BPS] == 0,
	   "parse: blockIO");
	ok(r->n_hugepages == 1 && strcmp(r->hugepages[0].page_size, "1GB") == 0 &&
		   r->has_class_id && r->class_id == 1048577 && r->n_net_priorities == 1 &&
		   strcmp(r->net_priorities[0].value, "5") == 0 && r->n_rdma == 1 &&
		   r->rdma[0].has_hca_handles && !r->rdma[0].has_hca_objects &&
		   r->n_unified == 1 && strcmp(r->unified[0].key, "memory.high") == 0,
	   "parse: hugepages, network, rdma, unified");
	ocifs_resources_free(r);
}

static void test_memory_cpu_pids(void)
{
	char dir[128];
	ocifs_error err = { 0 };
	int rc;

	snprintf(dir, sizeof(dir), "%s/a", top);
	make_cgroup(dir);
	put_file(dir, "cpu.max", "max 100000");
	rc = set(dir,
		 "{\"memory\":{\"limit\":67108864,\"reservation\":33554432,\"swap\":100663296},"
		 "\"cpu\":{\"shares\":1024,\"quota\":50000,\"burst\":1000,\"cpus\":\"0\",\"mems\":\"0\"},"
		 "\"pids\":{\"limit\":10}}",
		 true, &err);
	if (rc < 0)
		printf("# %s\n", err.msg);
	ok(rc == 0, "v2: memory, cpu, pids applied");
	ok(file_is(dir, "memory.max", "67108864") && file_is(dir, "memory.low", "33554432"),
	   "v2: memory.max and memory.low");
	ok(file_is(dir, "memory.swap.max", "33554432"), "v2: memory.swap.max = swap - limit");
	ok(file_is(dir, "cpu.weight", "39"), "v2: cpu.shares 1024 -> cpu.weight 39");
	ok(file_is(dir, "cpu.max", "50000 100000"), "v2: cpu.max keeps the period it had");
	ok(file_is(dir, "cpu.max.burst", "1000"), "v2: cpu.max.burst");
	ok(file_is(dir, "cpuset.cpus", "0") && file_is(dir, "cpuset.mems", "0"), "v2: cpuset");
	ok(file_is(dir, "pids.max", "10"), "v2: pids.max");

	snprintf(dir, sizeof(dir), "%s/b", top);
	make_cgroup(dir);
	rc = set(dir,
		 "{\"memory\":{\"limit\":-1},\"cpu\":{\"shares\":2,\"quota\":-1,\"period\":250000},"
		 "\"pids\":{\"limit\":-1}}",
		 true, &err);
	ok(rc == 0 && file_is(dir, "memory.max", "max") && file_is(dir, "pids.max", "max"),
	   "v2: -1 is written as max");
	ok(file_is(dir, "cpu.weight", "1") && file_is(dir, "cpu.max", "max 250000"),
	   "v2: shares 2 -> weight 1; quota -1 -> max");
	ok(file_is(dir, "memory.swap.max", ""), "v2: no swap given, memory.swap.max untouched");

	snprintf(dir, sizeof(dir), "%s/c", top);
	make_cgroup(dir);
	rc = set(dir, "{\"cpu\":{\"shares\":262144}}", true, &err);
	ok(rc == 0 && file_is(dir, "cpu.weight", "10000"), "v2: shares 262144 -> weight 10000");
}

static void test_io_hugetlb_rdma_unified(void)
{
	char dir[128];
	ocifs_error err = { 0 };
	int rc;

	snprintf(dir, sizeof(dir), "%s/d", top);
	make_cgroup(dir);
	rc = set(dir, "{\"blockIO\":{\"weight\":1000}}", true, &err);
	ok(rc == 0 && file_is(dir, "io.weight", "10000"), "v2: blkio weight 1000 -> io.weight 10000");
	rc = set(dir, "{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":1048576}]}}",
		 true, &err);
	ok(rc == 0 && file_is(dir, "io.max", "8:0 rbps=1048576"), "v2: throttle -> io.max rbps");
	rc = set(dir, "{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}]}", true, &err);
	ok(rc == 0 && file_is(dir, "hugetlb.2MB.max", "4194304"), "v2: hugetlb.2MB.max");
	rc = set(dir, "{\"rdma\":{\"mlx5_1\":{\"hcaHandles\":3,\"hcaObjects\":1000}}}", true, &err);
	ok(rc == 0 && file_is(dir, "rdma.max", "mlx5_1 hca_handle=3 hca_object=1000"), "v2: rdma.max");
	rc = set(dir, "{\"unified\":{\"memory.high\":\"123456\"}}", true, &err);
	ok(rc == 0 && file_is(dir, "memory.high", "123456"), "v2: unified key written verbatim");

	rc = set(dir, "{\"unified\":{\"memory.nosuch\":\"1\"}}", true, &err);
	ok(rc < 0 && strstr(err.msg, "linux.resources.unified[\"memory.nosuch\"]"),
	   "v2: unified key without its file refused (%s)", err.msg);
	rc = set(dir, "{\"hugepageLimits\":[{\"pageSize\":\"1GB\",\"limit\":0}]}", true, &err);
	ok(rc < 0 && strstr(err.msg, "linux.resources.hugepageLimits[0]: not supported by this kernel"),
	   "v2: missing controller file refused with its JSON path (%s)", err.msg);
	rc = set(dir, "{\"memory\":{\"kernel\":1048576}}", true, &err);
	ok(rc < 0 && strstr(err.msg, "linux.resources.memory.kernel: not supported by this kernel"),
	   "v2: kernel memory refused");
	rc = set(dir, "{\"network\":{\"classID\":1}}", true, &err);
	ok(rc < 0 && strstr(err.msg, "linux.resources.network: not supported on cgroup v2"),
	   "v2: network refused");
	rc = set(dir, "{\"memory\":{\"swap\":1048576}}", true, &err);
	ok(rc < 0 && strstr(err.msg, "linux.resources.memory.swap"), "v2: swap without limit refused");
}

static void test_hybrid(void)
{
	char dir[128];
	ocifs_error err = { 0 };
	int rc;

	/* hybrid: the tree carries no controllers; only unified keys go there */
	snprintf(dir, sizeof(dir), "%s/e", top);
	make_cgroup(dir);
	rc = set(dir, "{\"memory\":{\"limit\":1048576},\"unified\":{\"memory.high\":\"7\"}}", false,
		 &err);
	ok(rc == 0 && file_is(dir, "memory.max", "") && file_is(dir, "memory.high", "7"),
	   "hybrid: memory left to v1, unified key written");
}

static void test_subtree_control(void)
{
	struct cg_hier h = v2_hier(true);
	char parent[128], child[160];
	ocifs_error err = { 0 };

	snprintf(parent, sizeof(parent), "%s/p", top);
	snprintf(child, sizeof(child), "%s/p/c", top);
	make_cgroup(parent);
	make_cgroup(child);
	put_file(parent, "cgroup.controllers", "cpuset cpu io memory pids");
	put_file(parent, "cgroup.subtree_control", "cpu");
	ok(cg_driver_v2.init_level(&h, child, &err) == 0 &&
		   file_is(parent, "cgroup.subtree_control", "+cpuset +io +memory +pids"),
	   "v2: init_level enables the parent's other controllers");
	ok(file_is(child, "cgroup.subtree_control", ""), "v2: the container's own is left alone");
	ok(cg_driver_v2.init_level(&h, top, &err) == 0, "v2: the root level is left alone");
}

static void rm_rf(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
}

int main(void)
{
	snprintf(top, sizeof(top), "/tmp/ocifs-cgv2-XXXXXX");
	if (!mkdtemp(top)) {
		printf("1..0 # SKIP mkdtemp: %s\n", strerror(errno));
		return 0;
	}
	test_parse();
	test_memory_cpu_pids();
	test_io_hugetlb_rdma_unified();
	test_hybrid();
	test_subtree_control();
	rm_rf(top);
	printf("1..%d\n", n_run);
	return n_failed ? 1 : 0;
}
