/* placeholder: config_mounts.c is being written */
