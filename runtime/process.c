/* placeholder: process.c is being written */
