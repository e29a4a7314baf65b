/* isa.c — the kernels' instruction set (see isa.h). */
#include "isa.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum k_isa k_isa_supported(void)
{
	__builtin_cpu_init(); /* libgcc's check of avx512f includes the OS's XCR0 bits */
	bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
	if (avx2 && __builtin_cpu_supports("avx512f")) /* a hypervisor may hide one, not both */
		return K_AVX512;
	return avx2 ? K_AVX2 : K_PORTABLE;
}

bool k_isa_parse(const char *want, enum k_isa *cap)
{
	for (enum k_isa isa = K_PORTABLE; isa <= K_AVX512; isa++)
		if (strcmp(want, k_isa_name(isa)) == 0) {
			*cap = isa;
			return true;
		}
	return false;
}

/* Called from the update's threads too: read and written atomically (two threads that
 * both choose store the same value). 0 means not chosen yet, else the isa plus 1. */
enum k_isa k_isa(void)
{
	static int chosen;
	int isa = __atomic_load_n(&chosen, __ATOMIC_ACQUIRE);
	if (isa == 0) {
		const char *want = getenv("DESCENT_KERNELS");
		enum k_isa cap = K_AVX512; /* an unknown value (which the CLI refuses) caps nothing */
		if (want)
			k_isa_parse(want, &cap);
		enum k_isa has = k_isa_supported();
		isa = (has < cap ? has : cap) + 1;
		__atomic_store_n(&chosen, isa, __ATOMIC_RELEASE);
	}
	return (enum k_isa)(isa - 1);
}

const char *k_isa_name(enum k_isa isa)
{
	static const char *const names[] = {[K_PORTABLE] = "portable", [K_AVX2] = "avx2",
	                                    [K_AVX512] = "avx512"};
	return names[isa];
}
