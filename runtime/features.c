/* placeholder: features.c is being written */
