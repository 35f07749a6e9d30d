/* placeholder: cgroup_v2.c is being written */
