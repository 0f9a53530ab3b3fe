/* Shared helpers of the unit tests; see test_util.h. */
#include "test_util.h"
#include <stdio.h>
#include <stdlib.h>

int test_run_suite(Suite *suite) {
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int num_failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return num_failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

const char *test_fixture_path(const char *name) {
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", S2S_FIXTURES, name);
    return path;
}

const char *test_make_temp_dir(void) {
    static char path[256];
    snprintf(path, sizeof path, "/tmp/s2s-test-XXXXXX");
    if (!mkdtemp(path)) {
        perror("mkdtemp");
        abort();
    }
    return path;
}

float test_random_uniform(uint64_t *state) {
    /* xorshift64*: enough for test data, identical on every machine. */
    uint64_t x = *state ? *state : 0x9E3779B97F4A7C15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    uint32_t top = (uint32_t)((x * 0x2545F4914F6CDD1Dull) >> 40); /* 24 bits */
    return (float)top / (float)(1u << 23) - 1.0f;
}
