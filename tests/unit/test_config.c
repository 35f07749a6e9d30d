/* TAP tests for the config.json parser (runtime/config*.c).
 *
 * What a valid config parses into; the refusals are in
 * test_config_errors.c.  Configs are patches over a small valid base
 * (config_patch.h); JSON in this file uses ' for " to stay readable.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include <jansson.h>

#include "ocifs/config.h"
#include "process.h"

#include "config_patch.h"
#include "tap.h"

static const char full_json[] =
	"{'ociVersion':'1.3.0','root':{'path':'/srv/rootfs','readonly':true},"
	"'process':{'terminal':true,'consoleSize':{'height':25,'width':80},"
	" 'user':{'uid':1000,'gid':100,'umask':18,'additionalGids':[5,6]},"
	" 'args':['/bin/sh','-c','true'],'env':['PATH=/bin','TERM=xterm'],'cwd':'/home',"
	" 'capabilities':{'bounding':['CAP_KILL','CAP_SYS_ADMIN'],'effective':['CAP_KILL'],"
	"  'inheritable':[],'permitted':['CAP_KILL','CAP_NET_BIND_SERVICE'],'ambient':['CAP_KILL']},"
	" 'rlimits':[{'type':'RLIMIT_NOFILE','soft':1024,'hard':4096},"
	"  {'type':'RLIMIT_CORE','soft':18446744073709551615,'hard':18446744073709551615}],"
	" 'noNewPrivileges':true,'oomScoreAdj':-500},"
	"'hostname':'web','domainname':'example.org',"
	"'mounts':[{'destination':'/proc','type':'proc','source':'proc'},"
	" {'destination':'/dev','type':'tmpfs','source':'tmpfs',"
	"  'options':['nosuid','strictatime','mode=755','size=65536k']},"
	" {'destination':'/data','type':'bind','source':'/vol','options':['rbind','ro','rprivate']}],"
	"'hooks':{'prestart':[{'path':'/usr/bin/fix','args':['fix','-v'],'env':['X=1'],'timeout':5}],"
	" 'poststop':[{'path':'/bin/cleanup'}],'createRuntime':[{'path':'/a'},{'path':'/b'}]},"
	"'annotations':{'org.example.key':'value','second':''},"
	"'linux':{'namespaces':[{'type':'pid'},{'type':'network','path':'/var/run/netns/x'},"
	"  {'type':'mount'},{'type':'ipc'},{'type':'uts'},{'type':'user'},{'type':'cgroup'},"
	"  {'type':'time'}],"
	" 'uidMappings':[{'containerID':0,'hostID':100000,'size':65536}],"
	" 'gidMappings':[{'containerID':0,'hostID':200000,'size':1000},"
	"  {'containerID':1000,'hostID':300000,'size':1}],"
	" 'devices':[{'type':'c','path':'/dev/fuse','major':10,'minor':229,'fileMode':438,"
	"  'uid':0,'gid':0},{'type':'b','path':'/dev/sda','major':8,'minor':0},"
	"  {'type':'p','path':'/dev/pipe'}],"
	" 'cgroupsPath':'/ocifs/web',"
	" 'resources':{'devices':[{'allow':false,'access':'rwm'},"
	"  {'allow':true,'type':'c','major':10,'minor':229,'access':'wr'},"
	"  {'allow':true,'type':'b','major':8}]},"
	" 'sysctl':{'net.ipv4.ip_forward':'1','kernel.shmmax':'4096','kernel.hostname':'h',"
	"  'fs.mqueue.msg_max':'10'},"
	" 'rootfsPropagation':'slave',"
	" 'maskedPaths':['/proc/kcore','/proc/keys'],'readonlyPaths':['/proc/sys'],"
	" 'mountLabel':'label'}}";

static void check_process(const struct oci_process *p)
{
	ok(p && p->terminal && p->has_console_size && p->console_height == 25 &&
		   p->console_width == 80,
	   "full: terminal and consoleSize");
	ok(p->user.uid == 1000 && p->user.gid == 100 && p->user.has_umask && p->user.umask == 022 &&
		   p->user.n_additional_gids == 2 && p->user.additional_gids[1] == 6,
	   "full: user");
	ok(p->n_args == 3 && strcmp(p->args[0], "/bin/sh") == 0 && strcmp(p->args[2], "true") == 0,
	   "full: args");
	ok(p->n_env == 2 && strcmp(p->env[1], "TERM=xterm") == 0 && strcmp(p->cwd, "/home") == 0,
	   "full: env and cwd");
	ok(p->has_caps && p->caps.bounding == ((1ULL << 5) | (1ULL << 21)) &&
		   p->caps.effective == (1ULL << 5) && p->caps.inheritable == 0 &&
		   p->caps.permitted == ((1ULL << 5) | (1ULL << 10)) && p->caps.ambient == (1ULL << 5),
	   "full: capability sets");
	ok(p->n_rlimits == 2 && p->rlimits[0].resource == RLIMIT_NOFILE &&
		   p->rlimits[0].soft == 1024 && p->rlimits[0].hard == 4096 &&
		   strcmp(p->rlimits[0].type, "RLIMIT_NOFILE") == 0 &&
		   p->rlimits[1].resource == RLIMIT_CORE && p->rlimits[1].soft == UINT64_MAX &&
		   p->rlimits[1].hard == UINT64_MAX,
	   "full: rlimits, 2^64-1 kept");
	ok(p->no_new_privileges && p->has_oom_score_adj && p->oom_score_adj == -500 &&
		   !p->apparmor_profile && !p->selinux_label,
	   "full: noNewPrivileges, oomScoreAdj");
}

static void check_mounts(const struct oci_config *c)
{
	const struct oci_mount *m = c->mounts;

	ok(c->n_mounts == 3 && strcmp(m[0].destination, "/proc") == 0 &&
		   strcmp(m[0].type, "proc") == 0 && m[0].flags == 0 && !m[0].data,
	   "full: /proc mount");
	ok(m[1].flags == (MS_NOSUID | MS_STRICTATIME) && m[1].data &&
		   strcmp(m[1].data, "mode=755,size=65536k") == 0 && m[1].n_options == 4,
	   "full: /dev tmpfs options decoded");
	ok(m[2].bind && m[2].recursive_bind && m[2].flags == (MS_BIND | MS_REC | MS_RDONLY) &&
		   m[2].propagation == (MS_PRIVATE | MS_REC) && strcmp(m[2].source, "/vol") == 0,
	   "full: rbind,ro,rprivate");
}

static void check_top(const struct oci_config *c)
{
	ok(strcmp(c->oci_version, "1.3.0") == 0 && strcmp(c->root_path, "/srv/rootfs") == 0 &&
		   c->root_readonly,
	   "full: ociVersion and root");
	ok(strcmp(c->hostname, "web") == 0 && strcmp(c->domainname, "example.org") == 0,
	   "full: hostname and domainname");
	const struct oci_hook_list *pre = &c->hooks[OCI_HOOK_PRESTART];
	ok(pre->n == 1 && strcmp(pre->v[0].path, "/usr/bin/fix") == 0 && pre->v[0].n_args == 2 &&
		   pre->v[0].n_env == 1 && pre->v[0].has_timeout && pre->v[0].timeout == 5,
	   "full: prestart hook");
	ok(c->hooks[OCI_HOOK_POSTSTOP].n == 1 && !c->hooks[OCI_HOOK_POSTSTOP].v[0].has_timeout &&
		   c->hooks[OCI_HOOK_POSTSTOP].v[0].args == NULL &&
		   c->hooks[OCI_HOOK_CREATE_RUNTIME].n == 2 && c->hooks[OCI_HOOK_POSTSTART].n == 0,
	   "full: other hooks");
	ok(c->n_annotations == 2 && strcmp(c->annotations[0].key, "org.example.key") == 0 &&
		   strcmp(c->annotations[1].value, "") == 0,
	   "full: annotations in order");
}

static void check_linux(const struct oci_config *c)
{
	const struct oci_linux *lx = &c->lx;
	const struct oci_namespace *net = ocifs_config_namespace(c, OCI_NS_NETWORK);

	ok(c->has_linux && lx->n_namespaces == 8 && net && net->type == OCI_NS_NETWORK &&
		   strcmp(net->path, "/var/run/netns/x") == 0 &&
		   ocifs_config_namespace(c, OCI_NS_TIME) &&
		   !ocifs_config_namespace(c, OCI_NS_PID)->path,
	   "full: namespaces");
	ok(lx->n_uid_mappings == 1 && lx->uid_mappings[0].host_id == 100000 &&
		   lx->uid_mappings[0].size == 65536 && lx->n_gid_mappings == 2 &&
		   lx->gid_mappings[1].container_id == 1000,
	   "full: id mappings");
	ok(lx->n_devices == 3 && lx->devices[0].type == 'c' && lx->devices[0].major == 10 &&
		   lx->devices[0].minor == 229 && lx->devices[0].has_file_mode &&
		   lx->devices[0].file_mode == 0666 && lx->devices[0].has_uid &&
		   !lx->devices[1].has_file_mode && lx->devices[2].type == 'p',
	   "full: devices");
	ok(lx->n_device_rules == 3 && !lx->device_rules[0].allow &&
		   lx->device_rules[0].type == 'a' && lx->device_rules[0].major == -1 &&
		   strcmp(lx->device_rules[0].access, "rwm") == 0 &&
		   strcmp(lx->device_rules[1].access, "rw") == 0 && lx->device_rules[1].minor == 229 &&
		   lx->device_rules[2].minor == -1 && lx->device_rules[2].access[0] == '\0',
	   "full: device rules");
	ok(lx->n_sysctl == 4 && strcmp(lx->sysctl[0].key, "net.ipv4.ip_forward") == 0 &&
		   strcmp(lx->sysctl[0].value, "1") == 0,
	   "full: sysctl");
	ok(lx->rootfs_propagation == (MS_SLAVE | MS_REC) && strcmp(lx->cgroups_path, "/ocifs/web") == 0 &&
		   lx->n_masked_paths == 2 && lx->n_readonly_paths == 1 &&
		   strcmp(lx->mount_label, "label") == 0,
	   "full: propagation, cgroupsPath, masked/readonly paths, mountLabel");
}

static void test_full(void)
{
	struct oci_config *c = NULL;
	ocifs_error err = { 0 };
	char *text = config_dq(full_json);
	int r = ocifs_config_parse(text, strlen(text), &c, &err);

	free(text);
	if (!ok(r == 0 && c, "full config parses")) {
		printf("# %s\n", err.msg);
		return;
	}
	check_top(c);
	check_process(c->process);
	check_mounts(c);
	check_linux(c);
	ocifs_config_free(c);
}

static void expect_raw(const char *text, size_t len, const char *prefix, const char *desc)
{
	struct oci_config *c = NULL;
	ocifs_error err = { 0 };
	int r = ocifs_config_parse(text, len, &c, &err);

	if (!ok(r == -1 && !c && strncmp(err.msg, prefix, strlen(prefix)) == 0 && config_one_line(err.msg),
		"raw: %s", desc))
		printf("# got: %s\n", err.msg);
	ocifs_config_free(c);
}

static void test_raw(void)
{
	static const char nul[] = "{\"ociVersion\":\"1.0.0\\u0000\"}";
	static const char rawnul[] = "{\"ociVersion\":\"1.0\0.0\"}";
	char *dup = config_dq("{'ociVersion':'1.0.0','ociVersion':'1.0.0'}");
	char *ctl = config_patched("{'process':{'capabilities':{'bounding':['CAP_\\nX']}}}");

	expect_raw("", 0, "config.json: invalid JSON", "empty input");
	expect_raw("{", 1, "config.json: invalid JSON", "truncated");
	expect_raw("[]", 2, "config.json: must be a JSON object", "array at top");
	expect_raw("null", 4, "config.json:", "null at top");
	expect_raw(dup, strlen(dup), "config.json: invalid JSON", "duplicate key");
	expect_raw(nul, sizeof(nul) - 1, "config.json: invalid JSON", "NUL byte");
	expect_raw(rawnul, sizeof(rawnul) - 1, "config.json: invalid JSON", "raw NUL byte");
	expect_raw("{} trailing", 11, "config.json: invalid JSON", "trailing garbage");
	expect_raw(ctl, strlen(ctl), "process.capabilities.bounding[0]: unknown capability \"CAP_\\x0aX\"",
		   "control characters escaped in messages");
	/* not NUL-terminated: only len bytes are read */
	char *base = config_patched("{}");
	size_t len = strlen(base);
	char *buf = malloc(len + 5);
	memcpy(buf, base, len);
	memcpy(buf + len, "xxxxx", 5);
	struct oci_config *c = NULL;
	ocifs_error err = { 0 };
	ok(ocifs_config_parse(buf, len, &c, &err) == 0, "input need not be NUL-terminated");
	ocifs_config_free(c);
	free(buf);
	free(base);
	free(dup);
	free(ctl);
}

static void test_process_parse(void)
{
	struct oci_process *p = NULL;
	ocifs_error err = { 0 };
	char *good = config_dq("{'cwd':'/','args':['ls','-l'],'env':['A=1'],'user':{'uid':5,'gid':6}}");
	char *bad = config_dq("{'cwd':'/','args':[]}");

	ok(ocifs_process_parse(good, strlen(good), "", &p, &err) == 0 && p && p->n_args == 2 &&
		   p->user.uid == 5,
	   "process file parses");
	ocifs_process_free(p);
	p = (void *)1;
	ok(ocifs_process_parse(bad, strlen(bad), "", &p, &err) == -1 && !p &&
		   strncmp(err.msg, "args: must be a non-empty array", 31) == 0,
	   "process file error path has no prefix");
	ok(ocifs_process_parse(bad, strlen(bad), "process", &p, &err) == -1 &&
		   strncmp(err.msg, "process.args:", 13) == 0,
	   "process error path with prefix");
	ok(ocifs_process_parse("[1]", 3, "", &p, &err) == -1 && err.code == EINVAL,
	   "process file must be an object");
	free(good);
	free(bad);
}

static void test_names(void)
{
	ok(strcmp(ocifs_ns_type_name(OCI_NS_NETWORK), "network") == 0 &&
		   strcmp(ocifs_ns_type_name(OCI_NS_TIME), "time") == 0 &&
		   ocifs_ns_type_name(OCI_NS__COUNT) == NULL,
	   "namespace names");
	ok(strcmp(ocifs_hook_kind_name(OCI_HOOK_CREATE_CONTAINER), "createContainer") == 0 &&
		   ocifs_hook_kind_name(OCI_HOOK__COUNT) == NULL,
	   "hook names");
	ok(caps_from_name("CAP_SYS_ADMIN") == 21 && caps_from_name("CAP_CHOWN") == 0 &&
		   caps_from_name("cap_chown") == -1 && caps_from_name("CAP_") == -1 &&
		   caps_from_name("CAP_NOPE") == -1 && caps_from_name("21") == -1,
	   "caps_from_name");
	ok(caps_to_name(21) && strcmp(caps_to_name(21), "CAP_SYS_ADMIN") == 0 &&
		   caps_to_name(-1) == NULL && caps_to_name(63) == NULL,
	   "caps_to_name");
	ok(caps_last_cap() >= 37 && caps_last_cap() < 64, "caps_last_cap is sane (%d)",
	   caps_last_cap());
	ok(rlimit_from_name("RLIMIT_NOFILE") == RLIMIT_NOFILE &&
		   rlimit_from_name("RLIMIT_RTTIME") == RLIMIT_RTTIME &&
		   rlimit_from_name("NOFILE") == -1,
	   "rlimit_from_name");
}

static void test_load(void)
{
	char path[] = "/tmp/test_config_XXXXXX";
	struct oci_config *c = NULL;
	ocifs_error err = { 0 };
	char *text = config_patched("{}");
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		ok(false, "load: temp file");
		free(text);
		return;
	}
	close(fd);
	ok(ocifs_config_load(path, &c, &err) == 0 && c && strcmp(c->root_path, "rootfs") == 0,
	   "ocifs_config_load reads a file");
	ocifs_config_free(c);
	unlink(path);
	ok(ocifs_config_load(path, &c, &err) == -1 && err.code == ENOENT && !c,
	   "ocifs_config_load: missing file is ENOENT");
	ocifs_config_free(NULL);
	free(text);
}

static void test_seccomp(void)
{
	struct oci_config *cfg = NULL;
	ocifs_error err = { 0 };
	const struct oci_seccomp *sc;
	int r;

	r = config_parse_patch("{'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':38,"
			"'architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86'],"
			"'flags':['SECCOMP_FILTER_FLAG_LOG','SECCOMP_FILTER_FLAG_SPEC_ALLOW'],"
			"'listenerPath':'/run/agent.sock','listenerMetadata':'m',"
			"'syscalls':[{'names':['read','no_such_syscall_ocifs'],'action':'SCMP_ACT_ALLOW'},"
			"{'names':['personality'],'action':'SCMP_ACT_TRACE','errnoRet':3,"
			"'args':[{'index':0,'value':255,'valueTwo':8,'op':'SCMP_CMP_MASKED_EQ'},"
			"{'index':1,'value':9223372036854775807,'op':'SCMP_CMP_NE'}]},"
			"{'names':['mkdir'],'action':'SCMP_ACT_NOTIFY'}]}}}",
			&cfg, &err);
	if (!ok(r == 0 && cfg && cfg->lx.seccomp, "seccomp: a full profile parses, unknown syscall names included"))
		printf("# %s\n", err.msg);
	if (r != 0 || !cfg || !cfg->lx.seccomp)
		return;
	sc = cfg->lx.seccomp;
	ok(sc->default_action == OCI_SCMP_ACT_ERRNO && sc->has_default_errno_ret &&
		   sc->default_errno_ret == 38 && sc->n_architectures == 2 && sc->flags == 6 &&
		   strcmp(sc->listener_path, "/run/agent.sock") == 0 &&
		   strcmp(sc->listener_metadata, "m") == 0 && sc->uses_notify,
	   "seccomp: top-level fields");
	ok(sc->n_syscalls == 3 && sc->syscalls[0].n_names == 2 &&
		   strcmp(sc->syscalls[0].names[1], "no_such_syscall_ocifs") == 0 &&
		   sc->syscalls[1].action == OCI_SCMP_ACT_TRACE && sc->syscalls[1].errno_ret == 3 &&
		   sc->syscalls[1].n_args == 2 && sc->syscalls[1].args[0].value == 255 &&
		   sc->syscalls[1].args[0].value_two == 8 &&
		   sc->syscalls[1].args[0].op == OCI_SCMP_CMP_MASKED_EQ &&
		   sc->syscalls[1].args[1].index == 1 &&
		   sc->syscalls[1].args[1].value == INT64_MAX,
	   "seccomp: rules and arguments");
	ocifs_config_free(cfg);
}

/* scheduler, ioPriority, execCPUAffinity, personality, timeOffsets, memoryPolicy */
static void test_process_extra(void)
{
	struct oci_config *cfg = NULL;
	ocifs_error err = { 0 };
	int r = config_parse_patch("{'process':{'scheduler':{'policy':'SCHED_DEADLINE','nice':-5,"
			    "'priority':0,'flags':['SCHED_FLAG_RESET_ON_FORK','SCHED_FLAG_RECLAIM'],"
			    "'runtime':1000000,'deadline':2000000,'period':3000000},"
			    "'ioPriority':{'class':'IOPRIO_CLASS_IDLE','priority':7},"
			    "'execCPUAffinity':{'initial':'0-1,3','final':'0'}},"
			    "'linux':{'namespaces':[{'type':'uts'},{'type':'time'}],'personality':{'domain':'LINUX32',"
			    "'flags':[]},'timeOffsets':{'monotonic':{'secs':-5,'nanosecs':7},"
			    "'boottime':{'secs':86400}},'memoryPolicy':{'mode':'MPOL_INTERLEAVE',"
			    "'nodes':'0-1','flags':['MPOL_F_STATIC_NODES']}}}",
			    &cfg, &err);
	if (!ok(r == 0 && cfg && cfg->process, "extra process/linux fields parse"))
		printf("# %s\n", err.msg);
	if (r != 0 || !cfg || !cfg->process)
		return;
	const struct oci_process *p = cfg->process;
	ok(p->has_scheduler && p->scheduler.policy == 6 && p->scheduler.nice == -5 &&
		   p->scheduler.flags == 3 && p->scheduler.runtime == 1000000 &&
		   p->scheduler.deadline == 2000000 && p->scheduler.period == 3000000,
	   "process.scheduler fields");
	ok(p->has_io_priority && p->io_priority_class == 3 && p->io_priority == 7,
	   "process.ioPriority fields");
	ok(strcmp(p->cpu_affinity_initial, "0-1,3") == 0 && strcmp(p->cpu_affinity_final, "0") == 0,
	   "process.execCPUAffinity fields");
	ok(cfg->lx.has_personality && cfg->lx.personality == 8, "linux.personality LINUX32");
	ok(cfg->lx.has_time_offsets && cfg->lx.monotonic_secs == -5 && cfg->lx.monotonic_nsecs == 7 &&
		   cfg->lx.boottime_secs == 86400 && cfg->lx.boottime_nsecs == 0,
	   "linux.timeOffsets fields");
	ok(cfg->lx.has_memory_policy && cfg->lx.mempolicy_mode == (3 | (1 << 15)) &&
		   strcmp(cfg->lx.mempolicy_nodes, "0-1") == 0,
	   "linux.memoryPolicy fields");
	ocifs_config_free(cfg);
	cfg = NULL;
	r = config_parse_patch("{'process':{'execCPUAffinity':{'initial':'','final':''}},"
			"'linux':{'personality':{'domain':'LINUX'},'memoryPolicy':{'mode':'MPOL_DEFAULT'}}}",
			&cfg, &err);
	ok(r == 0 && cfg && !cfg->process->has_scheduler && !cfg->process->cpu_affinity_initial &&
		   !cfg->process->cpu_affinity_final && cfg->lx.has_personality &&
		   cfg->lx.personality == 0 && cfg->lx.has_memory_policy && !cfg->lx.has_time_offsets,
	   "empty CPU lists, LINUX, MPOL_DEFAULT");
	if (r == 0)
		ocifs_config_free(cfg);
}

int main(void)
{
	test_full();
	test_raw();
	test_process_parse();
	test_names();
	test_load();
	test_seccomp();
	test_process_extra();
	printf("1..%d\n", n_run);
	return n_failed ? 1 : 0;
}
