/* Internal helpers shared by the config parser files (config*.c).
 * Every helper names the JSON path of what it reads in its errors;
 * cfg_path_key/cfg_path_idx build those paths ("linux.namespaces[2]"). */
#ifndef OCIFS_CONFIG_INTERNAL_H
#define OCIFS_CONFIG_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "ocifs/config.h"
#include "ocifs/error.h"

#define CFG_PATH_MAX 512
#define CFG_QUOTE_MAX 96
void cfg_path_key(char *buf, const char *base, const char *key);
void cfg_path_idx(char *buf, const char *base, size_t i);
const char *cfg_q(char *buf, const char *s);
json_t *cfg_json_load(const char *text, size_t len, const char *what, ocifs_error *err);
int cfg_object(json_t *obj, const char *base, const char *key, json_t **out, ocifs_error *err);
int cfg_array(json_t *obj, const char *base, const char *key, json_t **out, ocifs_error *err);
int cfg_string(json_t *obj, const char *base, const char *key, bool required,
	       char **out, ocifs_error *err);
int cfg_bool(json_t *obj, const char *base, const char *key, bool *out, ocifs_error *err);
int cfg_value_int(json_t *v, const char *path, int64_t min, int64_t max, int64_t *out,
		  ocifs_error *err);
int cfg_int(json_t *obj, const char *base, const char *key, bool required, int64_t min,
	    int64_t max, bool *has, int64_t *out, ocifs_error *err);
int cfg_u64(json_t *obj, const char *base, const char *key, uint64_t *out, ocifs_error *err);
int cfg_strv(json_t *obj, const char *base, const char *key, char ***out, size_t *n,
	     ocifs_error *err);
void cfg_strv_free(char **v, size_t n);
int cfg_abs_path(const char *path, const char *value, ocifs_error *err);
int cfg_refuse(json_t *obj, const char *base, const char *const *keys, ocifs_error *err);
void cfg_error_sanitize(ocifs_error *err);
/* from config_process.c, config_linux.c, config_mounts.c */
int cfg_process_from_json(json_t *o, const char *prefix, struct oci_process **out,
			  ocifs_error *err);
int cfg_linux_from_json(json_t *o, struct oci_linux *lx, ocifs_error *err);
/* One {containerID, hostID, size} at path (linux.uidMappings[i], a mount's
 * uidMappings[i], ...): an object, ranges within 32-bit IDs. */
int cfg_idmap(json_t *v, const char *path, struct oci_idmap *m, ocifs_error *err);
void cfg_linux_clear(struct oci_linux *lx);
int cfg_mounts_from_json(json_t *arr, struct oci_config *cfg, ocifs_error *err);
int cfg_mounts_check_idmap(const struct oci_config *cfg, ocifs_error *err);
/* from config_resources.c: linux.resources but devices; *out is set (and
 * must be freed with ocifs_resources_free) even on failure */
int cfg_resources_from_json(json_t *res, struct oci_resources **out, ocifs_error *err);
/* from config_seccomp.c: linux.seccomp of the linux object; *out is set
 * (and must be freed with cfg_seccomp_free) even on failure */
int cfg_seccomp_from_json(json_t *lx_obj, struct oci_seccomp **out, ocifs_error *err);
void cfg_seccomp_free(struct oci_seccomp *sc);

#endif
