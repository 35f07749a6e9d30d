/* ocifs_update: new resource limits for a live container (`ocirun update`).
 * The resources JSON is a linux.resources object; it is parsed with the
 * config parser (errors name "linux.resources..." paths) and written to the
 * container's cgroup by the drivers, under the container's lock.  The
 * config.json of the bundle is not rewritten. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "ocifs/engine.h"
#include "state.h"
#include "ocifs/util.h"

int ocifs_update(const char *root, const char *id, const char *resources_json,
		 ocifs_error *err)
{
	struct oci_resources *res = NULL;
	struct state_rec rec;
	enum ocifs_status st;
	int fd, ret = -1;

	ocifs_error_clear(err);
	fd = state_lock(root, id, err);
	if (fd < 0)
		return -1;
	if (state_read(root, id, &rec, err) < 0) {
		close(fd);
		return -1;
	}
	st = state_status(&rec);
	if (st == OCIFS_STOPPED)
		ocifs_error_set(err, EBUSY, "container is stopped");
	else if (!rec.cgroup)
		ocifs_error_set(err, EINVAL, "container has no cgroup to update");
	else if (ocifs_resources_parse(resources_json, strlen(resources_json), &res, err) == 0)
		ret = cgroup_update(rec.cgroup, res, err);
	ocifs_resources_free(res);
	state_rec_clear(&rec);
	close(fd);
	return ret;
}
