/* placeholder: tree.c is being written */
