/* The progress line's text (cli/progress.c, compiled into this test): no
 * rate or time left before the stage has a rate to show, and an error
 * value from an earlier row says which step measured it. */
#include <stdio.h>
#include <string.h>

#include "cli/progress.h"
#include "pp_test.h"

enum { COLUMNS = 2, COL_LOSS = 0, COL_ERROR = 1 };

static const char *const names[COLUMNS] = {"loss", "error_rel_l2"};

/* A training clock that a test moves: reports of one run. */
typedef struct fake_run {
	pp_cli_progress p;
	pp_step_view view;
	pp_train_row row;
	double values[COLUMNS], last[COLUMNS];
	unsigned char set[COLUMNS];
	char line[1024];
} fake_run;

static void start(fake_run *f)
{
	memset(f, 0, sizeof *f);
	pp_cli_progress_init(&f->p, NULL);
	f->view.optimizer = "adam";
	f->view.loss = 0.5;
	f->row = (pp_train_row){COLUMNS, names, f->values, f->set, f->last};
	f->last[COL_ERROR] = NAN;
}

static pp_train_report report(fake_run *f, pp_train_event event, long step, double seconds)
{
	return (pp_train_report){.event = event, .step = step, .seconds = seconds,
				 .total_steps = 1000, .n_stages = 2, .log_every = 10,
				 .view = &f->view, .row = event == PP_TRAIN_STAGE ? NULL : &f->row};
}

static void stage(fake_run *f, int index, const char *optimizer, long step, double seconds)
{
	pp_train_report r = report(f, PP_TRAIN_STAGE, step, seconds);

	f->view.stage = index;
	f->view.optimizer = optimizer;
	pp_cli_progress_update(&f->p, &r);
}

/* A step's row: @error >= 0 is measured at it, else not. */
static const char *step(fake_run *f, long step, double seconds, double error)
{
	pp_train_report r = report(f, PP_TRAIN_STEP, step, seconds);

	f->set[COL_ERROR] = error >= 0;
	if (error >= 0)
		f->last[COL_ERROR] = error;
	pp_cli_progress_update(&f->p, &r);
	pp_cli_progress_format(&f->p, &r, 0, f->line, sizeof f->line);
	return f->line;
}

static void test_no_rate_or_time_left_before_the_stage_has_a_rate(void)
{
	fake_run f;

	start(&f);
	stage(&f, 0, "adam", 0, 0.3);
	/* step 0: one step done, nothing to measure a rate by (the old line
	 * said "0.00 steps/s  left 0s") */
	step(&f, 0, 0.5, -1);
	CU_ASSERT_PTR_NULL(strstr(f.line, "steps/s"));
	CU_ASSERT_PTR_NULL(strstr(f.line, "left"));
	CU_ASSERT_PTR_NOT_NULL(strstr(f.line, "step 0/1000"));
	/* 100 steps in 2 s after the first: 50 steps/s, 899 left: 18 s */
	step(&f, 100, 2.5, -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(f.line, "50.0 steps/s"));
	CU_ASSERT_PTR_NOT_NULL(strstr(f.line, "left 18s"));
	/* an L-BFGS stage starts over: no rate at its first step either */
	stage(&f, 1, "lbfgs", 500, 10);
	step(&f, 500, 14, -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(f.line, "stage 2/2 lbfgs"));
	CU_ASSERT_PTR_NULL(strstr(f.line, "steps/s"));
	CU_ASSERT_PTR_NULL(strstr(f.line, "left"));
	step(&f, 510, 15, -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(f.line, "10.0 steps/s"));
}

static void test_an_error_from_an_earlier_step_says_which(void)
{
	fake_run f;

	start(&f);
	stage(&f, 0, "adam", 0, 0);
	step(&f, 0, 0.1, -1);
	CU_ASSERT_PTR_NULL(strstr(f.line, "rel.L2"));   /* not measured yet */
	step(&f, 100, 1, 0.0123);
	CU_ASSERT_PTR_NOT_NULL(strstr(f.line, "rel.L2 1.230e-02  "));
	CU_ASSERT_PTR_NULL(strstr(f.line, "(step"));
	step(&f, 150, 1.5, -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(f.line, "rel.L2 1.230e-02 (step 100)"));
	step(&f, 200, 2, 0.005);
	CU_ASSERT_PTR_NOT_NULL(strstr(f.line, "rel.L2 5.000e-03  "));
}

static void test_a_narrow_line_drops_the_error_first(void)
{
	fake_run f;
	pp_train_report r;

	start(&f);
	stage(&f, 0, "adam", 0, 0);
	step(&f, 0, 0.1, -1);
	step(&f, 100, 1, 0.0123);
	r = report(&f, PP_TRAIN_STEP, 100, 1);
	pp_cli_progress_format(&f.p, &r, 60, f.line, sizeof f.line);
	CU_ASSERT(strlen(f.line) <= 59);
	CU_ASSERT_PTR_NULL(strstr(f.line, "rel.L2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(f.line, "steps/s"));
}

int main(void)
{
	static const pp_test_case tests[] = {
		{"no rate or time left before the stage has a rate",
		 test_no_rate_or_time_left_before_the_stage_has_a_rate},
		{"an error from an earlier step says which", test_an_error_from_an_earlier_step_says_which},
		{"a narrow line drops the error first", test_a_narrow_line_drops_the_error_first},
		{NULL, NULL}};

	return pp_test_run("progress_line", tests);
}
