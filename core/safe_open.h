/* phasepinn — opening a file that must be a regular one, and reading it by
 * offset (private to the library; core/checkpoint.c and core/registry.c).
 *
 * pp_open_regular never waits for a FIFO's writer (O_NONBLOCK) and checks
 * the type on the descriptor itself, so a file swapped for something else
 * after a directory listing cannot slip through; asked to, it also refuses
 * to go through a symbolic link (O_NOFOLLOW).  It sets no pp_error: the
 * checkpoint reader and the plugin loader word what went wrong their own
 * way, from the fault it reports. */
#ifndef PHASEPINN_CORE_SAFE_OPEN_H
#define PHASEPINN_CORE_SAFE_OPEN_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#pragma GCC visibility push(hidden)

typedef enum pp_open_fault {
	PP_OPEN_OK = 0,
	PP_OPEN_FAILED,       /* open(2) failed; errno says why */
	PP_OPEN_LINK,         /* a symbolic link, and links were refused */
	PP_OPEN_NO_STAT,      /* fstat(2) failed; errno says why */
	PP_OPEN_NOT_REGULAR,  /* not a regular file; st->st_mode says what it is */
} pp_open_fault;

/* @path opened read-only (close-on-exec) when it is a regular file, its
 * status in *@st; else -1, nothing left open, errno kept for the faults
 * that have one.  @follow_links 0: a symbolic link is PP_OPEN_LINK. */
int pp_open_regular(const char *path, int follow_links, struct stat *st,
		    pp_open_fault *fault);

/* "a directory", "a FIFO", ... "not a regular file", for messages. */
const char *pp_file_kind(mode_t mode);

/* Exactly @n bytes of @fd from offset @off into @buf (retrying after a
 * signal); -1 on an error or the end of the file. */
int pp_read_at(int fd, void *buf, size_t n, off_t off);

#pragma GCC visibility pop

#endif
