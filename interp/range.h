/* range.h — `descent range FILE.nn`: the learning-rate range test (Smith 2017 §3.3) on a
 * file's first train block, its CSV and picture, and the rates it suggests (the rules are
 * runtime/lr_range.h's).
 *
 * For: cli.c's command table. Not for: the test's numbers (runtime/lr_range.c).
 */
#ifndef DESCENT_RANGE_H
#define DESCENT_RANGE_H

/* What `descent range --help` prints. */
extern const char range_help[];

/* Runs the command on its arguments (after "range"); returns the exit status: 0, 1 an
 * error in the input or an output that cannot be written, 2 misuse. */
int range_command(int argc, char **argv);

#endif
