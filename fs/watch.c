/* placeholder: watch.c is being written */
