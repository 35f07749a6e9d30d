/* placeholder: devices.c is being written */
