/* phasepinn tests — see pp_shell.h. */
#include "pp_shell.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char pp_shell_output[65536];
static const char *workdir = "/tmp";

int pp_shell_init(char *pattern)
{
	if (!mkdtemp(pattern))
		return -1;
	workdir = pattern;
	return 0;
}

static int run_snippet(const char *prefix, const char *fmt, va_list ap)
{
	char snippet[16384], cmd[20000];
	size_t n;
	FILE *p;
	int status;

	vsnprintf(snippet, sizeof snippet, fmt, ap);
	snprintf(cmd, sizeof cmd, "cd %s && { %s%s; } 2>&1", workdir, prefix, snippet);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fread(pp_shell_output, 1, sizeof pp_shell_output - 1, p);
	pp_shell_output[n] = '\0';
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int pp_shell(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = run_snippet("", fmt, ap);
	va_end(ap);
	return rc;
}

int pp_shell_cli(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = run_snippet("\"$PP_TEST_EXE\" ", fmt, ap);
	va_end(ap);
	return rc;
}

static void path_of(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", workdir, name);
}

void pp_shell_write(const char *name, const char *text)
{
	char path[4096];
	FILE *f;

	path_of(path, sizeof path, name);
	f = fopen(path, "w");
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

char *pp_shell_read(const char *name, size_t *len)
{
	char path[4096], *buf = NULL;
	struct stat st;
	FILE *f;

	path_of(path, sizeof path, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) == 0 && (buf = malloc((size_t)st.st_size + 1)) != NULL) {
		size_t n = fread(buf, 1, (size_t)st.st_size, f);
		buf[n] = '\0';
		if (len)
			*len = n;
	}
	fclose(f);
	return buf;
}

int pp_shell_exists(const char *name)
{
	char path[4096];
	struct stat st;

	path_of(path, sizeof path, name);
	return stat(path, &st) == 0;
}

char *pp_shell_slurp(const char *name)
{
	static char buf[1 << 20];
	size_t n = 0;
	char *text = pp_shell_read(name, &n);

	if (!text)
		return NULL;
	n = n < sizeof buf - 1 ? n : sizeof buf - 1;
	memcpy(buf, text, n);
	buf[n] = '\0';
	free(text);
	return buf;
}

long pp_shell_size(const char *name)
{
	char path[4096];
	struct stat st;

	path_of(path, sizeof path, name);
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

void pp_shell_cleanup(void)
{
	char cmd[4200];

	if (strncmp(workdir, "/tmp/", 5) != 0)
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", workdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", workdir);
}

/* Field @column of the row of @file whose first field is @first (the
 * header when @first is NULL is never matched); NULL when absent.  The
 * text is copied into @out. */
const char *pp_shell_csv_field(const char *file, const char *first, const char *column,
				  char *out, size_t size)
{
	char *text = pp_shell_read(file, NULL), *line, *save = NULL;
	int col = -1, k = 0;
	const char *found = NULL;

	if (!text)
		return NULL;
	line = strtok_r(text, "\n", &save);
	for (char *f = line, *end; f; f = end ? end + 1 : NULL, k++) {
		end = strchr(f, ',');
		if ((end ? (size_t)(end - f) : strlen(f)) == strlen(column) &&
		    !strncmp(f, column, strlen(column)))
			col = k;
	}
	while (col >= 0 && (line = strtok_r(NULL, "\n", &save))) {
		size_t n = strcspn(line, ",");
		char *f = line;
		if (n != strlen(first) || strncmp(line, first, n))
			continue;
		for (int i = 0; i < col && f; i++)
			f = strchr(f, ',') ? strchr(f, ',') + 1 : NULL;
		if (f) {
			snprintf(out, size, "%.*s", (int)strcspn(f, ","), f);
			found = out;
		}
		break;
	}
	free(text);
	return found;
}

double pp_shell_csv_number(const char *file, const char *first, const char *column)
{
	char buf[256];

	return pp_shell_csv_field(file, first, column, buf, sizeof buf) && buf[0] ? strtod(buf, NULL) : NAN;
}

/* The value of @column at @step in a run's metrics.csv. */
double pp_shell_metric_at(const char *run, const char *column, long step)
{
	char path[256], key[32];

	snprintf(path, sizeof path, "%s/metrics.csv", run);
	snprintf(key, sizeof key, "%ld", step);
	return pp_shell_csv_number(path, key, column);
}
