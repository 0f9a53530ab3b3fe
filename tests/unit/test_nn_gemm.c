/* The bf16 matrix product (gemm_bf16.c) against references, on odd sizes and
 * every transpose combination.
 *
 * Two checks per product:
 *  - against the exact product of the bf16-ROUNDED operands (double): only
 *    the fp32 accumulation may differ, so the tolerance is 1e-5 * sum|a b|
 *    (rounding errors of random sign: about sqrt(K) * 2^-24 = 2e-6 of it
 *    for K = 1024).  A dropped, doubled or misplaced term changes C by about
 *    sum|a b| / K >= 3e-3 of it and fails; a wrong rounding mode fails too.
 *  - against fp32 cblas_sgemm within the bf16 bound 1.01 * 2^-7 * sum|a b|
 *    (both operands rounded to 8 significant bits, each off by at most
 *    2^-8 relative), the promise gemm.h makes.
 * On a CPU without AVX512-BF16 the bf16 tests say they are skipped and pass;
 * the fp32 path (nn_gemm in fp32 = cblas_sgemm) is tested everywhere. */
#include "gemm.h"
#include "test_util.h"
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float round_bf16(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    u = (u + 0x7fffu + ((u >> 16) & 1)) & 0xffff0000u;
    memcpy(&x, &u, 4);
    return x;
}

static float *random_matrix(size_t n, uint64_t *state) {
    float *a = malloc((n ? n : 1) * sizeof(float));
    ck_assert_ptr_nonnull(a);
    for (size_t k = 0; k < n; k++)
        a[k] = 2.0f * test_random_uniform(state);
    return a;
}

static int skip_without_bf16(const char *what) {
    if (nn_gemm_bf16_supported())
        return 0;
    fprintf(stderr, "%s: SKIPPED, this CPU has no AVX512-BF16 (fp32 path only)\n", what);
    return 1;
}

/* One product C = op(A) op(B) + beta C0 through nn_gemm in bf16, checked
 * element by element.  C has ldc = N + 3; the 3 spare columns must stay as
 * they were. */
static void check_product(int ta, int tb, int M, int N, int K, float beta, uint64_t *rng) {
    int lda = (ta ? M : K) + 1, ldb = (tb ? K : N) + 2, ldc = N + 3;
    float *A = random_matrix((size_t)(ta ? K : M) * lda, rng);
    float *B = random_matrix((size_t)(tb ? N : K) * ldb, rng);
    float *C0 = random_matrix((size_t)M * ldc, rng);
    float *C = malloc(sizeof(float) * M * ldc), *R = malloc(sizeof(float) * M * ldc);
    memcpy(C, C0, sizeof(float) * M * ldc);
    memcpy(R, C0, sizeof(float) * M * ldc);
    uint16_t *scratch = malloc(sizeof(uint16_t) * nn_gemm_scratch_size(M, N, K));
    nn_gemm(ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc, scratch);
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M,
                N, K, 1.0f, A, lda, B, ldb, beta, R, ldc);
    double worst_exact = 0, worst_fp32 = 0;
    for (int m = 0; m < M; m++) {
        for (int n = 0; n < N; n++) {
            double exact = beta * (double)C0[(size_t)m * ldc + n], mag = fabs(exact);
            for (int k = 0; k < K; k++) {
                float a = ta ? A[(size_t)k * lda + m] : A[(size_t)m * lda + k];
                float b = tb ? B[(size_t)n * ldb + k] : B[(size_t)k * ldb + n];
                exact += (double)round_bf16(a) * round_bf16(b);
                mag += fabs((double)a * b);
            }
            double c = C[(size_t)m * ldc + n], r = R[(size_t)m * ldc + n];
            double e1 = fabs(c - exact), e2 = fabs(c - r);
            if (e1 > 1e-5 * mag + 1e-30 || e2 > 0x1.03p-7 * mag + 1e-30)
                ck_abort_msg("ta=%d tb=%d M=%d N=%d K=%d beta=%g: C[%d][%d] = %.9g, bf16-exact %.9g,"
                             " sgemm %.9g, sum|ab| %.6g",
                             ta, tb, M, N, K, beta, m, n, c, exact, r, mag);
            if (mag > 0) {
                worst_exact = fmax(worst_exact, e1 / mag);
                worst_fp32 = fmax(worst_fp32, e2 / mag);
            }
        }
        for (int n = N; n < ldc; n++)
            ck_assert_msg(C[(size_t)m * ldc + n] == C0[(size_t)m * ldc + n],
                          "column %d past N=%d was written", n, N);
    }
    if (getenv("S2S_TEST_VERBOSE"))
        fprintf(stderr, "ta=%d tb=%d M=%d N=%d K=%d: worst |err|/sum|ab| vs bf16-exact %.2e, vs sgemm %.2e\n",
                ta, tb, M, N, K, worst_exact, worst_fp32);
    free(A), free(B), free(C0), free(C), free(R), free(scratch);
}

START_TEST(test_bf16_gemm_odd_sizes) {
    if (skip_without_bf16("test_bf16_gemm_odd_sizes"))
        return;
    ck_assert_int_eq(nn_gemm_set_precision("bf16"), 0);
    ck_assert_int_eq(nn_gemm_precision(), NN_PRECISION_BF16);
    static const int Ms[] = {1, 5, 7, 13, 64}, Ns[] = {1, 15, 17, 39, 65, 130},
                     Ks[] = {1, 2, 3, 39, 40, 257};
    uint64_t rng = 11;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (size_t i = 0; i < sizeof Ms / sizeof *Ms; i++)
                for (size_t j = 0; j < sizeof Ns / sizeof *Ns; j++)
                    for (size_t k = 0; k < sizeof Ks / sizeof *Ks; k++)
                        check_product(ta, tb, Ms[i], Ns[j], Ks[k], (i + j + k) % 2 ? 1.0f : 0.0f,
                                      &rng);
}
END_TEST

/* The LSTM's own shapes: recurrent step and weight gradient. */
START_TEST(test_bf16_gemm_lstm_shapes) {
    if (skip_without_bf16("test_bf16_gemm_lstm_shapes"))
        return;
    ck_assert_int_eq(nn_gemm_set_precision("bf16"), 0);
    uint64_t rng = 12;
    check_product(0, 1, 64, 1024, 256, 1.0f, &rng); /* gates += h W_hh^T */
    check_product(0, 0, 64, 256, 1024, 1.0f, &rng); /* dh += d_gates W_hh */
    check_product(1, 0, 1024, 256, 300, 1.0f, &rng); /* dW_hh += d_gates^T h */
}
END_TEST

/* A row of C depends only on its row of A: the same rows give the same bits
 * in a product of 1 row and of 13 rows. */
START_TEST(test_bf16_gemm_rows_independent) {
    if (skip_without_bf16("test_bf16_gemm_rows_independent"))
        return;
    ck_assert_int_eq(nn_gemm_set_precision("bf16"), 0);
    uint64_t rng = 13;
    int M = 13, N = 70, K = 45;
    float *A = random_matrix((size_t)M * K, &rng), *B = random_matrix((size_t)N * K, &rng);
    float *C = calloc((size_t)M * N, sizeof(float)), *row = calloc(N, sizeof(float));
    uint16_t *scratch = malloc(sizeof(uint16_t) * nn_gemm_scratch_size(M, N, K));
    nn_gemm(0, 1, M, N, K, A, K, B, K, 0.0f, C, N, scratch);
    for (int m = 0; m < M; m++) {
        nn_gemm(0, 1, 1, N, K, A + (size_t)m * K, K, B, K, 0.0f, row, N, scratch);
        ck_assert_int_eq(memcmp(row, C + (size_t)m * N, sizeof(float) * N), 0);
    }
    free(A), free(B), free(C), free(row), free(scratch);
}
END_TEST

/* Without scratch nn_gemm is exactly cblas_sgemm, on every CPU; the
 * precision setting parses its names. */
START_TEST(test_fp32_is_sgemm) {
    ck_assert_int_eq(nn_gemm_set_precision("fp32"), 0);
    ck_assert_int_eq(nn_gemm_precision(), NN_PRECISION_FP32);
    ck_assert_int_eq(nn_gemm_set_precision("fp16"), -1);
    ck_assert_int_eq(nn_gemm_precision(), NN_PRECISION_FP32);
    uint64_t rng = 14;
    int M = 9, N = 33, K = 21;
    float *A = random_matrix((size_t)K * M, &rng), *B = random_matrix((size_t)K * N, &rng);
    float *C = calloc((size_t)M * N, sizeof(float)), *R = calloc((size_t)M * N, sizeof(float));
    nn_gemm(1, 0, M, N, K, A, M, B, N, 0.0f, C, N, NULL);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, N, K, 1.0f, A, M, B, N, 0.0f, R, N);
    ck_assert_int_eq(memcmp(C, R, sizeof(float) * M * N), 0);
    free(A), free(B), free(C), free(R);
}
END_TEST

static Suite *nn_gemm_suite(void) {
    Suite *suite = suite_create("nn_gemm");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_bf16_gemm_odd_sizes);
    tcase_add_test(tc, test_bf16_gemm_lstm_shapes);
    tcase_add_test(tc, test_bf16_gemm_rows_independent);
    tcase_add_test(tc, test_fp32_is_sgemm);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void) { return test_run_suite(nn_gemm_suite()); }
