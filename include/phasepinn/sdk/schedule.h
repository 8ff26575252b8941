/* phasepinn plugin SDK — learning-rate schedules for optimizer plugins.
 *
 * For plugin authors (installed as <phasepinn/sdk/schedule.h>,
 * header-only): read `lr:` and `schedule:` from a stage with the strict
 * getters and give the learning rate of step k (constant, exponential or
 * cosine, with warm-up); adam and sgd use it, so a new first-order
 * optimizer takes the same keys.
 *
 * YAML (inside a stage):
 *   lr: 1.0e-3              # base learning rate
 *   schedule:
 *     type: exponential     # constant | exponential | cosine
 *     warmup: 0             # any type: linear ramp lr·(k+1)/warmup first
 *     rate: 0.9             # exponential: lr · rate^(k / every)
 *     every: 5000           #   (the paper: 1e-3 × 0.9 every 5,000 steps)
 *     staircase: true       #   floor(k / every) when true, smooth otherwise
 *     min_lr: 0             # cosine: lr → min_lr over the rest of the stage
 * Steps count within the stage; the decay starts when the warm-up ends.  A
 * key of another type (min_lr with exponential, rate with cosine) is an error
 * rather than silently ignored.
 */
#ifndef PHASEPINN_SDK_SCHEDULE_H
#define PHASEPINN_SDK_SCHEDULE_H

#include <math.h>

#include <phasepinn/config.h>
#include <phasepinn/error.h>

/* π written out: M_PI is POSIX, not ISO C, and a plugin author may
 * compile with plain -std=c11 (same digits as glibc's). */
#define PP_SCHEDULE_PI 3.14159265358979323846

typedef enum pp_schedule_type {
	PP_SCHEDULE_CONSTANT,
	PP_SCHEDULE_EXPONENTIAL,
	PP_SCHEDULE_COSINE
} pp_schedule_type;

typedef struct pp_schedule {
	double lr;        /* base learning rate */
	int type;         /* pp_schedule_type */
	long warmup;      /* steps of linear warm-up, 0 for none */
	double rate;      /* exponential: factor per `every` steps */
	long every;
	int staircase;    /* exponential: whole periods only */
	double min_lr;    /* cosine: final learning rate */
} pp_schedule;

/* Keys that only one type reads; elsewhere they are an error, not ignored. */
static inline int pp_schedule_check_owners(const pp_config *cfg, int type, pp_error *err)
{
	static const struct {
		const char *key, *owner_name;
		int owner;
	} owned[] = {
		{"rate", "exponential", PP_SCHEDULE_EXPONENTIAL},
		{"every", "exponential", PP_SCHEDULE_EXPONENTIAL},
		{"staircase", "exponential", PP_SCHEDULE_EXPONENTIAL},
		{"min_lr", "cosine", PP_SCHEDULE_COSINE},
	};

	for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) {
		const pp_config *node = pp_config_get(cfg, owned[i].key);
		if (node && owned[i].owner != type)
			return pp_config_error(err, PP_ERR_CONFIG, node,
					       "schedule key '%s' applies to type: %s only",
					       owned[i].key, owned[i].owner_name);
	}
	return PP_OK;
}

/* Read `lr` and the optional `schedule:` map of a stage (@stage may be NULL:
 * constant @default_lr). */
static inline int pp_schedule_read(const pp_config *stage, double default_lr,
				   pp_schedule *s, pp_error *err)
{
	static const char *const types[] = {"constant", "exponential", "cosine", NULL};
	const pp_config *cfg;
	int rc;

	*s = (pp_schedule){.rate = 1, .every = 1};
	rc = pp_config_double(stage, "lr", default_lr, 0, 1e6, &s->lr, err);
	if (rc)
		return rc;
	/* absent: an empty map, so the constant schedule taken is recorded */
	rc = pp_config_map(stage, "schedule", "type", &cfg, err);
	if (rc)
		return rc;
	rc = pp_config_choice(cfg, "type", "constant", types, &s->type, err);
	if (!rc)
		rc = pp_config_long(cfg, "warmup", 0, 0, 1000000000L, &s->warmup, err);
	if (rc)
		return rc;
	if (s->type == PP_SCHEDULE_EXPONENTIAL) {
		rc = pp_config_double(cfg, "rate", 0.9, 1e-12, 1, &s->rate, err);
		if (!rc)
			rc = pp_config_long(cfg, "every", 5000, 1, 1000000000L, &s->every, err);
		if (!rc)
			rc = pp_config_bool(cfg, "staircase", 1, &s->staircase, err);
	} else if (s->type == PP_SCHEDULE_COSINE) {
		rc = pp_config_double(cfg, "min_lr", 0, 0, s->lr, &s->min_lr, err);
	}
	if (!rc)
		rc = pp_schedule_check_owners(cfg, s->type, err);
	return rc;
}

/* Learning rate at 0-based @step of a stage of @total steps.  During the
 * warm-up lr·(step+1)/warmup; afterwards k = step − warmup drives the decay,
 * and cosine spans the remaining total − warmup steps (reaching min_lr at
 * step = total). */
static inline double pp_schedule_lr(const pp_schedule *s, long step, long total)
{
	double k, span, p;

	if (step < s->warmup)
		return s->lr * (double)(step + 1) / (double)s->warmup;
	k = (double)(step - s->warmup);
	switch (s->type) {
	case PP_SCHEDULE_EXPONENTIAL:
		k /= (double)s->every;
		return s->lr * pow(s->rate, s->staircase ? floor(k) : k);
	case PP_SCHEDULE_COSINE:
		span = total > s->warmup ? (double)(total - s->warmup) : 1.0;
		p = fmin(1.0, k / span);
		return s->min_lr + 0.5 * (s->lr - s->min_lr) * (1.0 + cos(PP_SCHEDULE_PI * p));
	default:
		return s->lr;
	}
}

#endif
