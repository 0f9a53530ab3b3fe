/* Shared helpers of the unit tests; see test_util.h. */
#include "test_util.h"
#include "audio_reader.h"
#include "autoencoder.h"
#include "ctc.h"
#include "model_file.h"
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

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

float *test_load_fixture_audio(const char *name, int rate_hz, long max_samples, long *num_samples) {
    char err[256] = "";
    audio_reader *r = audio_reader_open(test_fixture_path(name), rate_hz, err, sizeof err);
    float *samples = malloc(sizeof(float) * max_samples);
    *num_samples = r && samples ? audio_reader_read(r, samples, max_samples, err, sizeof err) : -1;
    audio_reader_close(r);
    if (*num_samples < rate_hz) {
        fprintf(stderr, "cannot load %s: %s\n", name, err);
        exit(EXIT_FAILURE);
    }
    return samples;
}

/* The folders made so far and the process that made each: a forked test's
 * exit must remove the folders it made, never its parent's. */
enum { MAX_TEMP_DIRS = 64 };
static struct {
    char path[32];
    pid_t owner;
} temp_dirs[MAX_TEMP_DIRS];
static int num_temp_dirs;

static int remove_entry(const char *path, const struct stat *info, int type, struct FTW *walk) {
    (void)info, (void)type, (void)walk;
    return remove(path) == 0 ? 0 : -1;
}

/* atexit handler: removes, deepest entries first, the folders this process made. */
static void remove_temp_dirs(void) {
    for (int i = 0; i < num_temp_dirs; i++)
        if (temp_dirs[i].owner == getpid())
            nftw(temp_dirs[i].path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *test_make_temp_dir(void) {
    if (num_temp_dirs == MAX_TEMP_DIRS) {
        fprintf(stderr, "test_make_temp_dir: more than %d folders\n", MAX_TEMP_DIRS);
        abort();
    }
    char *path = temp_dirs[num_temp_dirs].path;
    snprintf(path, sizeof temp_dirs[0].path, "/tmp/s2s-test-XXXXXX");
    if (!mkdtemp(path)) {
        perror("mkdtemp");
        abort();
    }
    temp_dirs[num_temp_dirs].owner = getpid();
    if (num_temp_dirs++ == 0)
        atexit(remove_temp_dirs);
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

void test_random_log_probs(float *lp, int T, int C, uint64_t seed) {
    float logits[64];
    ck_assert_int_le(T * C, 64);
    for (int k = 0; k < T * C; k++)
        logits[k] = 3.0f * test_random_uniform(&seed);
    nn_log_softmax(lp, logits, T, C);
}

int test_next_labels(int *labels, int n, int C) {
    for (int i = n - 1; i >= 0; i--) {
        if (++labels[i] < C)
            return 1;
        labels[i] = 1;
    }
    return 0;
}

void test_write_small_model(const char *path, uint64_t seed) {
    char err[256];
    autoencoder_config config = autoencoder_config_default();
    config.hidden_size = 16, config.vector_dim = 8;
    autoencoder *m = autoencoder_new(&config, seed, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    model_file *f = autoencoder_to_file(m);
    ck_assert_msg(f && model_file_write(f, path, err, sizeof err) == 0, "%s: %s", path, err);
    model_file_free(f);
    autoencoder_free(m);
}
