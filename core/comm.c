/* phasepinn — communication between the ranks of a data-parallel run (see
 * comm.h and docs/scaling.md).  With PP_HAVE_MPI every collective is one or
 * two MPI calls on MPI_COMM_WORLD; without it, or with one rank, each is
 * the identity and returns the caller's own status. */
#include "core/comm.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef PP_HAVE_MPI
#include <mpi.h>

static int joined, world_rank, world_size = 1;
/* pp_comm_solo: each rank trains alone (distributed sweeps) */
static int solo;
/* What the reductions cost this rank: PHASEPINN_COMM_STATS=1 prints it
 * when the rank leaves MPI (docs/scaling.md). */
static unsigned long long stat_calls, stat_bytes;
static double stat_seconds;

static double now_s(void)
{
	return MPI_Wtime();
}

#define COUNTED(bytes, mrc, call)                                  \
	do {                                                       \
		double t0_ = now_s();                              \
		(mrc) = (call);                                    \
		stat_calls++;                                      \
		stat_bytes += (unsigned long long)(bytes);         \
		stat_seconds += now_s() - t0_;                     \
	} while (0)

/* A launcher's environment: OpenMPI's mpirun, PMIx or PMI-1/2 (MPICH,
 * Slurm's srun). */
static int launched(void)
{
	return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

int pp_comm_init(int *argc, char ***argv, pp_error *err)
{
	int mrc;

	if (joined || !launched())
		return PP_OK;
	/* never go on alone under a launcher: every rank would be rank 0 */
	mrc = MPI_Init(argc, argv);
	if (mrc != MPI_SUCCESS)
		return pp_error_set(err, PP_ERR_IO,
				    "started by mpirun but MPI_Init failed (error %d); not running as a single process",
				    mrc);
	joined = 1;
	MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
	MPI_Comm_size(MPI_COMM_WORLD, &world_size);
	/* a failing call returns its code; the callers turn it into pp_error */
	MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
	return PP_OK;
}

void pp_comm_finalize(void)
{
	if (joined && getenv("PHASEPINN_COMM_STATS"))
		fprintf(stderr, "phasepinn: rank %d: %llu reductions, %llu bytes, %.3f s in them\n",
			world_rank, stat_calls, stat_bytes, stat_seconds);
	if (joined)
		MPI_Finalize();
	joined = 0;
	world_rank = 0;
	world_size = 1;
}

void pp_comm_abort(int code)
{
	if (joined && world_size > 1)
		MPI_Abort(MPI_COMM_WORLD, code);
	exit(code);
}

static int alone(void)
{
	return world_size == 1 || solo;
}

int pp_comm_rank(void)
{
	return solo ? 0 : world_rank;
}

int pp_comm_size(void)
{
	return solo ? 1 : world_size;
}

void pp_comm_solo(int on)
{
	solo = on;
}

int pp_comm_world_rank(void)
{
	return world_rank;
}

int pp_comm_world_size(void)
{
	return world_size;
}

int pp_comm_world_reduce(double *v, size_t n, int op)
{
	MPI_Op o = op == PP_COMM_MAX ? MPI_MAX : op == PP_COMM_MIN ? MPI_MIN : MPI_SUM;

	if (world_size == 1 || n == 0 || n > INT_MAX)
		return world_size == 1 || n == 0 ? PP_OK : PP_ERR_INVALID;
	return MPI_Allreduce(MPI_IN_PLACE, v, (int)n, MPI_DOUBLE, o, MPI_COMM_WORLD) == MPI_SUCCESS
	       ? PP_OK : PP_ERR_IO;
}

int pp_comm_built(void)
{
	return 1;
}

static int mpi_failed(int mrc, const char *what, pp_error *err)
{
	char text[MPI_MAX_ERROR_STRING];
	int len = 0;

	if (mrc == MPI_SUCCESS)
		return PP_OK;
	if (MPI_Error_string(mrc, text, &len) != MPI_SUCCESS)
		snprintf(text, sizeof text, "error %d", mrc);
	return pp_error_set(err, PP_ERR_IO, "MPI: %s failed: %s", what, text);
}

static int too_long(size_t n, pp_error *err)
{
	return n > INT_MAX ? pp_error_set(err, PP_ERR_INVALID,
					  "MPI: a message of %zu items exceeds INT_MAX", n)
			   : PP_OK;
}

/* The failing rank's error, lowest rank first, onto every rank. */
int pp_comm_agree(int rc, pp_error *err)
{
	int mine = rc ? world_rank : world_size, first = world_size, mrc;
	pp_error shared;

	if (alone())
		return rc;
	COUNTED(sizeof mine, mrc, MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD));
	if (mrc != MPI_SUCCESS)
		return mpi_failed(mrc, "agreeing on errors", err);
	if (first == world_size)
		return PP_OK;
	memset(&shared, 0, sizeof shared);
	if (world_rank == first && err)
		shared = *err;
	if (world_rank == first && !shared.code)
		shared.code = rc;
	mrc = MPI_Bcast(&shared, (int)sizeof shared, MPI_BYTE, first, MPI_COMM_WORLD);
	if (mrc != MPI_SUCCESS)
		return mpi_failed(mrc, "sharing an error", err);
	shared.message[sizeof shared.message - 1] = '\0';
	if (err) {
		*err = shared;
		/* said once: an error agreed on already carries its rank */
		if (strncmp(err->message, "rank ", 5) != 0)
			pp_error_prefix(err, "rank %d", first);
	}
	return shared.code ? shared.code : PP_ERR_INVALID;
}

/* Scratch for packing a reduction with its status flag. */
static void *scratch;
static size_t scratch_bytes;

static void *scratch_for(size_t bytes)
{
	void *p;

	if (bytes <= scratch_bytes)
		return scratch;
	p = realloc(scratch, bytes);
	if (!p)
		return NULL;
	scratch = p;
	scratch_bytes = bytes;
	return p;
}

int pp_comm_reserve(size_t bytes, pp_error *err)
{
	if (!alone() && !scratch_for(bytes))
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory for the reductions (%zu bytes)",
				    bytes);
	return PP_OK;
}

/* The packing buffer of a reduction.  The other ranks are already inside
 * the same collective, so a failure here cannot be agreed on: it stops
 * every rank (pp_comm_reserve at set-up makes it unreachable in training). */
static void *packing(size_t n, size_t size)
{
	void *p = n <= INT_MAX ? scratch_for(n * size) : NULL;

	if (!p) {
		fprintf(stderr, "phasepinn: rank %d: cannot pack a reduction of %zu values; stopping every rank\n",
			world_rank, n);
		pp_comm_abort(1);
	}
	return p;
}

#ifdef PP_SINGLE_PRECISION
#define MPI_PP_REAL MPI_FLOAT
#else
#define MPI_PP_REAL MPI_DOUBLE
#endif

int pp_comm_sum_parts(pp_real *const *parts, size_t n_parts, size_t len, int rc,
		      pp_error *err)
{
	size_t n = n_parts * len;
	pp_real *buf;
	int mrc;

	if (alone())
		return rc;
	buf = packing(n + 1, sizeof *buf);
	for (size_t p = 0; p < n_parts; p++)
		memcpy(buf + p * len, parts[p], len * sizeof *buf);
	buf[n] = rc ? 1 : 0;
	COUNTED((n + 1) * sizeof *buf, mrc,
		MPI_Allreduce(MPI_IN_PLACE, buf, (int)(n + 1), MPI_PP_REAL, MPI_SUM, MPI_COMM_WORLD));
	if (mrc != MPI_SUCCESS)
		return mpi_failed(mrc, "summing over ranks", err);
	if (buf[n] != 0)
		return pp_comm_agree(rc, err);
	for (size_t p = 0; p < n_parts; p++)
		memcpy(parts[p], buf + p * len, len * sizeof *buf);
	return PP_OK;
}

int pp_comm_sum_reals(pp_real *v, size_t n, int rc, pp_error *err)
{
	return pp_comm_sum_parts(&v, 1, n, rc, err);
}

int pp_comm_sum_doubles(double *v, size_t n, int rc, pp_error *err)
{
	double *buf;
	int mrc;

	if (alone())
		return rc;
	buf = packing(n + 1, sizeof *buf);
	memcpy(buf, v, n * sizeof *buf);
	buf[n] = rc ? 1 : 0;
	COUNTED((n + 1) * sizeof *buf, mrc,
		MPI_Allreduce(MPI_IN_PLACE, buf, (int)(n + 1), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
	if (mrc != MPI_SUCCESS)
		return mpi_failed(mrc, "summing over ranks", err);
	if (buf[n] != 0)
		return pp_comm_agree(rc, err);
	memcpy(v, buf, n * sizeof *buf);
	return PP_OK;
}

int pp_comm_reduce_doubles(double *v, size_t n, int op, pp_error *err)
{
	MPI_Op o = op == PP_COMM_MAX ? MPI_MAX : op == PP_COMM_MIN ? MPI_MIN : MPI_SUM;
	int mrc;

	if (alone() || n == 0)
		return PP_OK;
	if (too_long(n, err))
		return err ? err->code : PP_ERR_INVALID;
	COUNTED(n * sizeof *v, mrc, MPI_Allreduce(MPI_IN_PLACE, v, (int)n, MPI_DOUBLE, o, MPI_COMM_WORLD));
	return mpi_failed(mrc, "reducing over ranks", err);
}

int pp_comm_allgather_doubles(const double *mine, const size_t *counts, double *all,
			      pp_error *err)
{
	int *cnt, *displ, mrc;
	size_t total = 0;

	if (alone()) {
		memcpy(all, mine, counts[0] * sizeof *all);
		return PP_OK;
	}
	cnt = malloc(2 * (size_t)world_size * sizeof *cnt);
	if (!cnt)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	displ = cnt + world_size;
	for (int r = 0; r < world_size; r++) {
		if (total > INT_MAX || counts[r] > INT_MAX - total) {
			free(cnt);
			return too_long(total + counts[r], err);
		}
		cnt[r] = (int)counts[r];
		displ[r] = (int)total;
		total += counts[r];
	}
	mrc = MPI_Allgatherv(mine, cnt[world_rank], MPI_DOUBLE, all, cnt, displ, MPI_DOUBLE,
			     MPI_COMM_WORLD);
	free(cnt);
	return mpi_failed(mrc, "gathering over ranks", err);
}

int pp_comm_bcast(void *buf, size_t n, int root, pp_error *err)
{
	unsigned char *p = buf;

	while (!alone() && n > 0) {
		int part = n > INT_MAX ? INT_MAX : (int)n;
		int mrc = MPI_Bcast(p, part, MPI_BYTE, root, MPI_COMM_WORLD);
		if (mrc != MPI_SUCCESS)
			return mpi_failed(mrc, "broadcasting", err);
		p += part;
		n -= (size_t)part;
	}
	return PP_OK;
}

int pp_comm_gather_bytes(const void *data, size_t len, unsigned char **all, size_t *lens,
			 pp_error *err)
{
	unsigned long long mine = len, *got = NULL;
	int *cnt = NULL, *displ = NULL, rc = PP_OK, mrc;
	size_t total = 0;

	*all = NULL;
	if (alone()) {
		*all = malloc(len ? len : 1);
		if (!*all)
			return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
		memcpy(*all, data, len);
		lens[0] = len;
		return PP_OK;
	}
	if (world_rank == 0) {
		got = malloc((size_t)world_size * sizeof *got);
		cnt = malloc(2 * (size_t)world_size * sizeof *cnt);
		if (!got || !cnt)
			rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	}
	rc = pp_comm_agree(rc, err);
	if (rc)
		goto cleanup;
	mrc = MPI_Gather(&mine, 1, MPI_UNSIGNED_LONG_LONG, got, 1, MPI_UNSIGNED_LONG_LONG, 0,
			 MPI_COMM_WORLD);
	rc = mpi_failed(mrc, "gathering lengths", err);
	if (!rc && world_rank == 0) {
		displ = cnt + world_size;
		for (int r = 0; r < world_size && !rc; r++) {
			if (got[r] > INT_MAX || total > (size_t)INT_MAX - got[r])
				rc = too_long(total + got[r], err);
			else {
				cnt[r] = (int)got[r];
				displ[r] = (int)total;
				lens[r] = (size_t)got[r];
				total += (size_t)got[r];
			}
		}
		if (!rc && !(*all = malloc(total ? total : 1)))
			rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory gathering %zu bytes", total);
	}
	rc = pp_comm_agree(rc, err);
	if (rc)
		goto cleanup;
	mrc = MPI_Gatherv(data, (int)len, MPI_BYTE, *all, cnt, displ, MPI_BYTE, 0,
			  MPI_COMM_WORLD);
	rc = mpi_failed(mrc, "gathering a checkpoint", err);
cleanup:
	if (rc) {
		free(*all);
		*all = NULL;
	}
	free(got);
	free(cnt);
	return rc;
}

int pp_comm_max_int(int v)
{
	int mrc = MPI_SUCCESS;

	if (!alone())
		COUNTED(sizeof v, mrc, MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD));
	(void)mrc;
	return v;
}

int pp_comm_any(int flag)
{
	return pp_comm_max_int(flag != 0) != 0;
}

#else /* one rank, no MPI */

/* Started as one of several ranks by a launcher, in a build without MPI:
 * each process would believe it is alone and write the same run. */
static long launcher_size(void)
{
	const char *names[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const char *v = getenv(names[i]);
		if (v && atol(v) > 1)
			return atol(v);
	}
	return 1;
}

int pp_comm_init(int *argc, char ***argv, pp_error *err)
{
	(void)argc;
	(void)argv;
	if (launcher_size() > 1)
		return pp_error_set(err, PP_ERR_CONFIG,
				    "started as one of %ld ranks, but this phasepinn was built without MPI (meson setup -Dmpi=enabled, docs/scaling.md)",
				    launcher_size());
	return PP_OK;
}

void pp_comm_finalize(void)
{
}

void pp_comm_abort(int code)
{
	exit(code);
}

int pp_comm_rank(void)
{
	return 0;
}

int pp_comm_size(void)
{
	return 1;
}

int pp_comm_built(void)
{
	return 0;
}

int pp_comm_agree(int rc, pp_error *err)
{
	(void)err;
	return rc;
}

int pp_comm_sum_parts(pp_real *const *parts, size_t n_parts, size_t len, int rc,
		      pp_error *err)
{
	(void)parts;
	(void)n_parts;
	(void)len;
	(void)err;
	return rc;
}

int pp_comm_sum_reals(pp_real *v, size_t n, int rc, pp_error *err)
{
	(void)v;
	(void)n;
	(void)err;
	return rc;
}

int pp_comm_sum_doubles(double *v, size_t n, int rc, pp_error *err)
{
	(void)v;
	(void)n;
	(void)err;
	return rc;
}

int pp_comm_reduce_doubles(double *v, size_t n, int op, pp_error *err)
{
	(void)v;
	(void)n;
	(void)op;
	(void)err;
	return PP_OK;
}

int pp_comm_allgather_doubles(const double *mine, const size_t *counts, double *all,
			      pp_error *err)
{
	(void)err;
	memcpy(all, mine, counts[0] * sizeof *all);
	return PP_OK;
}

int pp_comm_bcast(void *buf, size_t n, int root, pp_error *err)
{
	(void)buf;
	(void)n;
	(void)root;
	(void)err;
	return PP_OK;
}

int pp_comm_gather_bytes(const void *data, size_t len, unsigned char **all, size_t *lens,
			 pp_error *err)
{
	*all = malloc(len ? len : 1);
	if (!*all)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	memcpy(*all, data, len);
	lens[0] = len;
	return PP_OK;
}

int pp_comm_any(int flag)
{
	return flag != 0;
}

int pp_comm_max_int(int v)
{
	return v;
}

int pp_comm_reserve(size_t bytes, pp_error *err)
{
	(void)bytes;
	(void)err;
	return PP_OK;
}

void pp_comm_solo(int on)
{
	(void)on;
}

int pp_comm_world_rank(void)
{
	return 0;
}

int pp_comm_world_size(void)
{
	return 1;
}

int pp_comm_world_reduce(double *v, size_t n, int op)
{
	(void)v;
	(void)n;
	(void)op;
	return PP_OK;
}

#endif
