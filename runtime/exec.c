/* placeholder: exec.c is being written */
