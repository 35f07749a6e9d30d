/* placeholder: config_linux.c is being written */
