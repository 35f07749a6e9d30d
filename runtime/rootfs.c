/* placeholder: rootfs.c is being written */
