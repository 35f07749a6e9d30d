/* placeholder: config_process.c is being written */
