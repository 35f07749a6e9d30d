/* Running from a sealed copy of our own binary (CVE-2019-5736).
 *
 * A process that enters a container while its executable is the runtime's
 * file on the host hands the container a way to that file: /proc/PID/exe
 * of the init (before it execs the user's program), or of an exec'd
 * process whose target is a script starting "#!/proc/self/exe", which
 * makes the kernel run the runtime again, inside the container.  A
 * container process that opens that link and waits until no runtime runs
 * could then rewrite the host's binary.
 *
 * So the front ends that put processes in containers (ocirun create, run
 * and exec; the ocifs daemon, whose keeper forks containers) first copy
 * their binary into a memfd, seal it against every change and re-execute
 * from it: /proc/self/exe is then a file nobody can write, and the host's
 * binary is never reachable from inside.  runc and crun do the same.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocifs/engine.h"
#include "ocifs/util.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3: say the memfd is meant to be executed */
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

bool ocifs_exe_is_sealed(void)
{
	cleanup_close int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int seals;

	if (fd < 0)
		return false;
	seals = fcntl(fd, F_GET_SEALS);
	return seals >= 0 && (seals & SEALS) == SEALS;
}

static int memfd_for_exec(ocifs_error *err)
{
	int fd = memfd_create("ocifs-exe", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);

	/* kernels before 6.3 do not know MFD_EXEC */
	if (fd < 0 && errno == EINVAL)
		fd = memfd_create("ocifs-exe", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return ocifs_error_set(err, errno, "sealed copy of the runtime: memfd_create");
	return fd;
}

static int copy_all(int to, int from, off_t size, ocifs_error *err)
{
	off_t off = 0;

	while (off < size) {
		ssize_t n = sendfile(to, from, &off, (size_t)(size - off));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ocifs_error_set(err, n < 0 ? errno : EIO,
					       "sealed copy of the runtime: copy");
	}
	return 0;
}

int ocifs_exe_reexec_sealed(char *const argv[], ocifs_error *err)
{
	cleanup_close int self = -1;
	cleanup_close int copy = -1;
	struct stat st;

	if (ocifs_exe_is_sealed())
		return 0;
	self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (self < 0 || fstat(self, &st) < 0)
		return ocifs_error_set(err, errno, "sealed copy of the runtime: /proc/self/exe");
	copy = memfd_for_exec(err);
	if (copy < 0 || copy_all(copy, self, st.st_size, err) < 0)
		return -1;
	if (fcntl(copy, F_ADD_SEALS, SEALS) < 0)
		return ocifs_error_set(err, errno, "sealed copy of the runtime: seal");
	fexecve(copy, argv, environ);
	return ocifs_error_set(err, errno, "sealed copy of the runtime: execute");
}
