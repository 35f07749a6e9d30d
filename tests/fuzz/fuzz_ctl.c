/* libFuzzer harness: the ctl grammar (fs/ctl.c) on arbitrary bytes.
 * The input is split into lines with ctl_next_line() as the daemon does,
 * and each line is parsed both as a top-level and as a container command.
 * A line must either parse into a command that keeps the grammar's promises
 * (a valid id, an absolute path, a signal 1..64, seconds 0..86400) or fail
 * with a one-line EINVAL message; anything else aborts.
 * Seeds: tests/fuzz/corpus/ctl/. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ocifs/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool one_line(const char *s)
{
	if (s[0] == '\0')
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static bool no_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static void check(const char *line, size_t len, bool top)
{
	struct ctl_cmd c;
	ocifs_error err = { 0 };

	if (ctl_parse(line, len, top, &c, &err) < 0) {
		if (err.code != EINVAL || !one_line(err.msg) || c.op != CTL_NONE)
			abort();
		return;
	}
	if (ctl_op_name(c.op) == NULL)
		abort();
	switch (c.op) {
	case CTL_NONE:
		break;
	case CTL_CREATE:
	case CTL_RUN:
		if (!top || !ocifs_id_valid(c.id) || c.path[0] != '/' || !no_control(c.path))
			abort();
		break;
	case CTL_EXEC:
		if (top || c.path[0] != '/' || !no_control(c.path))
			abort();
		break;
	default:
		if (top)
			abort();
	}
	if (c.signal < 1 || c.signal > 64 || c.seconds < 0 || c.seconds > 86400)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t off = 0;

	/* the whole input as one line, then line by line */
	check(buf, size, true);
	check(buf, size, false);
	while (off < size) {
		size_t n = ctl_next_line(buf + off, size - off);
		if (n == 0 || n > size - off)
			abort();
		check(buf + off, n, true);
		check(buf + off, n, false);
		off += n;
	}
	return 0;
}
