/* placeholder: caps.c is being written */
