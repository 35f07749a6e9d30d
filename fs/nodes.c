/* placeholder: nodes.c is being written */
