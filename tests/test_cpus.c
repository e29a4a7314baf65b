/* test_cpus.c — the default thread and worker counts follow the CPUs the process may use
 * (run_cpus, run_threads in interp/run.c), not the machine's. Each Criterion test runs in
 * a process of its own, so the environment and affinity set here do not leak. */
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */
#include <criterion/criterion.h>
#include <sched.h>
#include <stdlib.h>

#include "run.h"

Test(cpus, follow_the_affinity_mask)
{
	unsetenv("SLURM_CPUS_PER_TASK");
	cpu_set_t set;
	cr_assert_eq(sched_getaffinity(0, sizeof set, &set), 0);
	cr_expect_eq(run_cpus(), CPU_COUNT(&set));
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	cr_assert_eq(sched_setaffinity(0, sizeof set, &set), 0); /* as `taskset -c 0` */
	cr_expect_eq(run_cpus(), 1);
}

Test(cpus, stay_within_a_slurm_allocation)
{
	setenv("SLURM_CPUS_PER_TASK", "1", 1);
	cr_expect_eq(run_cpus(), 1);
	setenv("SLURM_CPUS_PER_TASK", "4096", 1); /* more than the mask: the mask wins */
	cpu_set_t set;
	cr_assert_eq(sched_getaffinity(0, sizeof set, &set), 0);
	cr_expect_eq(run_cpus(), CPU_COUNT(&set));
	setenv("SLURM_CPUS_PER_TASK", "many", 1);
	cr_expect_eq(run_cpus(), CPU_COUNT(&set));
}

Test(cpus, threads_follow_omp_num_threads_else_share_the_cpus)
{
	unsetenv("OMP_NUM_THREADS");
	cr_expect_eq(run_threads(8, 1), 8);
	cr_expect_eq(run_threads(8, 3), 2);
	cr_expect_eq(run_threads(2, 4), 1);
	setenv("OMP_NUM_THREADS", "3", 1);
	cr_expect_eq(run_threads(8, 1), 3);
	setenv("OMP_NUM_THREADS", "4,2", 1); /* nested levels: the outer one */
	cr_expect_eq(run_threads(8, 2), 4);
	setenv("OMP_NUM_THREADS", "0", 1);
	cr_expect_eq(run_threads(8, 2), 4);
}
