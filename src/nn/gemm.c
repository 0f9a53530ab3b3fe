/* Choosing the precision of the network's matrix products, and the one-call
 * product nn_gemm.  The bf16 kernel itself is in gemm_bf16.c.  See gemm.h. */
#include "gemm.h"
#include <cblas.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* OpenBLAS's own; declared here in case cblas.h is another vendor's. */
void openblas_set_num_threads(int num_threads);

void nn_blas_set_threads(int num_threads) { openblas_set_num_threads(num_threads); }

static pthread_once_t precision_once = PTHREAD_ONCE_INIT;
static nn_precision precision = NN_PRECISION_FP32;
static int bf16_supported;

static void check_cpu(void) {
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    bf16_supported = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                     __builtin_cpu_supports("avx512vl") &&
                     __builtin_cpu_supports("avx512bf16");
#endif
}

int nn_gemm_bf16_supported(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, check_cpu);
    return bf16_supported;
}

/* "auto" and "bf16" give bf16 where supported; NULL name counts as "auto". */
static int parse_precision(const char *name, nn_precision *out) {
    if (!name || !*name || !strcmp(name, "auto") || !strcmp(name, "bf16"))
        *out = nn_gemm_bf16_supported() ? NN_PRECISION_BF16 : NN_PRECISION_FP32;
    else if (!strcmp(name, "fp32"))
        *out = NN_PRECISION_FP32;
    else
        return -1;
    return 0;
}

static void precision_from_env(void) {
    nn_precision p;
    if (parse_precision(getenv("S2S_PRECISION"), &p) != 0)
        p = NN_PRECISION_FP32; /* an unknown value: the safe choice */
    precision = p;
}

nn_precision nn_gemm_precision(void) {
    pthread_once(&precision_once, precision_from_env);
    return precision;
}

const char *nn_precision_name(nn_precision p) { return p == NN_PRECISION_BF16 ? "bf16" : "fp32"; }

int nn_gemm_set_precision(const char *name) {
    nn_precision p;
    pthread_once(&precision_once, precision_from_env);
    if (parse_precision(name, &p) != 0)
        return -1;
    precision = p;
    return 0;
}

size_t nn_gemm_scratch_size(int M, int N, int K) {
    return nn_gemm_bf16_a_size(M, K) + nn_gemm_bf16_b_size(K, N);
}

void nn_gemm(int trans_a, int trans_b, int M, int N, int K, const float *A, int lda,
             const float *B, int ldb, float beta, float *C, int ldc, uint16_t *scratch) {
    if (M <= 0 || N <= 0)
        return;
    if (!scratch || !nn_gemm_bf16_supported()) {
        cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                    trans_b ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, A, lda, B, ldb, beta, C,
                    ldc);
        return;
    }
    if (beta == 0.0f)
        for (int m = 0; m < M; m++)
            memset(C + (size_t)m * ldc, 0, sizeof(float) * N);
    else if (beta != 1.0f)
        for (int m = 0; m < M; m++)
            for (int n = 0; n < N; n++)
                C[(size_t)m * ldc + n] *= beta;
    if (K <= 0)
        return;
    uint16_t *a = scratch, *b = scratch + nn_gemm_bf16_a_size(M, K);
    nn_gemm_bf16_pack_a(a, A, lda, trans_a, M, K);
    nn_gemm_bf16_pack_b(b, B, ldb, trans_b, K, N);
    nn_gemm_bf16(C, ldc, a, trans_a, b, M, N, K);
}

/* ------------------------------------------------------------ benchmark */

typedef struct {
    int n;
    double gflops; /* out */
} peak_job;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void *peak_run(void *arg) {
    peak_job *job = arg;
    const int n = job->n;
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n),
          *c = calloc((size_t)n * n, sizeof(float));
    uint16_t *pa = malloc(sizeof(uint16_t) * nn_gemm_bf16_a_size(n, n)),
             *pb = malloc(sizeof(uint16_t) * nn_gemm_bf16_b_size(n, n));
    job->gflops = 0;
    if (a && b && c && pa && pb) {
        for (long k = 0; k < (long)n * n; k++)
            a[k] = (float)(k % 7) * 0.1f, b[k] = (float)(k % 5) * 0.1f;
        nn_gemm_bf16_pack_b(pb, b, n, 1, n, n);
        int reps = 0;
        double t0 = now_s(), dt;
        do { /* as a layer does: pack the activations, multiply */
            nn_gemm_bf16_pack_a(pa, a, n, 0, n, n);
            nn_gemm_bf16(c, n, pa, 0, pb, n, n, n);
            reps++;
            dt = now_s() - t0;
        } while (dt < 1.0);
        job->gflops = 2.0 * n * n * (double)n * reps / dt * 1e-9;
    }
    free(a), free(b), free(c), free(pa), free(pb);
    return NULL;
}

double nn_gemm_bf16_gflops(int n, int num_threads) {
    if (!nn_gemm_bf16_supported() || n < 1 || num_threads < 1 || num_threads > 64)
        return -1;
    peak_job jobs[64];
    pthread_t tids[64];
    int started[64] = {0};
    for (int t = 0; t < num_threads; t++) {
        jobs[t].n = n;
        started[t] = t > 0 && pthread_create(&tids[t], NULL, peak_run, &jobs[t]) == 0;
        if (t > 0 && !started[t])
            peak_run(&jobs[t]);
    }
    peak_run(&jobs[0]);
    double sum = jobs[0].gflops;
    for (int t = 1; t < num_threads; t++) {
        if (started[t])
            pthread_join(tids[t], NULL);
        sum += jobs[t].gflops;
    }
    return sum;
}
