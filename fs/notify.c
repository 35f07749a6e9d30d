/* placeholder: notify.c is being written */
