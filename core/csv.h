/* phasepinn — reading the comma-separated tables of a run directory
 * (metrics.csv, prediction.csv, weights_<term>.csv, comparison.csv) and
 * the SNR curves of `phasepinn phases` (private to the core and the
 * command line).  One reader, one splitter, one column lookup for all.
 *
 * The format is what phasepinn writes: a header row of column names, then
 * rows of fields cut at every comma (no quoting: phasepinn's names and
 * numbers hold no comma).  Lines end at "\n", "\r\n" or a lone "\r" (old
 * Mac files), so a file written with any of them reads the same; a UTF-8
 * byte-order mark before the header (spreadsheets write one) is dropped;
 * lines holding only spaces are skipped; a line holding a NUL byte is an
 * error the caller may skip past.  Only the first PP_CSV_MAX_FIELDS fields
 * of a line are looked at.
 */
#ifndef PHASEPINN_CORE_CSV_H
#define PHASEPINN_CORE_CSV_H

#include <stdio.h>

#include <phasepinn/error.h>

#define PP_CSV_MAX_FIELDS 4096

typedef struct pp_csv {
	const char *name;   /* the file, in messages ("NAME:LINE: what") */
	long line;          /* the line last read, from 1 (the header's) */
	int n_columns;      /* the header's fields */
	char **columns;     /* their names, as written */
	int n;              /* the current row's fields (at least 1) */
	char **fields;      /* its fields, NUL-terminated, valid until the next row */
	/* private */
	FILE *f;
	int owns_file;
	char *buf, *header;
	size_t cap;
	int comments;       /* '#' lines skipped (pp_csv_open_commented) */
} pp_csv;

/* Start reading @f (not closed by pp_csv_close) and read its header.
 * PP_ERR_CONFIG "NAME:1: empty file; expected a header row" or "NAME:1: NUL
 * byte in the header", PP_ERR_IO on a read error, PP_ERR_NOMEM.  Call
 * pp_csv_close also after a failure. */
int pp_csv_open(pp_csv *c, FILE *f, const char *name, pp_error *err);

/* pp_csv_open for files people write (observation data): a line whose
 * first character other than a space is '#' is a comment, skipped before
 * the header and between rows like a blank line, and blank lines before
 * the header are skipped too (c->line still counts them). */
int pp_csv_open_commented(pp_csv *c, FILE *f, const char *name, pp_error *err);

/* The same for the file @path (@path must outlive @c); a file that cannot
 * be opened is PP_ERR_IO "PATH: <errno's words>". */
int pp_csv_open_path(pp_csv *c, const char *path, pp_error *err);

/* The next row into c->fields: 1 for a row, 0 at the end of the file, or
 * an error: PP_ERR_CONFIG "NAME:LINE: NUL byte in the line" (the next call
 * goes on after that line), PP_ERR_IO, PP_ERR_NOMEM. */
int pp_csv_next(pp_csv *c, pp_error *err);

/* The header column named @name, spaces and double quotes around the
 * header's name ignored; -1 when there is none. */
int pp_csv_column(const pp_csv *c, const char *name);

/* Release @c (closing the file only when pp_csv_open_path opened it). */
void pp_csv_close(pp_csv *c);

#endif
