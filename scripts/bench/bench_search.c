/* Benchmark of the index's search at a given size, with synthetic vectors:
 * builds (or reuses) an index of NUM_SEGMENTS random unit vectors of DIM
 * values, in recordings of 1000 segments, loads it, and times QUERIES
 * searches. Prints one line: segments, dim, file MB, load s, median and p90
 * search ms, matrix MB, peak RSS MB. Used by scripts/bench-index.sh.
 *
 * usage: s2s-bench-search DB NUM_SEGMENTS DIM [QUERIES] */
#include "index_search.h"
#include "index_store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

enum { SEGMENTS_PER_RECORDING = 1000 };

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static uint64_t rng = 88172645463325252ull;
static float gaussian(void) {
    /* Sum of uniforms: close enough to Gaussian for random directions. */
    float s = 0;
    for (int i = 0; i < 4; i++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        s += (float)(rng >> 40) / (float)(1ull << 24) - 0.5f;
    }
    return s;
}

static void random_unit(float *v, int dim) {
    double norm = 0;
    for (int j = 0; j < dim; j++) {
        v[j] = gaussian();
        norm += v[j] * v[j];
    }
    for (int j = 0; j < dim; j++) v[j] /= (float)sqrt(norm);
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int build(const char *path, long num_segments, int dim) {
    index_db *db;
    char err[512];
    if (index_open(path, 0, &db, err, sizeof err) != 0) goto fail;
    int64_t model_id;
    if (index_register_model(db, "bench", "synthetic", dim, NULL, &model_id, err, sizeof err) != 0)
        goto fail;
    float *vectors = malloc(sizeof(float) * SEGMENTS_PER_RECORDING * dim);
    float *spans = malloc(sizeof(float) * SEGMENTS_PER_RECORDING * 2);
    for (long done = 0, r = 0; done < num_segments; done += SEGMENTS_PER_RECORDING, r++) {
        int n = (int)(num_segments - done < SEGMENTS_PER_RECORDING ? num_segments - done
                                                                    : SEGMENTS_PER_RECORDING);
        for (int i = 0; i < n; i++) {
            random_unit(vectors + (size_t)i * dim, dim);
            spans[2 * i] = 0.1f * i;
            spans[2 * i + 1] = 0.1f * i + 0.5f;
        }
        char name[64];
        snprintf(name, sizeof name, "/synthetic/rec%06ld.wav", r);
        index_recording rec = {.path = name, .size_bytes = r, .mtime_ns = r, .duration_s = 0.1 * n,
                               .sample_rate_hz = 16000};
        if (index_put_recording(db, &rec, model_id, spans, vectors, n, err, sizeof err) != 0) goto fail;
    }
    free(vectors);
    free(spans);
    index_close(db);
    return 0;
fail:
    fprintf(stderr, "bench_search: %s: %s\n", path, err);
    return -1;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s DB NUM_SEGMENTS DIM [QUERIES]\n", argv[0]);
        return 2;
    }
    const char *path = argv[1];
    long num_segments = atol(argv[2]);
    int dim = atoi(argv[3]);
    int num_queries = argc > 4 ? atoi(argv[4]) : 21;
    struct stat st;
    if (stat(path, &st) != 0 && build(path, num_segments, dim) != 0) return 1;
    stat(path, &st);

    index_db *db;
    char err[512];
    if (index_open(path, 1, &db, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    int64_t model_id;
    index_get_active_model(db, &model_id, err, sizeof err);
    index_matrix *matrix;
    double t0 = now_s();
    if (index_load_vectors(db, model_id, 0, &matrix, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    double load_s = now_s() - t0;
    index_search_options options = index_search_defaults();
    index_hit hits[10];
    float *query = malloc(sizeof(float) * dim);
    double *times = malloc(sizeof(double) * num_queries);
    for (int q = 0; q < num_queries; q++) {
        random_unit(query, dim);
        int num_hits;
        double t = now_s();
        index_search(matrix, query, 1, &options, hits, &num_hits, err, sizeof err);
        times[q] = 1000.0 * (now_s() - t);
    }
    qsort(times, num_queries, sizeof(double), compare_doubles);
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    printf("%10ld segments  dim %d  file %8.1f MB  load %6.2f s  search median %7.2f ms  p90 %7.2f ms"
           "  matrix %7.1f MB  peak RSS %7.1f MB\n",
           (long)matrix->num_rows, dim, st.st_size / 1e6, load_s, times[num_queries / 2],
           times[num_queries * 9 / 10], index_matrix_bytes(matrix) / 1e6, usage.ru_maxrss / 1024.0);
    free(query);
    free(times);
    index_matrix_free(matrix);
    index_close(db);
    return 0;
}
