/* lower.h — checked trees to what the runtime executes. So far: schedule expressions to
 * runtime schedules (runtime/schedule.h), with durations in epochs turned into steps.
 *
 * For: `descent schedule` now; minimize and training later. Not for: checking (the
 * trees given here have passed check.c).
 */
#ifndef DESCENT_LOWER_H
#define DESCENT_LOWER_H

#include "ast.h"
#include "diag.h"
#include "schedule.h"

/* The runtime schedule of a checked schedule expression; `N epochs` becomes
 * round(N × steps_per_epoch) steps (steps_per_epoch 0: not known, and an epoch duration
 * is an error). NULL when reported to d, or when memory runs out. Caller frees. */
struct sched *lower_schedule(const struct ast *expr, double steps_per_epoch, struct diag *d);

#endif
