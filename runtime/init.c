/* placeholder: init.c is being written */
