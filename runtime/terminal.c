/* placeholder: terminal.c is being written */
