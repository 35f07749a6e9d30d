/* placeholder: cgroup_v1.c is being written */
