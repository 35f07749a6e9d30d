/* libFuzzer harness: fs_config_parse() (fs/fsconfig.c) on arbitrary bytes.
 * Any input must either parse into values within the documented ranges (and
 * clear cleanly) or fail with a one-line EINVAL message and an empty struct;
 * crashes, leaks and sanitizer reports are bugs.
 * Seeds: tests/fuzz/corpus/fsconfig/. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fsconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fs_config c;
	ocifs_error err = { 0 };

	if (fs_config_parse((const char *)data, size, &c, &err) == 0) {
		if (c.port < 0 || c.port > 65535 ||
		    (c.server_list_file && c.server_list_file[0] == '\0') ||
		    (c.ctl_group && c.ctl_group[0] == '\0'))
			abort();
		fs_config_clear(&c);
		return 0;
	}
	if (err.code != EINVAL || err.msg[0] == '\0' || c.port != 0 || c.debug ||
	    c.server_list_file || c.ctl_group)
		abort();
	for (const char *p = err.msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	return 0;
}
