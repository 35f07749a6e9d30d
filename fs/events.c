/* placeholder: events.c is being written */
