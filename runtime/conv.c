/* conv.c — instantiates conv_impl.h for float (through k_gemm, one thread's packing per
 * workspace slot) and double (through a plain product, for gradient checks); see conv.h. */
#include "conv.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#else
static int omp_get_thread_num(void) { return 0; }
static int omp_get_max_threads(void) { return 1; }
#endif

#include "gemm.h"


/* k_gemm inside a thread of the batch loop runs on that thread alone (OpenMP does not
 * nest), but a team of one thread may let it start its own: a slot has k_gemm's whole
 * workspace. */
#define REAL float
#define SUFFIX f32
#define MATMUL k_gemm
#define GEMM_WORK k_gemm_workspace()
#define GEMM_AT(p) (p)
#include "conv_impl.h"
#undef REAL
#undef SUFFIX
#undef MATMUL
#undef GEMM_WORK
#undef GEMM_AT

#define REAL double
#define SUFFIX f64
#define MATMUL k_gemm_f64
#define GEMM_WORK 0
#define GEMM_AT(p) ((void)(p), (float *)NULL)
#include "conv_impl.h"
#undef REAL
#undef SUFFIX
#undef MATMUL
#undef GEMM_WORK
#undef GEMM_AT
