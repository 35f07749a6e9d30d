/* placeholder: create.c is being written */
