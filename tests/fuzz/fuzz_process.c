/* libFuzzer harness: ocifs_process_parse() on arbitrary bytes, as for
 * `exec --process FILE`.  The first byte picks the path prefix ("" or
 * "process") so both error-path forms are exercised. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ocifs/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_process *p = NULL;
	ocifs_error err = { 0 };
	const char *prefix = "";

	if (size > 0 && data[0] == 'P') {
		prefix = "process";
		data++;
		size--;
	}
	if (ocifs_process_parse((const char *)data, size, prefix, &p, &err) == 0) {
		ocifs_process_free(p);
		return 0;
	}
	if (p != NULL || err.code != EINVAL || err.msg[0] == '\0' || strchr(err.msg, '\n'))
		abort();
	return 0;
}
