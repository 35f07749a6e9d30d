/* placeholder: spec.c is being written */
