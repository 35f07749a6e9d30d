/* placeholder: state.c is being written */
