/* placeholder: ctl.c is being written */
