/* Test support for the config.json parser tests: configs written as
 * patches over a small valid base.  A patch is merged into the base
 * ("__DEL__" deletes a member, objects merge, anything else replaces); JSON
 * in the tests uses ' for " to stay readable. */
#ifndef OCIFS_TEST_CONFIG_PATCH_H
#define OCIFS_TEST_CONFIG_PATCH_H

#include <stdbool.h>

#include "ocifs/config.h"

/* s with every ' turned into " (malloc'd). */
char *config_dq(const char *s);

/* base + patch as JSON text (malloc'd); NULL if the patch is not JSON. */
char *config_patched(const char *patch);

/* base + patch, parsed: ocifs_config_parse's result, -2 when the patch
 * itself is not JSON (a test bug). */
int config_parse_patch(const char *patch, struct oci_config **cfg, ocifs_error *err);

/* True when s holds no control character (one line). */
bool config_one_line(const char *s);

#endif
