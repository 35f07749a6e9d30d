/* placeholder: mounts.c is being written */
