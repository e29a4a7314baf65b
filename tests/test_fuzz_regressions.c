/* test_fuzz_regressions.c — every input that once crashed the fuzzer (tests/fuzz/
 * regressions/) now goes through parse, fold and check without a crash; under
 * `make test-asan` also without a leak or undefined behaviour. deep_left_chain.nn and
 * deep_unary_minus.nn overflowed the C stack before the depth limit of ast.h. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "helpers.h"

Test(fuzz, regressions_no_longer_crash)
{
	int n;
	char **files = list_files("tests/fuzz/regressions", "", &n);
	for (int i = 0; i < n; i++) {
		size_t len;
		char *text = slurp(files[i], &len);
		cr_assert_not_null(text, "%s", files[i]);
		struct checked c = check_text(text); /* text stops at a NUL, as the fuzz target's does */
		free(c.messages);
		free(text);
	}
	free_names(files);
	cr_expect_geq(n, 3, "the regression inputs are missing");
}
