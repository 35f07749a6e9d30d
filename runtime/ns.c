/* placeholder: ns.c is being written */
