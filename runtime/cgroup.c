/* placeholder: cgroup.c is being written */
