/* A few lines of TAP for the unit tests: ok() prints "ok N - what" or
 * "not ok N - what" and counts; tap_counting makes ok() count silently
 * (a first pass that finds the plan number).  Include once per test. */
#ifndef OCIFS_TEST_TAP_H
#define OCIFS_TEST_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int n_run, n_failed;
static bool tap_counting;

__attribute__((format(printf, 2, 3), unused))
static bool ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	n_run++;
	if (tap_counting)
		return true;
	if (!cond)
		n_failed++;
	printf("%s %d - ", cond ? "ok" : "not ok", n_run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return cond;
}

#endif
