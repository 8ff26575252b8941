/* phasepinn plugins — learning-rate schedules shared by adam and sgd
 * (header-only).
 *
 * YAML (inside a stage):
 *   lr: 1.0e-3
 *   schedule:
 *     type: exponential     # constant | exponential | cosine
 *     rate: 0.9             # exponential: lr · rate^(step / every)
 *     every: 5000           #   (the paper: 1e-3 × 0.9 every 5,000)
 *     staircase: true       #   floor(step / every) when true
 *     min_lr: 0             # cosine: lr decays to min_lr over the stage
 *     warmup: 0             # linear warm-up from 0 over this many steps
 * Steps count within the stage.
 */
#ifndef PHASEPINN_PLUGINS_SCHEDULE_H
#define PHASEPINN_PLUGINS_SCHEDULE_H

#include <math.h>

#include <phasepinn/config.h>
#include <phasepinn/error.h>

typedef enum { PP_SCHEDULE_CONSTANT, PP_SCHEDULE_EXPONENTIAL, PP_SCHEDULE_COSINE } pp_schedule_type;

typedef struct pp_schedule {
	double lr;
	int type;
	double rate;
	long every;
	int staircase;
	double min_lr;
	long warmup;
} pp_schedule;

static inline int pp_schedule_read(const pp_config *stage, double default_lr,
				   pp_schedule *s, pp_error *err)
{
	static const char *const types[] = {"constant", "exponential", "cosine", NULL};
	const pp_config *cfg = pp_config_get(stage, "schedule");
	int rc;

	rc = pp_config_double(stage, "lr", default_lr, 0, 1e6, &s->lr, err);
	if (!rc && cfg && pp_config_node_type(cfg) != PP_CONFIG_MAP)
		rc = pp_config_error(err, PP_ERR_CONFIG, cfg,
				     "schedule: is a map, e.g. {type: exponential, rate: 0.9, every: 5000}");
	if (!rc)
		rc = pp_config_choice(cfg, "type", "constant", types, &s->type, err);
	if (!rc)
		rc = pp_config_double(cfg, "rate", 0.9, 1e-12, 1, &s->rate, err);
	if (!rc)
		rc = pp_config_long(cfg, "every", 5000, 1, 1000000000L, &s->every, err);
	if (!rc)
		rc = pp_config_bool(cfg, "staircase", 1, &s->staircase, err);
	if (!rc)
		rc = pp_config_double(cfg, "min_lr", 0, 0, 1e6, &s->min_lr, err);
	if (!rc)
		rc = pp_config_long(cfg, "warmup", 0, 0, 1000000000L, &s->warmup, err);
	return rc;
}

/* Learning rate at @step of a stage of @total steps. */
static inline double pp_schedule_lr(const pp_schedule *s, long step, long total)
{
	double lr = s->lr;

	switch (s->type) {
	case PP_SCHEDULE_EXPONENTIAL: {
		double k = (double)step / (double)s->every;
		lr *= pow(s->rate, s->staircase ? floor(k) : k);
		break;
	}
	case PP_SCHEDULE_COSINE: {
		double span = total > s->warmup ? (double)(total - s->warmup) : 1.0;
		double p = fmin(1.0, fmax(0.0, (double)(step - s->warmup) / span));
		lr = s->min_lr + 0.5 * (s->lr - s->min_lr) * (1.0 + cos(M_PI * p));
		break;
	}
	default:
		break;
	}
	if (s->warmup > 0 && step < s->warmup)
		lr *= (double)(step + 1) / (double)s->warmup;
	return lr;
}

#endif
