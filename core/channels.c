/* phasepinn — derivative channels as multi-indices (see channels.h). */
#include "core/channels.h"

#include <stdio.h>
#include <string.h>

int pp_channel_valid(pp_channel c, int n_inputs)
{
	if (c.order < 0 || c.order > PP_MAX_ORDER)
		return 0;
	for (int j = 0; j < c.order; j++)
		if (c.d[j] < 0 || c.d[j] >= n_inputs)
			return 0;
	return 1;
}

pp_channel pp_channel_canonical(pp_channel c)
{
	pp_channel s = {.order = c.order, .output = 0, .d = {-1, -1, -1, -1}};

	for (int j = 0; j < c.order && j < PP_MAX_ORDER; j++) {
		int8_t v = c.d[j];
		int i = j;
		/* insertion sort: at most four entries */
		while (i > 0 && s.d[i - 1] > v) {
			s.d[i] = s.d[i - 1];
			i--;
		}
		s.d[i] = v;
	}
	return s;
}

int pp_channel_same(pp_channel a, pp_channel b)
{
	a = pp_channel_canonical(a);
	b = pp_channel_canonical(b);
	if (a.order != b.order)
		return 0;
	for (int j = 0; j < a.order; j++)
		if (a.d[j] != b.d[j])
			return 0;
	return 1;
}

int pp_channel_find(const pp_channel *list, int n, pp_channel c)
{
	for (int i = 0; i < n; i++)
		if (pp_channel_same(list[i], c))
			return i;
	return -1;
}

/* Order of the closure: by order, then lexicographically in d. */
static int before(pp_channel a, pp_channel b)
{
	if (a.order != b.order)
		return a.order < b.order;
	for (int j = 0; j < a.order; j++)
		if (a.d[j] != b.d[j])
			return a.d[j] < b.d[j];
	return 0;
}

static int add(pp_channel *out, int *count, pp_channel c, pp_error *err)
{
	int i;

	if (pp_channel_find(out, *count, c) >= 0)
		return PP_OK;
	if (*count >= PP_MAX_INTERNAL)
		return pp_error_set(err, PP_ERR_INVALID, "more than %d derivative channels",
				    PP_MAX_INTERNAL);
	i = (*count)++;
	while (i > 0 && before(c, out[i - 1])) {
		out[i] = out[i - 1];
		i--;
	}
	out[i] = c;
	return PP_OK;
}

int pp_channel_closure(const pp_channel *req, int n, int n_inputs, pp_channel *out,
		       int *count, pp_error *err)
{
	int rc;

	*count = 0;
	rc = add(out, count, PP_CHANNEL_U, err);
	for (int k = 0; k < n && !rc; k++) {
		pp_channel c = req[k];
		if (!pp_channel_valid(c, n_inputs))
			return pp_error_set(err, PP_ERR_INVALID,
					    "channel %d asks for derivative order %d in inputs (%d, %d, %d, %d) of a %d-input network",
					    k, c.order, c.d[0], c.d[1], c.d[2], c.d[3], n_inputs);
		/* every subset of the positions gives a sub-multiset */
		for (unsigned mask = 1; mask < (1u << c.order) && !rc; mask++) {
			pp_channel s = {.order = 0, .output = 0, .d = {-1, -1, -1, -1}};
			for (int j = 0; j < c.order; j++)
				if (mask & (1u << j))
					s.d[s.order++] = c.d[j];
			rc = add(out, count, pp_channel_canonical(s), err);
		}
	}
	return rc;
}

void pp_channel_name(pp_channel c, const char *out_name, const char *const *input_names,
		     char *buf, size_t size)
{
	size_t used;

	c = pp_channel_canonical(c);
	snprintf(buf, size, "%s%s", out_name ? out_name : "u", c.order ? "_" : "");
	for (int j = 0; j < c.order; j++) {
		used = strlen(buf);
		if (input_names && input_names[c.d[j]])
			snprintf(buf + used, size - used, "%s", input_names[c.d[j]]);
		else
			snprintf(buf + used, size - used, "x%d", c.d[j]);
	}
}
