/* placeholder: lifecycle.c is being written */
