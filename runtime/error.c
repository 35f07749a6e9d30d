/* The error convention of include/ocifs/error.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ocifs/error.h"

int ocifs_error_set(ocifs_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (errnum != 0 && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(errnum));
	err->code = errnum ? errnum : EINVAL;
	return -1;
}

int ocifs_error_prefix(ocifs_error *err, const char *fmt, ...)
{
	char prefix[OCIFS_ERROR_MSG_MAX];
	char old[OCIFS_ERROR_MSG_MAX];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	n = strnlen(prefix, sizeof(prefix) - 1);
	memcpy(err->msg, prefix, n);
	if (n + 2 < sizeof(err->msg)) {
		memcpy(err->msg + n, ": ", 2);
		n += 2;
	}
	old[sizeof(old) - 1] = '\0';
	strncpy(err->msg + n, old, sizeof(err->msg) - n - 1);
	err->msg[sizeof(err->msg) - 1] = '\0';
	if (err->code == 0)
		err->code = EINVAL;
	return -1;
}

void ocifs_error_clear(ocifs_error *err)
{
	err->code = 0;
	err->msg[0] = '\0';
}
