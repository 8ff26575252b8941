/* The run directory (core/rundir.h, docs/hardening.md "The run directory"):
 * phasepinn never touches a file it did not write.  A run refuses a
 * directory holding files of somebody else's unless --force; --force deletes
 * only what the earlier run's manifest lists; nothing is written or deleted
 * through a symbolic link; "/", ".." and a cluttered "." are no outputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rundir.h"

#include "pp_shell.h"
#include "pp_test.h"

static char dir[] = "/tmp/pp_test_rundir_XXXXXX";

/* 35 steps of a tiny Burgers network, a checkpoint every 10: well under a
 * second, and it writes every kind of file a run writes (figures too when
 * gnuplot is installed; their scripts and report.md in any case). */
#define TINY \
	"pde:\n  type: burgers\n  terms:\n    residual: {points: 200}\n    initial: {points: 50}\n" \
	"    boundary: {points: 50}\nnetwork:\n  layers: [8, 8]\nstages:\n" \
	"  - optimizer: adam\n    iterations: 30\n  - optimizer: lbfgs\n    iterations: 5\n" \
	"logging:\n  every: 10\ncheckpoint:\n  every: 10\n"

/* Every file and directory below @run is in its manifest (a temporary
 * file "<path>.tmp.XXXXXX" counting as its path's, the manifest's own
 * as the manifest's): prints the others. */
#define ALL_RECORDED(run) \
	"cd " run " && head -1 .phasepinn-manifest | grep -q '^# phasepinn manifest 1' && " \
	"find . -mindepth 1 | sed 's|^\\./||' | while read -r p; do " \
	"  [ -d \"$p\" ] && [ ! -L \"$p\" ] && p=\"$p/\"; " \
	"  case \"$p\" in .phasepinn-manifest|.phasepinn-manifest.tmp.?\?\?\?\?\?) continue;; esac; " \
	"  grep -qxF \"$p\" .phasepinn-manifest || grep -qxF \"${p%%.tmp.?\?\?\?\?\?}\" .phasepinn-manifest " \
	"    || echo \"unrecorded: $p\"; done"

/* Does file @name hold exactly @text / contain @part?  (0 when missing.) */
static int file_is(const char *name, const char *text)
{
	const char *got = pp_shell_slurp(name);

	return got && strcmp(got, text) == 0;
}

static int file_holds(const char *name, const char *part)
{
	const char *got = pp_shell_slurp(name);

	return got && strstr(got, part) != NULL;
}

static void test_a_run_records_every_path_it_writes(void)
{
	char *m;

	pp_shell_write("rec.yaml", TINY "analyzers:\n  - {type: error, every: 10}\n  - {type: phases, every: 10}\n");
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run rec.yaml --output rec --quiet"), 0);
	m = pp_shell_slurp("rec/.phasepinn-manifest");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(strncmp(m, "# phasepinn manifest 1", 22), 0);
	static const char *const expected[] = {
		"\n.phasepinn.lock\n", "\nconfig.yaml\n", "\nmetrics.csv\n", "\nsummary.json\n",
		"\nparameters.txt\n", "\nweights_residual.csv\n", "\nprediction.csv\n",
		"\nphases.txt\n", "\nreport.md\n", "\ncheckpoints/\n",
		"\ncheckpoints/step-0000000030.ckpt\n", "\nfigures/\n", "\nfigures/loss.gp\n",
	};
	for (size_t i = 0; i < sizeof expected / sizeof *expected; i++)
		if (!strstr(m, expected[i])) {
			fprintf(stderr, "manifest lacks %s", expected[i] + 1);
			CU_FAIL("a path the run wrote is not in its manifest");
		}
	CU_ASSERT_EQUAL(pp_shell(ALL_RECORDED("rec")), 0);
	CU_ASSERT_STRING_EQUAL(pp_shell_output, "");
}

/* kill -9 at a random moment never leaves a file the manifest does not
 * know (each path is recorded before it is created), and resume appends
 * to the manifest it finds. */
static void test_kill_9_and_resume_leave_no_unrecorded_file(void)
{
	pp_shell_write("kill.yaml",
		       "pde:\n  type: burgers\n  terms:\n    residual: {points: 200}\n"
		       "network:\n  layers: [8, 8]\nstages:\n  - optimizer: adam\n    iterations: 600\n"
		       "logging:\n  every: 10\ncheckpoint:\n  every: 3\n  keep: 2\n");
	CU_ASSERT_EQUAL(pp_shell("\"$PP_TEST_EXE\" run kill.yaml --output killed --quiet & pid=$!; "
				 "while ! grep -q '^150,' killed/metrics.csv 2>/dev/null; do "
				 "  kill -0 $pid 2>/dev/null || break; done; "
				 "kill -9 $pid; wait $pid; echo \"code $?\""), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "code 137"));
	CU_ASSERT_EQUAL(pp_shell(ALL_RECORDED("killed")), 0);
	CU_ASSERT_STRING_EQUAL(pp_shell_output, "");
	CU_ASSERT_EQUAL(pp_shell_cli("resume killed --quiet"), 0);
	/* a manifest rewrite the kill cut short leaves nothing behind */
	CU_ASSERT_EQUAL(pp_shell("ls -A killed | grep -c 'manifest.tmp'"), 1);
	CU_ASSERT_TRUE(file_holds("killed/summary.json", "\"status\": \"completed\""));
	CU_ASSERT_EQUAL(pp_shell(ALL_RECORDED("killed")), 0);
	CU_ASSERT_STRING_EQUAL(pp_shell_output, "");
	/* pruned checkpoints leave the manifest with their files */
	CU_ASSERT_EQUAL(pp_shell("grep -c '^checkpoints/step-' killed/.phasepinn-manifest"), 0);
	CU_ASSERT_STRING_EQUAL(pp_shell_output, "2\n");
}

/* A kill -9 between removing a pruned checkpoint and dropping its entry
 * leaves the entry behind (the file goes first, so nothing is ever
 * unrecorded); resume forgets such entries.  The entry is written by hand
 * here, so the test does not depend on where a kill lands. */
static void test_resume_forgets_entries_whose_files_are_gone(void)
{
	pp_shell_write("stale.yaml",
		       "pde:\n  type: burgers\n  terms:\n    residual: {points: 100}\n"
		       "network:\n  layers: [4]\nstages:\n  - optimizer: adam\n    iterations: 400\n"
		       "logging:\n  every: 10\ncheckpoint:\n  every: 3\n  keep: 2\n");
	CU_ASSERT_EQUAL(pp_shell("\"$PP_TEST_EXE\" run stale.yaml --output stale --quiet & pid=$!; "
				 "while ! grep -q '^60,' stale/metrics.csv 2>/dev/null; do "
				 "  kill -0 $pid 2>/dev/null || break; done; "
				 "kill -9 $pid; wait $pid; "
				 "echo checkpoints/step-0000000001.ckpt >> stale/.phasepinn-manifest"), 0);
	CU_ASSERT_EQUAL(pp_shell_cli("resume stale --quiet"), 0);
	CU_ASSERT_EQUAL(pp_shell("grep -c 'step-0000000001.ckpt' stale/.phasepinn-manifest; true"), 0);
	CU_ASSERT_STRING_EQUAL(pp_shell_output, "0\n");
	CU_ASSERT_EQUAL(pp_shell("grep -c '^checkpoints/step-' stale/.phasepinn-manifest"), 0);
	CU_ASSERT_STRING_EQUAL(pp_shell_output, "2\n");
}

/* Today's data loss: a user's config.yaml silently overwritten. */
static void test_a_directory_with_foreign_files_is_refused_without_force(void)
{
	char *text;

	pp_shell_write("foreign.yaml", TINY);
	CU_ASSERT_EQUAL(pp_shell("mkdir -p mine && echo 'my notes' > mine/config.yaml && "
				 "echo x > mine/zz.txt"), 0);
	CU_ASSERT_EQUAL(pp_shell_cli("run foreign.yaml --output mine --quiet"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "mine holds files phasepinn did not write (first: config.yaml)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "--force"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "choose another output"));
	text = pp_shell_slurp("mine/config.yaml");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_STRING_EQUAL(text, "my notes\n");
	/* nothing was created there, not even the lock */
	CU_ASSERT_EQUAL(pp_shell("ls -A mine | tr '\\n' ' '"), 0);
	CU_ASSERT_STRING_EQUAL(pp_shell_output, "config.yaml zz.txt ");
	/* an empty directory, or none, is fine */
	CU_ASSERT_EQUAL(pp_shell("mkdir -p empty"), 0);
	CU_ASSERT_EQUAL(pp_shell_cli("run foreign.yaml --output empty --quiet"), 0);
	CU_ASSERT_EQUAL(pp_shell_cli("run foreign.yaml --output not/yet/there --quiet"), 0);
	/* --force writes into it and keeps what it does not write */
	CU_ASSERT_EQUAL(pp_shell_cli("run foreign.yaml --output mine --quiet --force"), 0);
	CU_ASSERT_TRUE(pp_shell_exists("mine/zz.txt"));
	CU_ASSERT_TRUE(pp_shell_exists("mine/summary.json"));
}

/* --force deletes only the earlier run's own files: never by pattern. */
static void test_force_keeps_the_users_own_figures_and_weights(void)
{
	pp_shell_write("own.yaml", TINY);
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run own.yaml --output own --quiet"), 0);
	CU_ASSERT_TRUE_FATAL(pp_shell_exists("own/figures/loss.gp"));
	CU_ASSERT_EQUAL(pp_shell("echo a > own/figures/mine.png && echo b > own/figures/mine.gp && "
				 "echo c > own/weights_mine.csv && echo d > own/checkpoints/notes.txt"), 0);
	/* a user's file in checkpoints/ stops the run (resume would read it)... */
	CU_ASSERT_EQUAL(pp_shell_cli("run own.yaml --output own --quiet --force"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "own/checkpoints holds notes.txt"));
	CU_ASSERT_TRUE(pp_shell_exists("own/checkpoints/notes.txt"));
	CU_ASSERT_EQUAL(pp_shell("mv own/checkpoints/notes.txt own/notes.txt"), 0);
	CU_ASSERT_EQUAL(pp_shell_cli("run own.yaml --output own --quiet --force"), 0);
	CU_ASSERT_TRUE(file_is("own/figures/mine.png", "a\n"));
	CU_ASSERT_TRUE(file_is("own/figures/mine.gp", "b\n"));
	CU_ASSERT_TRUE(file_is("own/weights_mine.csv", "c\n"));
	CU_ASSERT_TRUE(file_is("own/notes.txt", "d\n"));
	CU_ASSERT_TRUE(pp_shell_exists("own/summary.json"));
	/* the user's files are not taken into the new manifest either */
	CU_ASSERT_EQUAL(pp_shell("grep -c 'mine\\|notes' own/.phasepinn-manifest"), 1);
	CU_ASSERT_STRING_EQUAL(pp_shell_output, "0\n");
}

/* A figures/ or checkpoints/ that is a link to somewhere else: its target's
 * files survive --force, and the run is refused rather than writing there. */
static void test_symlinked_figures_and_checkpoints_are_not_followed(void)
{
	pp_shell_write("link.yaml", TINY);
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run link.yaml --output linked --quiet"), 0);
	CU_ASSERT_EQUAL(pp_shell("mkdir -p elsewhere_fig elsewhere_ckpt && "
				 "echo a > elsewhere_fig/loss.png && echo b > elsewhere_fig/loss.gp && "
				 "cp linked/checkpoints/step-0000000030.ckpt elsewhere_ckpt/ && "
				 "cp linked/checkpoints/step-0000000030.ckpt elsewhere_ckpt/step-0000000010.ckpt && "
				 "rm -rf linked/figures && ln -s ../elsewhere_fig linked/figures"), 0);
	CU_ASSERT_EQUAL(pp_shell_cli("run link.yaml --output linked --quiet --force"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "linked/figures is a symbolic link"));
	CU_ASSERT_EQUAL(pp_shell("ls elsewhere_fig | tr '\\n' ' '"), 0);
	CU_ASSERT_STRING_EQUAL(pp_shell_output, "loss.gp loss.png ");
	CU_ASSERT_EQUAL(pp_shell("rm linked/figures && rm -rf linked/checkpoints && "
				 "ln -s ../elsewhere_ckpt linked/checkpoints"), 0);
	CU_ASSERT_EQUAL(pp_shell_cli("run link.yaml --output linked --quiet --force"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "linked/checkpoints is a symbolic link"));
	CU_ASSERT_EQUAL(pp_shell("ls elsewhere_ckpt | tr '\\n' ' '"), 0);
	CU_ASSERT_STRING_EQUAL(pp_shell_output, "step-0000000010.ckpt step-0000000030.ckpt ");
	/* resume will not prune through it either */
	CU_ASSERT_NOT_EQUAL(pp_shell_cli("resume linked --quiet"), 0);
	CU_ASSERT_EQUAL(pp_shell("ls elsewhere_ckpt | tr '\\n' ' '"), 0);
	CU_ASSERT_STRING_EQUAL(pp_shell_output, "step-0000000010.ckpt step-0000000030.ckpt ");
}

/* A link in the run directory, even one pointing nowhere, is never followed
 * to create a file outside it. */
static void test_dangling_symlinks_are_not_followed(void)
{
	pp_shell_write("dangle.yaml", TINY);
	/* without --force a directory holding only a link is foreign */
	CU_ASSERT_EQUAL(pp_shell("mkdir -p dang0 target && ln -s ../target/m0 dang0/metrics.csv"), 0);
	CU_ASSERT_EQUAL(pp_shell_cli("run dangle.yaml --output dang0 --quiet"), 2);
	CU_ASSERT_FALSE(pp_shell_exists("target/m0"));
	CU_ASSERT_EQUAL(pp_shell("mkdir -p dang && ln -s ../target/m dang/metrics.csv && "
				 "ln -s ../target/s dang/summary.json && ln -s ../target/c dang/config.yaml"), 0);
	CU_ASSERT_EQUAL(pp_shell_cli("run dangle.yaml --output dang --quiet --force"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "dang/metrics.csv is a symbolic link"));
	CU_ASSERT_EQUAL(pp_shell("ls -A target | wc -l"), 0);
	CU_ASSERT_STRING_EQUAL(pp_shell_output, "0\n");
	/* a file written whole replaces the link itself, never its target */
	CU_ASSERT_EQUAL(pp_shell("rm dang/metrics.csv"), 0);
	CU_ASSERT_EQUAL(pp_shell_cli("run dangle.yaml --output dang --quiet --force"), 0);
	CU_ASSERT_EQUAL(pp_shell("test -f dang/summary.json && test ! -L dang/summary.json && "
				 "test ! -L dang/config.yaml && ls -A target | wc -l"), 0);
	CU_ASSERT_STRING_EQUAL(pp_shell_output, "0\n");
	/* directories: figures/ and checkpoints/ pointing nowhere */
	CU_ASSERT_EQUAL(pp_shell("mkdir -p dfig dckpt && ln -s ../target/figs dfig/figures && "
				 "ln -s ../target/ckpt dckpt/checkpoints"), 0);
	CU_ASSERT_EQUAL(pp_shell_cli("run dangle.yaml --output dfig --quiet --force"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "dfig/figures is a symbolic link"));
	CU_ASSERT_EQUAL(pp_shell_cli("run dangle.yaml --output dckpt --quiet --force"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "dckpt/checkpoints is a symbolic link"));
	CU_ASSERT_EQUAL(pp_shell("ls -A target | wc -l"), 0);
	CU_ASSERT_STRING_EQUAL(pp_shell_output, "0\n");
}

/* Manifest entries that leave the run directory are ignored and reported. */
static void test_manifest_entries_outside_the_run_are_ignored(void)
{
	pp_shell_write("esc.yaml", TINY);
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run esc.yaml --output esc --quiet"), 0);
	CU_ASSERT_EQUAL(pp_shell("echo v > victim1 && mkdir -p vdir && echo v > vdir/victim2 && "
				 "echo v > victim3 && ln -s ../vdir esc/via && "
				 "printf '../victim1\\n%%s/victim3\\nvia/victim2\\nfigures/../../victim1\\n' "
				 "\"$PWD\" >> esc/.phasepinn-manifest"), 0);
	CU_ASSERT_EQUAL(pp_shell_cli("run esc.yaml --output esc --quiet --force"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "entry '../victim1' ignored"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "entry 'via/victim2' ignored: it leads through a symbolic link"));
	CU_ASSERT_TRUE(pp_shell_exists("victim1"));
	CU_ASSERT_TRUE(pp_shell_exists("vdir/victim2"));
	CU_ASSERT_TRUE(pp_shell_exists("victim3"));
}

/* "/", "..", an ancestor of the current directory, and "." holding other
 * files are no places for a run, --force or not. */
static void test_root_parent_and_a_cluttered_dot_are_refused(void)
{
	pp_error err = {0};

	/* checked without running, so that a regression cannot write into / */
	CU_ASSERT_EQUAL(pp_rundir_check_output("/", &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "root directory"));
	CU_ASSERT_EQUAL(pp_rundir_check_output("///", &err), PP_ERR_CONFIG);
	CU_ASSERT_EQUAL(pp_rundir_check_output("/.", &err), PP_ERR_CONFIG);
	CU_ASSERT_EQUAL(pp_rundir_check_output("..", &err), PP_ERR_CONFIG);
	CU_ASSERT_EQUAL(pp_rundir_check_output("runs/x/..", &err), PP_ERR_CONFIG);
	CU_ASSERT_EQUAL(pp_rundir_check_output("", &err), PP_ERR_CONFIG);
	CU_ASSERT_EQUAL(pp_rundir_check_output("runs/x", &err), PP_OK);
	CU_ASSERT_EQUAL(pp_rundir_check_output(".", &err), PP_OK);

	pp_shell_write("dots.yaml", TINY);
	pp_shell_write("updots.yaml", TINY "output: ..\n");
	CU_ASSERT_EQUAL(pp_shell("mkdir -p cwd/deeper && echo mine > cwd/mine.txt && mkdir -p emptycwd"), 0);
	CU_ASSERT_EQUAL(pp_shell("cd cwd && \"$PP_TEST_EXE\" run ../dots.yaml --output .. --quiet --force"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "ends in '..'"));
	CU_ASSERT_EQUAL(pp_shell("cd cwd && \"$PP_TEST_EXE\" run ../updots.yaml --quiet --force"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "ends in '..'"));
	CU_ASSERT_EQUAL(pp_shell("cd cwd/deeper && \"$PP_TEST_EXE\" run ../../dots.yaml --output \"$(cd .. && pwd)\" --quiet --force"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "a parent of the current directory"));
	CU_ASSERT_EQUAL(pp_shell("cd cwd && \"$PP_TEST_EXE\" run ../dots.yaml --output . --quiet --force"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "is the current directory, which holds files phasepinn did not write (first: deeper)"));
	CU_ASSERT_FALSE(pp_shell_exists("config.yaml"));
	CU_ASSERT_FALSE(pp_shell_exists("cwd/config.yaml"));
	CU_ASSERT_FALSE(pp_shell_exists("cwd/.phasepinn-manifest"));
	CU_ASSERT_TRUE(file_is("cwd/mine.txt", "mine\n"));
	/* an empty current directory, or one holding a run, is fine */
	CU_ASSERT_EQUAL(pp_shell("cd emptycwd && \"$PP_TEST_EXE\" run ../dots.yaml --output . --quiet"), 0);
	CU_ASSERT_EQUAL(pp_shell("cd emptycwd && \"$PP_TEST_EXE\" run ../dots.yaml --output . --quiet --force"), 0);
	CU_ASSERT_TRUE(pp_shell_exists("emptycwd/summary.json"));
}

/* The comparison directory has a manifest of its own: --force removes a
 * variant dropped since, keeps the user's files. */
static void test_compare_force_removes_only_what_compare_made(void)
{
	pp_shell_write("ca.yaml", TINY "name: ca\n");
	pp_shell_write("cb.yaml", TINY "name: cb\n");
	pp_shell_write("cc.yaml", TINY "name: cc\n");
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("compare ca.yaml cb.yaml --output cmpf --quiet --no-plot"), 0);
	CU_ASSERT_EQUAL(pp_shell("grep -qx 'cb/' cmpf/.phasepinn-manifest && "
				 "grep -qx 'comparison.csv' cmpf/.phasepinn-manifest"), 0);
	CU_ASSERT_EQUAL(pp_shell("echo mine > cmpf/notes.txt && echo mine > cmpf/cb/mine.txt"), 0);
	CU_ASSERT_EQUAL(pp_shell_cli("compare ca.yaml cc.yaml --output cmpf --quiet --no-plot"), 2);
	CU_ASSERT_EQUAL(pp_shell_cli("compare ca.yaml cc.yaml --output cmpf --quiet --no-plot --force"), 0);
	CU_ASSERT_TRUE(pp_shell_exists("cmpf/cc/summary.json"));
	CU_ASSERT_FALSE(pp_shell_exists("cmpf/cb/summary.json"));
	CU_ASSERT_TRUE(file_is("cmpf/cb/mine.txt", "mine\n"));
	CU_ASSERT_TRUE(file_is("cmpf/notes.txt", "mine\n"));
	/* a comparison into a directory of the user's is refused */
	CU_ASSERT_EQUAL(pp_shell("mkdir -p usercmp && echo x > usercmp/data.csv"), 0);
	CU_ASSERT_EQUAL(pp_shell_cli("compare ca.yaml cb.yaml --output usercmp --quiet --no-plot"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "(first: data.csv)"));
	CU_ASSERT_FALSE(pp_shell_exists("usercmp/ca"));
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"a run records every path it writes", test_a_run_records_every_path_it_writes},
		{"kill -9 and resume leave no unrecorded file", test_kill_9_and_resume_leave_no_unrecorded_file},
		{"resume forgets entries whose files are gone", test_resume_forgets_entries_whose_files_are_gone},
		{"a directory with foreign files is refused without --force", test_a_directory_with_foreign_files_is_refused_without_force},
		{"--force keeps the user's own figures and weights", test_force_keeps_the_users_own_figures_and_weights},
		{"symlinked figures/ and checkpoints/ are not followed", test_symlinked_figures_and_checkpoints_are_not_followed},
		{"dangling symlinks are not followed", test_dangling_symlinks_are_not_followed},
		{"manifest entries outside the run are ignored", test_manifest_entries_outside_the_run_are_ignored},
		{"/, .. and a cluttered . are refused", test_root_parent_and_a_cluttered_dot_are_refused},
		{"compare --force removes only what compare made", test_compare_force_removes_only_what_compare_made},
		{NULL, NULL},
	};
	int failed;

	if (pp_shell_init(dir) != 0)
		return 1;
	failed = pp_test_run("rundir", cases);
	if (!failed)
		pp_shell_cleanup();
	return failed;
}
