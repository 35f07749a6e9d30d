/* placeholder: config.c is being written */
