/* A cache of compiled seccomp filters, under ROOT/.cache/seccomp.
 *
 * libseccomp needs 10-15 ms here to compile a profile the size of podman's
 * or Docker's default, more than the rest of a container's creation; and
 * engines start every container with the same profile.  So the exported
 * BPF is kept in a file named by a hash of its key, where the key is
 * everything the program depends on: this file format's version,
 * libseccomp's version and API level, and the linux.seccomp object as
 * canonical JSON (compact, sorted keys).  The file holds the key itself,
 * then the program: a hit must match the whole key byte for byte, so a hash
 * collision can only cost a miss.  Files are written atomically (rename)
 * and at most CACHE_MAX of them are kept; any failure to read or write the
 * cache only means compiling, as without it.  The state root is the
 * runtime's own (root-only) directory, and ".cache" is not a container id.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seccomp_filter.h"
#include "ocifs/util.h"

#define CACHE_MAX 256

/* FNV-1a, 64 bits: only a file name, the whole key is compared on use. */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

char *scf_cache_dir(const char *root)
{
	return root && root[0] == '/' ? xasprintf("%s/.cache/seccomp", root) : NULL;
}

char *scf_cache_key(const char *canonical)
{
	const struct scmp_version *v = seccomp_version();

	return xasprintf("ocifs-seccomp-cache 1 libseccomp %u.%u.%u api %u\n%s\n",
			 v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0,
			 seccomp_api_get(), canonical);
}

static char *entry_path(const char *dir, const char *key)
{
	return xasprintf("%s/%016llx.bpf", dir, (unsigned long long)fnv1a(key));
}

int scf_cache_load(const char *dir, const char *key, struct sock_fprog *prog)
{
	cleanup_free char *path = entry_path(dir, key);
	cleanup_free char *data = NULL;
	size_t klen = strlen(key), len = 0, n;
	ocifs_error err;

	if (read_file(path, &data, &len, &err) < 0 || len <= klen ||
	    memcmp(data, key, klen) != 0)
		return -1;
	n = len - klen;
	if (n % sizeof(struct sock_filter) != 0 || n / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return -1;
	prog->len = (unsigned short)(n / sizeof(struct sock_filter));
	prog->filter = xmalloc(n);
	memcpy(prog->filter, data + klen, n);
	return 0;
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

void scf_cache_store(const char *dir, const char *key, const struct sock_fprog *prog)
{
	cleanup_free char *path = entry_path(dir, key);
	cleanup_free char *data = NULL;
	size_t klen = strlen(key), n = prog->len * sizeof(struct sock_filter);
	ocifs_error err;

	if (mkdir_p(dir, 0700, &err) < 0 || count_entries(dir) >= CACHE_MAX)
		return;
	data = xmalloc(klen + n);
	memcpy(data, key, klen);
	memcpy(data + klen, prog->filter, n);
	write_file_atomic(dir, strrchr(path, '/') + 1, data, klen + n, 0600, &err);
}
