/* phasepinn — opening a file that must be a regular one, and reading it by
 * offset (see core/safe_open.h). */
#include "core/safe_open.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int pp_open_regular(const char *path, int follow_links, struct stat *st,
		    pp_open_fault *fault)
{
	int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | (follow_links ? 0 : O_NOFOLLOW);
	int fd = open(path, flags), saved;

	if (fd < 0) {
		*fault = !follow_links && errno == ELOOP ? PP_OPEN_LINK : PP_OPEN_FAILED;
		return -1;
	}
	if (fstat(fd, st) != 0) {
		*fault = PP_OPEN_NO_STAT;
	} else if (!S_ISREG(st->st_mode)) {
		*fault = PP_OPEN_NOT_REGULAR;
	} else {
		*fault = PP_OPEN_OK;
		return fd;
	}
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

const char *pp_file_kind(mode_t mode)
{
	return S_ISDIR(mode) ? "a directory" : S_ISFIFO(mode) ? "a FIFO"
	       : S_ISCHR(mode) ? "a character device" : S_ISBLK(mode) ? "a block device"
	       : S_ISSOCK(mode) ? "a socket" : S_ISLNK(mode) ? "a symbolic link"
	       : "not a regular file";
}

int pp_read_at(int fd, void *buf, size_t n, off_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = pread(fd, (char *)buf + done, n - done, off + (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}
