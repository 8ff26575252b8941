/* phasepinn tests — running the phasepinn command from a test, in a
 * temporary directory, and looking at the files it leaves. */
#ifndef PHASEPINN_TEST_SHELL_H
#define PHASEPINN_TEST_SHELL_H

#include <stddef.h>

/* Create a fresh directory from @pattern ("/tmp/pp_x_XXXXXX", modified in
 * place) and make it the directory the functions below work in. */
int pp_shell_init(char *pattern);

/* Run a shell snippet in that directory ($PP_TEST_EXE is the program),
 * stdout and stderr into pp_shell_output; returns the exit status (-1 when
 * the snippet did not exit normally). */
int pp_shell(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern char pp_shell_output[65536];
/* pp_shell with the program in front: pp_shell_cli("run %s", file). */
int pp_shell_cli(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write @text to @name (relative to the directory). */
void pp_shell_write(const char *name, const char *text);
/* The whole file @name as a NUL-terminated string the caller frees, its
 * length in *len (may be NULL); NULL when it cannot be read. */
char *pp_shell_read(const char *name, size_t *len);
int pp_shell_exists(const char *name);
/* The whole file @name in a buffer that the next call reuses (1 MiB at
 * most), NULL when it cannot be read: for a quick strstr in a test. */
char *pp_shell_slurp(const char *name);
/* Field @column of the row of CSV @file whose first field is @first, copied
 * into @out; NULL when absent. */
const char *pp_shell_csv_field(const char *file, const char *first, const char *column,
			       char *out, size_t size);
/* That field as a number (NaN when absent or empty). */
double pp_shell_csv_number(const char *file, const char *first, const char *column);
/* The value of @column at @step in the run directory @run's metrics.csv. */
double pp_shell_metric_at(const char *run, const char *column, long step);
/* Size of @name in bytes, -1 when it does not exist. */
long pp_shell_size(const char *name);
/* Remove the directory and everything in it. */
void pp_shell_cleanup(void);

#endif
