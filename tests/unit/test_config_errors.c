/* TAP tests for the config.json parser's refusals and acceptances
 * (runtime/config*.c): each bad config is a patch over a valid base
 * (config_patch.h) and its error must start with the JSON path in the
 * table, on one line; each good patch must parse.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config_patch.h"
#include "tap.h"

struct bad_case {
	const char *patch;
	const char *prefix; /* the error must start with this */
};

static const struct bad_case bad_cases[] = {
	/* ociVersion */
	{ "{'ociVersion':'__DEL__'}", "ociVersion: is required" },
	{ "{'ociVersion':42}", "ociVersion: must be a string" },
	{ "{'ociVersion':'1.x'}", "ociVersion: \"1.x\" is not a SemVer 2.0.0 version" },
	{ "{'ociVersion':'1.0'}", "ociVersion:" },
	{ "{'ociVersion':'01.0.0'}", "ociVersion:" },
	{ "{'ociVersion':'1.00.0'}", "ociVersion:" },
	{ "{'ociVersion':'1.0.0-'}", "ociVersion:" },
	{ "{'ociVersion':'1.0.0-01'}", "ociVersion:" },
	{ "{'ociVersion':'1.0.0-rc..1'}", "ociVersion:" },
	{ "{'ociVersion':'1.0.0+'}", "ociVersion:" },
	{ "{'ociVersion':'1.0.0+a_b'}", "ociVersion:" },
	{ "{'ociVersion':' 1.0.0'}", "ociVersion:" },
	{ "{'ociVersion':'v1.0.0'}", "ociVersion:" },
	{ "{'ociVersion':''}", "ociVersion:" },
	/* root */
	{ "{'root':'__DEL__'}", "root: is required" },
	{ "{'root':[]}", "root: must be an object" },
	{ "{'root':{'path':''}}", "root.path:" },
	{ "{'root':{'path':1}}", "root.path: must be a string" },
	{ "{'root':{'path':'r','readonly':'yes'}}", "root.readonly: must be a boolean" },
	/* process */
	{ "{'process':'x'}", "process: must be an object" },
	{ "{'process':{'args':[]}}", "process.args: must be a non-empty array" },
	{ "{'process':{'args':'__DEL__'}}", "process.args: must be a non-empty array" },
	{ "{'process':{'args':'sh'}}", "process.args: must be a non-empty array" },
	{ "{'process':{'args':['sh',1]}}", "process.args[1]: must be a string" },
	{ "{'process':{'args':['']}}", "process.args[0]:" },
	{ "{'process':{'cwd':'__DEL__'}}", "process.cwd: is required" },
	{ "{'process':{'cwd':'tmp'}}", "process.cwd: must be an absolute path" },
	{ "{'process':{'env':['A=1','B']}}", "process.env[1]:" },
	{ "{'process':{'env':['=x']}}", "process.env[0]:" },
	{ "{'process':{'env':[1]}}", "process.env[0]: must be a string" },
	{ "{'process':{'env':{}}}", "process.env: must be an array" },
	{ "{'process':{'terminal':'yes'}}", "process.terminal: must be a boolean" },
	{ "{'process':{'consoleSize':{'height':1}}}", "process.consoleSize.width: is required" },
	{ "{'process':{'consoleSize':{'height':-1,'width':2}}}", "process.consoleSize.height:" },
	{ "{'process':{'user':'root'}}", "process.user: must be an object" },
	{ "{'process':{'user':{'uid':0,'gid':'__DEL__'}}}", "process.user.gid: is required" },
	{ "{'process':{'user':{'uid':-1}}}", "process.user.uid:" },
	{ "{'process':{'user':{'uid':1.5}}}", "process.user.uid:" },
	{ "{'process':{'user':{'uid':4294967296}}}", "process.user.uid:" },
	{ "{'process':{'user':{'umask':4096}}}", "process.user.umask:" },
	{ "{'process':{'user':{'additionalGids':[1,'x']}}}", "process.user.additionalGids[1]:" },
	{ "{'process':{'rlimits':{}}}", "process.rlimits: must be an array" },
	{ "{'process':{'rlimits':[1]}}", "process.rlimits[0]: must be an object" },
	{ "{'process':{'rlimits':[{'type':'RLIMIT_FOO','soft':1,'hard':1}]}}",
	  "process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"" },
	{ "{'process':{'rlimits':[{'type':'RLIMIT_NOFILE','soft':1,'hard':1},"
	  "{'type':'RLIMIT_CORE','soft':1,'hard':1},{'type':'RLIMIT_NOFILE','soft':2,'hard':2}]}}",
	  "process.rlimits[2].type: duplicate rlimit \"RLIMIT_NOFILE\"" },
	{ "{'process':{'rlimits':[{'type':'RLIMIT_NOFILE','soft':2048,'hard':1024}]}}",
	  "process.rlimits[0].soft:" },
	{ "{'process':{'rlimits':[{'type':'RLIMIT_NOFILE','soft':1}]}}",
	  "process.rlimits[0].hard: is required" },
	{ "{'process':{'rlimits':[{'type':'RLIMIT_NOFILE','soft':-1,'hard':1}]}}",
	  "process.rlimits[0].soft:" },
	{ "{'process':{'rlimits':[{'soft':1,'hard':1}]}}", "process.rlimits[0].type: is required" },
	{ "{'process':{'capabilities':['CAP_KILL']}}", "process.capabilities: must be an object" },
	{ "{'process':{'capabilities':{'bounding':['CAP_KILL','CAP_NOPE']}}}",
	  "process.capabilities.bounding[1]: unknown capability \"CAP_NOPE\"" },
	{ "{'process':{'capabilities':{'effective':['cap_chown']}}}",
	  "process.capabilities.effective[0]: unknown capability" },
	{ "{'process':{'capabilities':{'permitted':['12']}}}", "process.capabilities.permitted[0]:" },
	{ "{'process':{'capabilities':{'inheritable':[7]}}}", "process.capabilities.inheritable[0]:" },
	{ "{'process':{'capabilities':{'ambient':'CAP_KILL'}}}", "process.capabilities.ambient:" },
	{ "{'process':{'oomScoreAdj':1001}}", "process.oomScoreAdj:" },
	{ "{'process':{'oomScoreAdj':-1001}}", "process.oomScoreAdj:" },
	{ "{'process':{'noNewPrivileges':1}}", "process.noNewPrivileges: must be a boolean" },
	{ "{'process':{'apparmorProfile':'docker-default'}}",
	  "process.apparmorProfile: not supported: the host has no AppArmor" },
	{ "{'process':{'selinuxLabel':'system_u:system_r:container_t:s0'}}",
	  "process.selinuxLabel: not supported" },
	{ "{'process':{'scheduler':{'policy':'SCHED_NOPE'}}}", "process.scheduler.policy: unknown policy \"SCHED_NOPE\"" },
	{ "{'process':{'scheduler':{'nice':1}}}", "process.scheduler.policy: is required" },
	{ "{'process':{'scheduler':{'policy':'SCHED_OTHER','nice':20}}}", "process.scheduler.nice:" },
	{ "{'process':{'scheduler':{'policy':'SCHED_RR','flags':['SCHED_FLAG_X']}}}",
	  "process.scheduler.flags[0]: unknown flag \"SCHED_FLAG_X\"" },
	{ "{'process':{'scheduler':{'policy':'SCHED_DEADLINE','runtime':-1}}}", "process.scheduler.runtime:" },
	{ "{'process':{'ioPriority':{'class':'IOPRIO_CLASS_NONE'}}}", "process.ioPriority.class: unknown class" },
	{ "{'process':{'ioPriority':{'priority':1}}}", "process.ioPriority.class: is required" },
	{ "{'process':{'ioPriority':{'class':'IOPRIO_CLASS_BE','priority':8}}}", "process.ioPriority.priority:" },
	{ "{'process':{'execCPUAffinity':{'initial':'0-'}}}", "process.execCPUAffinity.initial: \"0-\" is not a CPU list" },
	{ "{'process':{'execCPUAffinity':{'final':'3-1'}}}", "process.execCPUAffinity.final:" },
	{ "{'process':{'execCPUAffinity':{'final':7}}}", "process.execCPUAffinity.final: must be a string" },
	{ "{'process':{'memoryPolicy':{'mode':'MPOL_BIND'}}}", "process.memoryPolicy: not supported yet" },
	/* hostname, domainname */
	{ "{'hostname':1}", "hostname: must be a string" },
	{ "{'linux':{'namespaces':[{'type':'pid'}]}}", "hostname:" },
	{ "{'hostname':'__DEL__','domainname':'d','linux':{'namespaces':[{'type':'pid'}]}}",
	  "domainname:" },
	{ "{'linux':'__DEL__'}", "hostname:" },
	/* mounts */
	{ "{'mounts':{}}", "mounts: must be an array" },
	{ "{'mounts':[1]}", "mounts[0]: must be an object" },
	{ "{'mounts':[{'type':'tmpfs'}]}", "mounts[0].destination: is required" },
	{ "{'mounts':[{'destination':'/proc','type':'proc'},{'destination':'tmp'}]}",
	  "mounts[1].destination: must be an absolute path" },
	{ "{'mounts':[{'destination':'/t','source':1}]}", "mounts[0].source: must be a string" },
	{ "{'mounts':[{'destination':'/t','type':[]}]}", "mounts[0].type: must be a string" },
	{ "{'mounts':[{'destination':'/t','options':'ro'}]}", "mounts[0].options: must be an array" },
	{ "{'mounts':[{'destination':'/t','options':['ro',5]}]}", "mounts[0].options[1]:" },
	{ "{'mounts':[{'destination':'/t','options':['ro','idmap']}]}",
	  "mounts[0]: an ID-mapped mount" },
	{ "{'mounts':[{'destination':'/t','options':['rro']}]}", "mounts[0].options[0]:" },
	{ "{'mounts':[{'destination':'/t','options':['tmpcopyup']}]}", "mounts[0].options[0]:" },
	{ "{'mounts':[{'destination':'/t','uidMappings':[{'containerID':0,'hostID':1,'size':1}]}]}",
	  "mounts[0]: an ID-mapped mount" },
	{ "{'mounts':[{'destination':'/t','gidMappings':[{'containerID':0,'hostID':1,'size':1}]}]}",
	  "mounts[0]: an ID-mapped mount" },
	/* hooks */
	{ "{'hooks':[]}", "hooks: must be an object" },
	{ "{'hooks':{'prestart':{}}}", "hooks.prestart: must be an array" },
	{ "{'hooks':{'prestart':[{'path':'bin/x'}]}}", "hooks.prestart[0].path: must be an absolute path" },
	{ "{'hooks':{'createRuntime':[{'args':['x']}]}}", "hooks.createRuntime[0].path: is required" },
	{ "{'hooks':{'poststart':[{'path':'/x','timeout':0}]}}", "hooks.poststart[0].timeout:" },
	{ "{'hooks':{'poststop':[{'path':'/x'},{'path':'/y','args':[1]}]}}",
	  "hooks.poststop[1].args[0]: must be a string" },
	{ "{'hooks':{'startContainer':[{'path':'/x','env':'A=1'}]}}",
	  "hooks.startContainer[0].env: must be an array" },
	{ "{'hooks':{'createContainer':['x']}}", "hooks.createContainer[0]: must be an object" },
	/* annotations */
	{ "{'annotations':[]}", "annotations: must be an object" },
	{ "{'annotations':{'a':'1','b':2}}", "annotations[\"b\"]: must be a string" },
	{ "{'annotations':{'':'x'}}", "annotations:" },
	/* linux */
	{ "{'linux':[]}", "linux: must be an object" },
	{ "{'linux':{'namespaces':{}}}", "linux.namespaces: must be an array" },
	{ "{'linux':{'namespaces':['pid']}}", "linux.namespaces[0]: must be an object" },
	{ "{'linux':{'namespaces':[{'type':'uts'},{'type':'foo'}]}}",
	  "linux.namespaces[1].type: unknown namespace type \"foo\"" },
	{ "{'linux':{'namespaces':[{'type':'pid'},{'type':'uts'},{'type':'pid'}]}}",
	  "linux.namespaces[2].type: duplicate namespace type \"pid\"" },
	{ "{'linux':{'namespaces':[{'type':'uts','path':'proc/1/ns/uts'}]}}",
	  "linux.namespaces[0].path: must be an absolute path" },
	{ "{'linux':{'namespaces':[{'path':'/proc/1/ns/uts'}]}}", "linux.namespaces[0].type: is required" },
	{ "{'linux':{'uidMappings':[{'containerID':0,'hostID':1000,'size':10}]}}",
	  "linux.uidMappings: requires a \"user\"" },
	{ "{'linux':{'gidMappings':[{'containerID':0,'hostID':1000,'size':10}]}}",
	  "linux.gidMappings:" },
	{ "{'linux':{'namespaces':[{'type':'uts'},{'type':'user'}],"
	  "'uidMappings':[{'containerID':0,'hostID':1000,'size':0}]}}",
	  "linux.uidMappings[0].size:" },
	{ "{'linux':{'namespaces':[{'type':'uts'},{'type':'user'}],"
	  "'uidMappings':[{'containerID':0,'size':1}]}}",
	  "linux.uidMappings[0].hostID: is required" },
	{ "{'linux':{'namespaces':[{'type':'uts'},{'type':'user'}],"
	  "'gidMappings':[{'containerID':-1,'hostID':0,'size':1}]}}",
	  "linux.gidMappings[0].containerID:" },
	{ "{'linux':{'devices':[{'type':'x','path':'/dev/x','major':1,'minor':1}]}}",
	  "linux.devices[0].type:" },
	{ "{'linux':{'devices':[{'path':'/dev/x','major':1,'minor':1}]}}",
	  "linux.devices[0].type: is required" },
	{ "{'linux':{'devices':[{'type':'c','path':'dev/x','major':1,'minor':1}]}}",
	  "linux.devices[0].path: must be an absolute path" },
	{ "{'linux':{'devices':[{'type':'c','path':'/dev/x','minor':1}]}}",
	  "linux.devices[0].major: is required" },
	{ "{'linux':{'devices':[{'type':'b','path':'/dev/x','major':1}]}}",
	  "linux.devices[0].minor: is required" },
	{ "{'linux':{'devices':[{'type':'c','path':'/dev/x','major':1,'minor':3},"
	  "{'type':'c','path':'/dev/x','major':1,'minor':5}]}}",
	  "linux.devices[1].path: duplicate device" },
	{ "{'linux':{'devices':[{'type':'c','path':'/dev/x','major':1,'minor':3,'uid':-1}]}}",
	  "linux.devices[0].uid:" },
	{ "{'linux':{'devices':[{'type':'c','path':'/dev/x','major':1,'minor':3,'fileMode':'0666'}]}}",
	  "linux.devices[0].fileMode: must be an integer" },
	{ "{'linux':{'resources':[]}}", "linux.resources: must be an object" },
	{ "{'linux':{'resources':{'memory':{'limit':'1G'}}}}",
	  "linux.resources.memory.limit: must be an integer" },
	{ "{'linux':{'resources':{'memory':{'limit':-2}}}}", "linux.resources.memory.limit:" },
	{ "{'linux':{'resources':{'memory':{'swappiness':101}}}}",
	  "linux.resources.memory.swappiness:" },
	{ "{'linux':{'resources':{'memory':{'limit':1048576,'swap':4096}}}}",
	  "linux.resources.memory.swap: 4096 is below memory.limit" },
	{ "{'linux':{'resources':{'memory':{'disableOOMKiller':1}}}}",
	  "linux.resources.memory.disableOOMKiller: must be a boolean" },
	{ "{'linux':{'resources':{'cpu':{'shares':-1}}}}", "linux.resources.cpu.shares:" },
	{ "{'linux':{'resources':{'cpu':{'cpus':3}}}}", "linux.resources.cpu.cpus: must be a string" },
	{ "{'linux':{'resources':{'pids':{}}}}", "linux.resources.pids.limit: is required" },
	{ "{'linux':{'resources':{'blockIO':{'weight':70000}}}}", "linux.resources.blockIO.weight:" },
	{ "{'linux':{'resources':{'blockIO':{'throttleReadBpsDevice':[{'major':8,'minor':0}]}}}}",
	  "linux.resources.blockIO.throttleReadBpsDevice[0].rate: is required" },
	{ "{'linux':{'resources':{'hugepageLimits':[{'pageSize':'2M','limit':1}]}}}",
	  "linux.resources.hugepageLimits[0].pageSize:" },
	{ "{'linux':{'resources':{'network':{'classID':-1}}}}", "linux.resources.network.classID:" },
	{ "{'linux':{'resources':{'rdma':{'mlx5_1':{'hcaHandles':'3'}}}}}",
	  "linux.resources.rdma[\"mlx5_1\"].hcaHandles: must be an integer" },
	{ "{'linux':{'resources':{'unified':{'memory.max':1}}}}",
	  "linux.resources.unified[\"memory.max\"]: must be a string" },
	{ "{'linux':{'resources':{'unified':{'../x':'1'}}}}",
	  "linux.resources.unified[\"../x\"]: not a controller file name" },
	{ "{'linux':{'resources':{'devices':[{'access':'rwm'}]}}}",
	  "linux.resources.devices[0].allow: is required" },
	{ "{'linux':{'resources':{'devices':[{'allow':'yes'}]}}}",
	  "linux.resources.devices[0].allow: must be a boolean" },
	{ "{'linux':{'resources':{'devices':[{'allow':false},{'allow':true,'type':'u'}]}}}",
	  "linux.resources.devices[1].type:" },
	{ "{'linux':{'resources':{'devices':[{'allow':true,'access':'rwx'}]}}}",
	  "linux.resources.devices[0].access:" },
	{ "{'linux':{'resources':{'devices':[{'allow':true,'major':-2}]}}}",
	  "linux.resources.devices[0].major:" },
	{ "{'linux':{'resources':{'devices':{}}}}", "linux.resources.devices: must be an array" },
	{ "{'linux':{'sysctl':[]}}", "linux.sysctl: must be an object" },
	{ "{'linux':{'sysctl':{'net.ipv4.ip_forward':1}}}",
	  "linux.sysctl[\"net.ipv4.ip_forward\"]: must be a string" },
	{ "{'linux':{'sysctl':{'vm.swappiness':'10'}}}", "linux.sysctl[\"vm.swappiness\"]: not allowed" },
	{ "{'linux':{'sysctl':{'net/../../x':'1'}}}", "linux.sysctl[\"net/../../x\"]:" },
	{ "{'linux':{'namespaces':[{'type':'uts'}],'sysctl':{'net.core.somaxconn':'1'}}}",
	  "linux.sysctl[\"net.core.somaxconn\"]: requires a \"network\"" },
	{ "{'linux':{'namespaces':[{'type':'uts'}],'sysctl':{'kernel.shmmax':'1'}}}",
	  "linux.sysctl[\"kernel.shmmax\"]: requires a \"ipc\"" },
	{ "{'linux':{'rootfsPropagation':'foo'}}", "linux.rootfsPropagation:" },
	{ "{'linux':{'rootfsPropagation':1}}", "linux.rootfsPropagation: must be a string" },
	{ "{'linux':{'maskedPaths':['proc/kcore']}}", "linux.maskedPaths[0]: must be an absolute path" },
	{ "{'linux':{'readonlyPaths':['/proc/sys',1]}}", "linux.readonlyPaths[1]: must be a string" },
	{ "{'linux':{'mountLabel':1}}", "linux.mountLabel: must be a string" },
	{ "{'linux':{'cgroupsPath':[]}}", "linux.cgroupsPath: must be a string" },
	{ "{'linux':{'seccomp':{}}}", "linux.seccomp.defaultAction: is required" },
	{ "{'linux':{'intelRdt':{'closID':'x'}}}", "linux.intelRdt: not supported yet" },
	{ "{'linux':{'personality':{'domain':'LINUX64'}}}", "linux.personality.domain: \"LINUX64\" must be LINUX or LINUX32" },
	{ "{'linux':{'personality':{}}}", "linux.personality.domain: is required" },
	{ "{'linux':{'personality':{'domain':'LINUX','flags':['X']}}}", "linux.personality.flags[0]:" },
	{ "{'linux':{'timeOffsets':{'monotonic':{'secs':1}}}}", "linux.timeOffsets: requires a new \"time\" namespace" },
	{ "{'linux':{'namespaces':[{'type':'time'}],'timeOffsets':{'boottime':{'nanosecs':1000000000}}}}",
	  "linux.timeOffsets.boottime.nanosecs:" },
	{ "{'linux':{'namespaces':[{'type':'time'}],'timeOffsets':{'monotonic':{'secs':'1'}}}}",
	  "linux.timeOffsets.monotonic.secs:" },
	{ "{'linux':{'memoryPolicy':{'mode':'MPOL_BIND'}}}", "linux.memoryPolicy.nodes: is required" },
	{ "{'linux':{'memoryPolicy':{'mode':'MPOL_NOPE','nodes':'0'}}}", "linux.memoryPolicy.mode: unknown mode" },
	{ "{'linux':{'memoryPolicy':{'mode':'MPOL_LOCAL','nodes':'0'}}}", "linux.memoryPolicy.nodes: must be empty" },
	{ "{'linux':{'memoryPolicy':{'mode':'MPOL_BIND','nodes':'a'}}}", "linux.memoryPolicy.nodes: \"a\" is not a node list" },
	{ "{'linux':{'memoryPolicy':{'mode':'MPOL_BIND','nodes':'0','flags':['MPOL_F_X']}}}",
	  "linux.memoryPolicy.flags[0]: unknown flag" },
	{ "{'linux':{'netDevices':{'eth0':{'name':'e0'}}}}", "linux.netDevices: not supported yet" },
};

/* linux.seccomp: errors name the JSON path; unknown syscall names are kept
 * (and skipped when the filter is built). */
static const struct bad_case seccomp_bad[] = {
	{ "{'linux':{'seccomp':{'defaultAction':'SCMP_ACT_NOPE'}}}",
	  "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_NOPE\"" },
	{ "{'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
	  "{'names':['a'],'action':'SCMP_ACT_ALLOW'},{'names':['b'],'action':'SCMP_ACT_LOG'},"
	  "{'names':['c'],'action':'SCMP_ACT_FOO'}]}}}",
	  "linux.seccomp.syscalls[2].action: unknown action \"SCMP_ACT_FOO\"" },
	{ "{'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_VAX']}}}",
	  "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"" },
	{ "{'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','flags':['SECCOMP_FILTER_FLAG_NOPE']}}}",
	  "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_NOPE\"" },
	{ "{'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],"
	  "'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':1,'op':'SCMP_CMP_ISH'}]}]}}}",
	  "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_ISH\"" },
	{ "{'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],"
	  "'action':'SCMP_ACT_ERRNO','args':[{'index':6,'value':1,'op':'SCMP_CMP_EQ'}]}]}}}",
	  "linux.seccomp.syscalls[0].args[0].index:" },
	{ "{'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],"
	  "'action':'SCMP_ACT_ERRNO','args':[{'index':0,'op':'SCMP_CMP_EQ'}]}]}}}",
	  "linux.seccomp.syscalls[0].args[0].value: is required" },
	{ "{'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':[],"
	  "'action':'SCMP_ACT_ERRNO'}]}}}",
	  "linux.seccomp.syscalls[0].names: must be a non-empty array" },
	{ "{'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir']}]}}}",
	  "linux.seccomp.syscalls[0].action: is required" },
	{ "{'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],"
	  "'action':'SCMP_ACT_KILL','errnoRet':1}]}}}",
	  "linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE" },
	{ "{'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','defaultErrnoRet':1}}}",
	  "linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO" },
	{ "{'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':70000}}}",
	  "linux.seccomp.defaultErrnoRet:" },
	{ "{'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],"
	  "'action':'SCMP_ACT_NOTIFY'}]}}}",
	  "linux.seccomp.listenerPath: is required with SCMP_ACT_NOTIFY" },
	{ "{'linux':{'seccomp':{'defaultAction':'SCMP_ACT_NOTIFY','listenerPath':'/l'}}}",
	  "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action" },
	{ "{'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','listenerPath':'rel'}}}",
	  "linux.seccomp.listenerPath: must be an absolute path" },
	{ "{'linux':{'seccomp':[]}}", "linux.seccomp: must be an object" },
};

/* Every case refused with EINVAL, a message starting with its prefix, one
 * line, and no config. */
static void check_refused(const struct bad_case *cases, size_t n, const char *label)
{
	for (size_t i = 0; i < n; i++) {
		const struct bad_case *c = &cases[i];
		struct oci_config *cfg = (void *)1;
		ocifs_error err = { 0 };
		int r = config_parse_patch(c->patch, &cfg, &err);
		bool good = r == -1 && cfg == NULL && err.code == EINVAL &&
			    strncmp(err.msg, c->prefix, strlen(c->prefix)) == 0 &&
			    config_one_line(err.msg);

		if (!ok(good, "%srefused %s -> %s", label, c->patch, c->prefix))
			printf("# got r=%d code=%d msg: %s\n", r, err.code, err.msg);
		if (r == 0)
			ocifs_config_free(cfg);
	}
}

/* Patches that must be accepted. */
static const char *const good_cases[] = {
	"{}",
	"{'ociVersion':'1.0.0'}",
	"{'ociVersion':'1.0.2-dev'}",
	"{'ociVersion':'1.0.0-rc.1+build.001'}",
	"{'ociVersion':'0.0.0-alpha-1.0.x'}",
	"{'ociVersion':'10.20.30+0'}",
	"{'process':'__DEL__'}",
	"{'process':null}",
	"{'hostname':'__DEL__','linux':'__DEL__'}",
	"{'unknownTopLevel':{'x':[1,2]},'process':{'commandLine':'x','weird':1},"
	"'linux':{'someFutureThing':{'a':1}},'hooks':{'futureHook':[1]}}",
	"{'process':{'user':'__DEL__'}}",
	"{'process':{'user':{'uid':1,'gid':1,'username':'ignored'}}}",
	"{'process':{'env':['A=','B=c=d']}}",
	"{'process':{'apparmorProfile':'','selinuxLabel':''}}",
	"{'process':{'scheduler':null,'ioPriority':null}}",
	"{'linux':{'resources':{'memory':null,'cpu':{},'hugepageLimits':[],"
	"'devices':[{'allow':false,'access':'rwm'}],'futureKnob':{'x':1}}}}",
	"{'linux':{'seccomp':null,'personality':null}}",
	"{'linux':{'devices':[{'type':'p','path':'/dev/fifo'}]}}",
	"{'linux':{'namespaces':[{'type':'uts','path':''}]}}",
	"{'linux':{'rootfsPropagation':''}}",
	"{'mounts':[]}",
	"{'mounts':[{'destination':'/b','type':'none','source':'/x','options':['bind','',"
	"'defaults']}]}",
	"{'hooks':{'prestart':[]}}",
	"{'annotations':{}}",
	"{'hostname':''}",
};

static void test_good_cases(void)
{
	for (size_t i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++) {
		struct oci_config *cfg = NULL;
		ocifs_error err = { 0 };
		int r = config_parse_patch(good_cases[i], &cfg, &err);
		if (!ok(r == 0 && cfg, "accepted %s", good_cases[i]))
			printf("# got r=%d msg: %s\n", r, err.msg);
		ocifs_config_free(cfg);
	}
}

int main(void)
{
	check_refused(bad_cases, sizeof(bad_cases) / sizeof(bad_cases[0]), "");
	check_refused(seccomp_bad, sizeof(seccomp_bad) / sizeof(seccomp_bad[0]), "seccomp: ");
	test_good_cases();
	printf("1..%d\n", n_run);
	return n_failed ? 1 : 0;
}
