/* placeholder: fsconfig.c is being written */
