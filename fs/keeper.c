/* placeholder: keeper.c is being written */
