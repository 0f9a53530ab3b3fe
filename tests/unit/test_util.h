/* Helpers shared by the Check unit tests: running a suite, fixture paths,
 * temporary folders, and a deterministic random source. */
#ifndef S2S_TEST_UTIL_H
#define S2S_TEST_UTIL_H
#include <check.h>
#include <stddef.h>
#include <stdint.h>

/* Runs the suite and returns the process exit status (0 when all passed). */
int test_run_suite(Suite *suite);

/* Path of a committed fixture: S2S_FIXTURES "/" name, in a static buffer. */
const char *test_fixture_path(const char *name);

/* The samples of a committed audio fixture at rate_hz, at most max_samples
 * (malloc'ed; their count in *num_samples). Exits the process naming the
 * file when it cannot be read or holds under a second: for a test file's
 * setup, outside any test. */
float *test_load_fixture_audio(const char *name, int rate_hz, long max_samples, long *num_samples);

/* Makes a fresh empty temporary folder and returns its path, valid until exit;
 * the folder and its contents are removed when the process that made it exits. */
const char *test_make_temp_dir(void);

/* Deterministic uniform random numbers in [-1, 1) from a caller-held state. */
float test_random_uniform(uint64_t *state);

/* T frames of C random log-probabilities (a log-softmax of logits uniform in
 * [-3, 3), drawn from seed); T * C at most 64. */
void test_random_log_probs(float *lp, int T, int C, uint64_t seed);

/* The next label sequence of length n over classes 1..C-1 after labels (an
 * odometer, starting from all 1s); 0 when labels was the last. */
int test_next_labels(int *labels, int n, int C);

/* Writes a small untrained model (hidden 16, vectors of 8, default
 * features; weights drawn from seed) to path, for tests that need a model
 * file to load; fails the test when it cannot. */
void test_write_small_model(const char *path, uint64_t seed);
#endif
