/* phasepinn — the one place where ranks of a data-parallel run meet
 * (docs/scaling.md).  Built against MPI with -Dmpi=enabled (or auto when
 * OpenMPI is found); without it every function is the one-rank identity,
 * so the trainer calls them unconditionally.
 *
 * A process joins MPI only when a launcher started it (mpirun sets
 * OMPI_COMM_WORLD_SIZE, PMIX_RANK or PMI_RANK); a plain `phasepinn run`
 * never initialises MPI and is exactly the one-rank program.
 *
 * Every function marked "collective" must be called by every rank in the
 * same order.  The *_agree forms carry each rank's status: when any rank
 * failed, every rank returns the status and message of the lowest failing
 * rank (prefixed "rank R: "), so all stop together with the same error. */
#ifndef PHASEPINN_CORE_COMM_H
#define PHASEPINN_CORE_COMM_H

#include <stddef.h>

#include <phasepinn/error.h>
#include <phasepinn/real.h>

enum { PP_COMM_SUM, PP_COMM_MAX, PP_COMM_MIN };

/* Join MPI if a launcher started this process.  An error when MPI_Init
 * fails under a launcher, or when a build without MPI is started as one of
 * several ranks: going on would make every process rank 0 of its own run. */
int pp_comm_init(int *argc, char ***argv, pp_error *err);
/* Leave MPI (no-op when never joined).  Collective. */
void pp_comm_finalize(void);
/* Stop every rank at once with @code (MPI_Abort; exit without MPI). */
void pp_comm_abort(int code);
int pp_comm_rank(void);
int pp_comm_size(void);
/* Was MPI built in (whether or not this process joined)? */
int pp_comm_built(void);

/* Make room for reductions of up to @bytes (plus their status), so that
 * no reduction has to allocate while the other ranks wait in it. */
int pp_comm_reserve(size_t bytes, pp_error *err);
/* Collective: every rank's @rc; see above. */
int pp_comm_agree(int rc, pp_error *err);
/* Collective: sum @n pp_reals in place over ranks, agreeing on @rc first
 * (one message: the status rides with the values). */
int pp_comm_sum_reals(pp_real *v, size_t n, int rc, pp_error *err);
/* Collective: the same for doubles. */
int pp_comm_sum_doubles(double *v, size_t n, int rc, pp_error *err);
/* Collective: @n_parts arrays of @len pp_reals each, summed in place as one
 * message. */
int pp_comm_sum_parts(pp_real *const *parts, size_t n_parts, size_t len, int rc,
		      pp_error *err);
/* Collective: @op (PP_COMM_SUM/MAX/MIN) over @n doubles in place. */
int pp_comm_reduce_doubles(double *v, size_t n, int op, pp_error *err);
/* Collective: every rank's @counts[r] doubles, rank order, into @all. */
int pp_comm_allgather_doubles(const double *mine, const size_t *counts, double *all,
			      pp_error *err);
/* Collective: @n bytes from rank @root to everyone. */
int pp_comm_bcast(void *buf, size_t n, int root, pp_error *err);
/* Collective: rank 0 receives every rank's @len bytes at @data; *all
 * (malloc'd, rank 0 only; NULL elsewhere) holds them in rank order and
 * lens[r] each one's length (lens has pp_comm_size() entries, rank 0). */
int pp_comm_gather_bytes(const void *data, size_t len, unsigned char **all, size_t *lens,
			 pp_error *err);
/* Collective: is @flag set on any rank? */
int pp_comm_any(int flag);
/* Collective: the largest @v over ranks. */
int pp_comm_max_int(int v);

/* Distributed sweeps (`mpirun phasepinn compare`): with @on, every rank
 * trains alone — pp_comm_rank() is 0, pp_comm_size() 1 and the
 * collectives above are the identity — while the world_ functions below
 * still reach every rank. */
void pp_comm_solo(int on);
int pp_comm_world_rank(void);
int pp_comm_world_size(void);
/* Collective over every rank, solo or not: @op over @n doubles in place. */
int pp_comm_world_reduce(double *v, size_t n, int op);

/* Rank @r's first index of @n items cut into @size contiguous shares
 * (shares differ by at most one; rank r = size gives n). */
static inline size_t pp_comm_share_start(size_t n, int r, int size)
{
	return (size_t)((unsigned long long)n * (unsigned long long)r /
			(unsigned long long)(size > 0 ? size : 1));
}

#endif
