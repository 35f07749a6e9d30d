/* placeholder: config_names.c is being written */
