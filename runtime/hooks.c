/* placeholder: hooks.c is being written */
