/* libFuzzer harness: ocifs_config_parse() on arbitrary bytes.  Any input
 * must either parse (and free cleanly) or fail with a one-line EINVAL
 * message; crashes, leaks and sanitizer reports are bugs.
 * Seeds: tests/fuzz/corpus/config/. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ocifs/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_config *cfg = NULL;
	ocifs_error err = { 0 };

	if (ocifs_config_parse((const char *)data, size, &cfg, &err) == 0) {
		ocifs_config_free(cfg);
		return 0;
	}
	if (cfg != NULL || err.code != EINVAL || err.msg[0] == '\0' || strchr(err.msg, '\n'))
		abort();
	return 0;
}
