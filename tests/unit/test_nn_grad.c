/* Gradient checks of the network layers against central finite differences.
 *
 * Each check builds a scalar loss L = sum(w * outputs) with fixed random
 * weights w (so the upstream gradients are exactly w), runs the layer's
 * backward once, and compares every gradient element with
 * (L(x + eps) - L(x - eps)) / (2 eps), the forward run in float and L summed
 * in double.  With eps = 1e-2 on sizes this small the finite-difference
 * error of a correct layer stays below 1e-4 (run with S2S_TEST_VERBOSE=1 to
 * see it), so the tolerance |analytic - numeric| <= 5e-4 + 5e-3 *
 * max(|analytic|, |numeric|) passes a correct layer, while a wrong term (a
 * dropped factor, a missed mask, a gradient not carried through a padded
 * step, a missing bias or input term) fails it: each was tried on a mutated
 * copy of the layer while writing these tests.
 *
 * These checks run the fp32 products (main sets the precision): finite
 * differences of a float forward cannot resolve bf16 rounding.  The bf16
 * path is checked against the fp32 one instead (test_lstm_bf16_matches_fp32),
 * when the CPU has AVX512-BF16. */
#include "gemm.h"
#include "linear.h"
#include "loss.h"
#include "lstm.h"
#include "test_util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FD_EPS 1e-2f
#define FD_ATOL 5e-4
#define FD_RTOL 5e-3

typedef double (*LossFn)(void *ctx);

static float *random_array(size_t n, float scale, uint64_t *state) {
    float *a = malloc((n ? n : 1) * sizeof(float));
    ck_assert_ptr_nonnull(a);
    for (size_t k = 0; k < n; k++)
        a[k] = scale * test_random_uniform(state);
    return a;
}

static float *zero_array(size_t n) {
    float *a = calloc(n ? n : 1, sizeof(float));
    ck_assert_ptr_nonnull(a);
    return a;
}

static double dot(const float *a, const float *w, size_t n) {
    double sum = 0.0;
    for (size_t k = 0; k < n; k++)
        sum += (double)a[k] * w[k];
    return sum;
}

/* Compares analytic (n) with the central difference of loss over x (n);
 * fails the test naming the first element out of tolerance. */
static void check_gradient(const char *what, LossFn loss, void *ctx, float *x,
                           const float *analytic, size_t n) {
    double worst_err = 0.0;
    for (size_t k = 0; k < n; k++) {
        float saved = x[k];
        float plus = saved + FD_EPS, minus = saved - FD_EPS;
        x[k] = plus;
        double loss_plus = loss(ctx);
        x[k] = minus;
        double loss_minus = loss(ctx);
        x[k] = saved;
        double numeric = (loss_plus - loss_minus) / ((double)plus - (double)minus);
        double err = fabs(analytic[k] - numeric);
        double tol = FD_ATOL + FD_RTOL * fmax(fabs(analytic[k]), fabs(numeric));
        if (err > worst_err)
            worst_err = err;
        ck_assert_msg(err <= tol, "%s[%zu]: analytic %.6g, numeric %.6g (error %.3g > %.3g)",
                      what, k, analytic[k], numeric, err, tol);
    }
    if (getenv("S2S_TEST_VERBOSE"))
        fprintf(stderr, "%-12s %4zu elements, max error %.3g\n", what, n, worst_err);
}

/* ---- linear ---------------------------------------------------------- */

typedef struct {
    int N, I, O;
    float *in, *W, *b, *out, *w_out;
} LinearCheck;

static double linear_loss(void *p) {
    LinearCheck *c = p;
    linear_forward(c->out, c->in, c->W, c->b, c->N, c->I, c->O);
    return dot(c->out, c->w_out, (size_t)c->N * c->O);
}

static void run_linear_check(int with_bias) {
    uint64_t rng = 11;
    LinearCheck c = {.N = 5, .I = 4, .O = 3};
    size_t n_in = (size_t)c.N * c.I, n_out = (size_t)c.N * c.O, n_w = (size_t)c.O * c.I;
    c.in = random_array(n_in, 1.0f, &rng);
    c.W = random_array(n_w, 0.5f, &rng);
    c.b = with_bias ? random_array((size_t)c.O, 0.5f, &rng) : NULL;
    c.out = zero_array(n_out);
    c.w_out = random_array(n_out, 1.0f, &rng);
    float *d_in = zero_array(n_in), *dW = zero_array(n_w), *db = zero_array((size_t)c.O);

    linear_loss(&c);
    linear_backward(d_in, dW, with_bias ? db : NULL, c.w_out, c.in, c.W, c.N, c.I, c.O);
    check_gradient("linear.d_in", linear_loss, &c, c.in, d_in, n_in);
    check_gradient("linear.dW", linear_loss, &c, c.W, dW, n_w);
    if (with_bias)
        check_gradient("linear.db", linear_loss, &c, c.b, db, (size_t)c.O);
    else
        for (int o = 0; o < c.O; o++)
            ck_assert_float_eq(db[o], 0.0f);

    free(c.in), free(c.W), free(c.b), free(c.out), free(c.w_out);
    free(d_in), free(dW), free(db);
}

START_TEST(test_linear_gradients) {
    run_linear_check(1);
    run_linear_check(0);
}
END_TEST

START_TEST(test_linear_forward_values) {
    // out = in · W^T + b, by hand: W is (O=2, I=3).
    const float in[2 * 3] = {1, 2, 3, -1, 0, 1};
    const float W[2 * 3] = {1, 0, -1, 0.5f, 0.5f, 0.5f};
    const float b[2] = {10, 20};
    float out[2 * 2];
    linear_forward(out, in, W, b, 2, 3, 2);
    ck_assert_float_eq_tol(out[0], 1 - 3 + 10, 1e-6f);
    ck_assert_float_eq_tol(out[1], 3 + 20, 1e-6f);
    ck_assert_float_eq_tol(out[2], -1 - 1 + 10, 1e-6f);
    ck_assert_float_eq_tol(out[3], 0 + 20, 1e-6f);
}
END_TEST

/* ---- LSTM ------------------------------------------------------------ */

typedef struct {
    int T, B, I, H;
    const int *lengths;
    float *in, *h0, *c0, *W_ih, *W_hh, *b;
    int use_h0, use_c0;
    /* Loss weights, i.e. the upstream gradients; NULL leaves a term out. */
    float *w_out, *w_h, *w_c;
    LstmCache cache;
    float *out, *h_final, *c_final;
} LstmCheck;

static double lstm_loss(void *p) {
    LstmCheck *c = p;
    lstm_forward(c->out, c->h_final, c->c_final, &c->cache, c->in, c->lengths,
                 c->use_h0 ? c->h0 : NULL, c->use_c0 ? c->c0 : NULL, c->W_ih, c->W_hh, c->b,
                 c->T, c->B);
    size_t BH = (size_t)c->B * c->H;
    double loss = 0.0;
    if (c->w_out)
        loss += dot(c->out, c->w_out, (size_t)c->T * BH);
    if (c->w_h)
        loss += dot(c->h_final, c->w_h, BH);
    if (c->w_c)
        loss += dot(c->c_final, c->w_c, BH);
    return loss;
}

/* Checks every gradient lstm_backward gives, for the given lengths, initial
 * state use and loss terms.  want_d_in / want_d_state: whether d_in and
 * d_h0/d_c0 are requested (NULL otherwise, which must not disturb the
 * others). */
static void run_lstm_check(const int *lengths, int T, int B, int use_h0, int use_c0,
                           int use_out, int use_h, int use_c, int want_d_in,
                           int want_d_state) {
    uint64_t rng = 1234 + (uint64_t)lengths[0] * 7 + (uint64_t)use_out;
    LstmCheck c = {.T = T, .B = B, .I = 3, .H = 4, .lengths = lengths,
                   .use_h0 = use_h0, .use_c0 = use_c0};
    const int I = c.I, H = c.H, G = 4 * H;
    size_t n_in = (size_t)T * B * I, BH = (size_t)B * H, n_out = (size_t)T * BH;
    c.in = random_array(n_in, 1.0f, &rng);
    c.h0 = random_array(BH, 0.8f, &rng);
    c.c0 = random_array(BH, 1.5f, &rng);
    c.W_ih = random_array((size_t)G * I, 0.6f, &rng);
    c.W_hh = random_array((size_t)G * H, 0.6f, &rng);
    c.b = random_array((size_t)G, 0.5f, &rng);
    c.w_out = use_out ? random_array(n_out, 1.0f, &rng) : NULL;
    c.w_h = use_h ? random_array(BH, 1.0f, &rng) : NULL;
    c.w_c = use_c ? random_array(BH, 1.0f, &rng) : NULL;
    c.out = zero_array(n_out);
    c.h_final = zero_array(BH);
    c.c_final = zero_array(BH);
    ck_assert_int_eq(lstm_cache_build(&c.cache, T, B, I, H), 0);

    float *d_in = zero_array(n_in), *d_h0 = zero_array(BH), *d_c0 = zero_array(BH);
    float *dW_ih = zero_array((size_t)G * I), *dW_hh = zero_array((size_t)G * H);
    float *db = zero_array((size_t)G);

    lstm_loss(&c);
    lstm_backward(want_d_in ? d_in : NULL, want_d_state ? d_h0 : NULL,
                  want_d_state ? d_c0 : NULL, dW_ih, dW_hh, db, c.w_out, c.w_h, c.w_c,
                  &c.cache, c.in, c.W_ih, c.W_hh);

    check_gradient("lstm.dW_ih", lstm_loss, &c, c.W_ih, dW_ih, (size_t)G * I);
    check_gradient("lstm.dW_hh", lstm_loss, &c, c.W_hh, dW_hh, (size_t)G * H);
    check_gradient("lstm.db", lstm_loss, &c, c.b, db, (size_t)G);
    if (want_d_in)
        check_gradient("lstm.d_in", lstm_loss, &c, c.in, d_in, n_in);
    if (want_d_state && use_h0)
        check_gradient("lstm.d_h0", lstm_loss, &c, c.h0, d_h0, BH);
    if (want_d_state && use_c0)
        check_gradient("lstm.d_c0", lstm_loss, &c, c.c0, d_c0, BH);

    // Inputs at padded steps do not matter: their gradient is exactly zero.
    if (want_d_in)
        for (int t = 0; t < T; t++)
            for (int s = 0; s < B; s++)
                if (t >= lengths[s])
                    for (int k = 0; k < I; k++)
                        ck_assert_float_eq(d_in[((size_t)t * B + s) * I + k], 0.0f);

    lstm_cache_free(&c.cache);
    free(c.in), free(c.h0), free(c.c0), free(c.W_ih), free(c.W_hh), free(c.b);
    free(c.w_out), free(c.w_h), free(c.w_c), free(c.out), free(c.h_final), free(c.c_final);
    free(d_in), free(d_h0), free(d_c0), free(dW_ih), free(dW_hh), free(db);
}

START_TEST(test_lstm_gradients_all_terms) {
    // Unsorted lengths, one empty sequence; initial states; gradient through
    // per-step outputs and both final states at once.
    const int lengths[4] = {2, 5, 0, 4};
    run_lstm_check(lengths, 5, 4, 1, 1, 1, 1, 1, 1, 1);
}
END_TEST

START_TEST(test_lstm_gradients_outputs_only) {
    // Longest-first lengths, zero initial state, loss on outputs only, no
    // d_in and no d_h0/d_c0 requested.
    const int lengths[4] = {5, 4, 2, 1};
    run_lstm_check(lengths, 5, 4, 0, 0, 1, 0, 0, 0, 0);
}
END_TEST

START_TEST(test_lstm_gradients_final_h_only) {
    // The encoder's case: only the final h carries a gradient, which must
    // travel back through the padded steps of the shorter sequences.
    const int lengths[3] = {3, 6, 1};
    run_lstm_check(lengths, 6, 3, 1, 1, 0, 1, 0, 1, 1);
}
END_TEST

START_TEST(test_lstm_gradients_final_c_only) {
    const int lengths[3] = {6, 2, 4};
    run_lstm_check(lengths, 6, 3, 1, 0, 0, 0, 1, 1, 1);
}
END_TEST

START_TEST(test_lstm_backward_adds) {
    // Calling backward twice doubles every gradient (it adds, never sets),
    // and leaves the cache usable.
    uint64_t rng = 99;
    const int T = 4, B = 2, I = 3, H = 2, G = 4 * H;
    const int lengths[2] = {4, 3};
    float *in = random_array((size_t)T * B * I, 1.0f, &rng);
    float *W_ih = random_array((size_t)G * I, 0.5f, &rng);
    float *W_hh = random_array((size_t)G * H, 0.5f, &rng);
    float *b = random_array((size_t)G, 0.5f, &rng);
    float *d_out = random_array((size_t)T * B * H, 1.0f, &rng);
    float *out = zero_array((size_t)T * B * H);
    float *once[4], *twice[4];
    size_t sizes[4] = {(size_t)T * B * I, (size_t)G * I, (size_t)G * H, (size_t)G};
    for (int k = 0; k < 4; k++)
        once[k] = zero_array(sizes[k]), twice[k] = zero_array(sizes[k]);
    LstmCache cache;
    ck_assert_int_eq(lstm_cache_build(&cache, T, B, I, H), 0);
    lstm_forward(out, NULL, NULL, &cache, in, lengths, NULL, NULL, W_ih, W_hh, b, T, B);
    lstm_backward(once[0], NULL, NULL, once[1], once[2], once[3], d_out, NULL, NULL, &cache,
                  in, W_ih, W_hh);
    for (int r = 0; r < 2; r++)
        lstm_backward(twice[0], NULL, NULL, twice[1], twice[2], twice[3], d_out, NULL, NULL,
                      &cache, in, W_ih, W_hh);
    for (int k = 0; k < 4; k++)
        for (size_t j = 0; j < sizes[k]; j++)
            ck_assert_float_eq_tol(twice[k][j], 2.0f * once[k][j], 1e-6f);
    lstm_cache_free(&cache);
    for (int k = 0; k < 4; k++)
        free(once[k]), free(twice[k]);
    free(in), free(W_ih), free(W_hh), free(b), free(d_out), free(out);
}
END_TEST

/* Relative distance |a - b| / |b| of two arrays (Euclidean norms). */
static double rel_dist(const float *a, const float *b, size_t n) {
    double d = 0, r = 0;
    for (size_t k = 0; k < n; k++) {
        d += ((double)a[k] - b[k]) * ((double)a[k] - b[k]);
        r += (double)b[k] * b[k];
    }
    return sqrt(d / (r > 0 ? r : 1e-300));
}

/* The LSTM's bf16 path (products on bf16-rounded operands, the weight
 * gradients packed as d_gates^T) gives the fp32 path's outputs and
 * gradients within 2% (Euclidean norm of each array; bf16 rounding gives
 * about 0.3%, a wrong or missing term tens of percent), on sizes that use
 * every edge of the kernel: odd I, H not a multiple of 16, B not a multiple
 * of 6, unsorted lengths with padding, initial states, every gradient. */
/* One forward + backward with every output and gradient into r[0..6]
 * (out, d_in, d_h0, d_c0, dW_ih, dW_hh, db) in the precision named. */
static void lstm_run_all(float *r[7], const char *precision, const float *in,
                         const int *lengths, const float *h0, const float *c0,
                         const float *W_ih, const float *W_hh, const float *b,
                         const float *d_out, const float *d_h, int T, int B, int I, int H) {
    ck_assert_int_eq(nn_gemm_set_precision(precision), 0);
    LstmCache cache;
    ck_assert_int_eq(lstm_cache_build(&cache, T, B, I, H), 0);
    ck_assert(strcmp(precision, "bf16") ? cache.scratch == NULL : cache.scratch != NULL);
    lstm_forward(r[0], NULL, NULL, &cache, in, lengths, h0, c0, W_ih, W_hh, b, T, B);
    lstm_backward(r[1], r[2], r[3], r[4], r[5], r[6], d_out, d_h, NULL, &cache, in, W_ih, W_hh);
    lstm_cache_free(&cache);
    nn_gemm_set_precision("fp32");
}

/* The LSTM's bf16 path (products on bf16-rounded operands; forward's step
 * product fused over [x_t | h]; the weight gradients packed as d_gates^T)
 * gives the fp32 path's outputs and gradients within 2% (Euclidean norm of
 * each array; bf16 rounding gives about 0.3%, a wrong or missing term tens
 * of percent), on sizes that use every edge of the kernel: odd I, H not a
 * multiple of 16, B not a multiple of 6, unsorted lengths with padding,
 * every gradient; with initial states, without (the first step then skips
 * the recurrent part) and with a NULL (all-zero) input. */
START_TEST(test_lstm_bf16_matches_fp32) {
    if (!nn_gemm_bf16_supported()) {
        fprintf(stderr, "test_lstm_bf16_matches_fp32: SKIPPED, this CPU has no AVX512-BF16\n");
        return;
    }
    enum { T = 9, B = 7, I = 39, H = 40, G = 4 * H };
    const int lengths[B] = {9, 3, 7, 9, 1, 5, 8};
    uint64_t rng = 77;
    float *in = random_array((size_t)T * B * I, 1.0f, &rng);
    float *h0 = random_array((size_t)B * H, 0.5f, &rng), *c0 = random_array((size_t)B * H, 1.0f, &rng);
    float *W_ih = random_array((size_t)G * I, 0.3f, &rng), *W_hh = random_array((size_t)G * H, 0.3f, &rng);
    float *b = random_array(G, 0.3f, &rng);
    float *d_out = random_array((size_t)T * B * H, 1.0f, &rng), *d_h = random_array((size_t)B * H, 1.0f, &rng);
    const size_t sizes[7] = {(size_t)T * B * H, (size_t)T * B * I, (size_t)B * H, (size_t)B * H,
                             (size_t)G * I, (size_t)G * H, G};
    static const char *const names[7] = {"out", "d_in", "d_h0", "d_c0", "dW_ih", "dW_hh", "db"};
    for (int variant = 0; variant < 3; variant++) {
        const float *x = variant == 2 ? NULL : in;
        const float *h_init = variant == 1 ? NULL : h0;
        float *r[2][7];
        for (int p = 0; p < 2; p++) {
            for (int k = 0; k < 7; k++)
                r[p][k] = zero_array(sizes[k]);
            lstm_run_all(r[p], p ? "bf16" : "fp32", x, lengths, h_init, c0, W_ih, W_hh, b, d_out,
                         d_h, T, B, I, H);
        }
        for (int k = 0; k < 7; k++) {
            if (x == NULL && k == 4) { /* zero input: dW_ih untouched in both */
                for (size_t j = 0; j < sizes[k]; j++)
                    ck_assert(r[0][k][j] == 0.0f && r[1][k][j] == 0.0f);
                continue;
            }
            double e = rel_dist(r[1][k], r[0][k], sizes[k]);
            if (getenv("S2S_TEST_VERBOSE"))
                fprintf(stderr, "variant %d: bf16 vs fp32 %-6s relative distance %.2e\n", variant,
                        names[k], e);
            ck_assert_msg(e < 0.02, "variant %d: bf16 %s is %.3g away from fp32 (relative)",
                          variant, names[k], e);
        }
        for (int p = 0; p < 2; p++)
            for (int k = 0; k < 7; k++)
                free(r[p][k]);
    }
    free(in), free(h0), free(c0), free(W_ih), free(W_hh), free(b), free(d_out), free(d_h);
}
END_TEST

/* A NULL input is an all-zero one: the same outputs and gradients as
 * zeros passed explicitly (in fp32, and in bf16 when the CPU has it). */
START_TEST(test_lstm_null_input_is_zero) {
    enum { T = 6, B = 5, I = 7, H = 9, G = 4 * H };
    const int lengths[B] = {6, 2, 5, 6, 1};
    uint64_t rng = 78;
    float *zeros = zero_array((size_t)T * B * I);
    float *h0 = random_array((size_t)B * H, 0.5f, &rng), *c0 = random_array((size_t)B * H, 1.0f, &rng);
    float *W_ih = random_array((size_t)G * I, 0.3f, &rng), *W_hh = random_array((size_t)G * H, 0.3f, &rng);
    float *b = random_array(G, 0.3f, &rng);
    float *d_out = random_array((size_t)T * B * H, 1.0f, &rng);
    const size_t sizes[7] = {(size_t)T * B * H, (size_t)T * B * I, (size_t)B * H, (size_t)B * H,
                             (size_t)G * I, (size_t)G * H, G};
    for (int p = 0; p < (nn_gemm_bf16_supported() ? 2 : 1); p++)
        for (int with_h0 = 0; with_h0 < 2; with_h0++) {
            float *r[2][7];
            for (int z = 0; z < 2; z++) {
                for (int k = 0; k < 7; k++)
                    r[z][k] = zero_array(sizes[k]);
                lstm_run_all(r[z], p ? "bf16" : "fp32", z ? NULL : zeros, lengths,
                             with_h0 ? h0 : NULL, c0, W_ih, W_hh, b, d_out, NULL, T, B, I, H);
            }
            for (int k = 0; k < 7; k++)
                for (size_t j = 0; j < sizes[k]; j++)
                    ck_assert_msg(fabsf(r[0][k][j] - r[1][k][j]) <= 1e-6f,
                                  "precision %d h0 %d array %d [%zu]: %g with zeros, %g with NULL",
                                  p, with_h0, k, j, r[0][k][j], r[1][k][j]);
            for (int z = 0; z < 2; z++)
                for (int k = 0; k < 7; k++)
                    free(r[z][k]);
        }
    free(zeros), free(h0), free(c0), free(W_ih), free(W_hh), free(b), free(d_out);
}
END_TEST

/* ---- masked MSE ------------------------------------------------------ */

typedef struct {
    int T, B, D;
    const int *lengths;
    float *pred, *target;
} MseCheck;

static double mse_loss(void *p) {
    MseCheck *c = p;
    return mse_forward(c->pred, c->target, c->lengths, c->T, c->B, c->D);
}

START_TEST(test_mse_gradients) {
    uint64_t rng = 5;
    const int lengths[3] = {4, 1, 0};
    MseCheck c = {.T = 4, .B = 3, .D = 2, .lengths = lengths};
    size_t n = (size_t)c.T * c.B * c.D;
    c.pred = random_array(n, 1.0f, &rng);
    c.target = random_array(n, 1.0f, &rng);
    float *d_pred = zero_array(n);
    const float d_loss = 0.7f;
    mse_backward(d_pred, c.pred, c.target, lengths, c.T, c.B, c.D, d_loss);
    for (size_t k = 0; k < n; k++)
        d_pred[k] /= d_loss; // compare with the gradient of the loss itself
    check_gradient("mse.d_pred", mse_loss, &c, c.pred, d_pred, n);
    free(c.pred), free(c.target), free(d_pred);
}
END_TEST

START_TEST(test_mse_ignores_padding) {
    // T = 2, B = 2, D = 1; sequence 1 has length 1, so (t=1, b=1) is padding
    // and holds garbage that must change neither the loss nor the gradient.
    const int lengths[2] = {2, 1};
    const float pred[4] = {1, 2, 3, 1e30f};
    const float target[4] = {0, 0, 0, 0};
    float loss = mse_forward(pred, target, lengths, 2, 2, 1);
    ck_assert_float_eq_tol(loss, (1 + 4 + 9) / 3.0f, 1e-6f);
    float d_pred[4] = {0, 0, 0, 5};
    mse_backward(d_pred, pred, target, lengths, 2, 2, 1, 1.0f);
    ck_assert_float_eq_tol(d_pred[0], 2.0f / 3, 1e-6f);
    ck_assert_float_eq_tol(d_pred[1], 4.0f / 3, 1e-6f);
    ck_assert_float_eq_tol(d_pred[2], 6.0f / 3, 1e-6f);
    ck_assert_float_eq(d_pred[3], 5.0f);
    const int empty[2] = {0, 0};
    ck_assert_float_eq(mse_forward(pred, target, empty, 2, 2, 1), 0.0f);
}
END_TEST

/* ---- contrastive loss on vectors ---------------------------------------- */

typedef struct {
    int n, m, dim;
    const int *anchor_class, *own, *candidate_class;
    float *anchors, *candidates;
    float temperature, scale;
} ContrastCheck;

static double contrast_loss(void *p) {
    ContrastCheck *c = p;
    return contrastive_loss(c->anchors, c->anchor_class, c->own, c->n, c->candidates,
                            c->candidate_class, c->m, c->dim, c->temperature, c->scale, NULL);
}

START_TEST(test_contrastive_gradients) {
    uint64_t rng = 11;
    // Anchor 1's class (7) is also candidate 3's, which is not its own:
    // that candidate must count for nothing, in the loss and the gradient.
    const int anchor_class[3] = {5, 7, 9}, own[3] = {0, 1, 2};
    const int candidate_class[5] = {5, 7, 9, 7, 4};
    ContrastCheck c = {.n = 3, .m = 5, .dim = 4, .anchor_class = anchor_class, .own = own,
                       .candidate_class = candidate_class, .temperature = 0.3f, .scale = 0.5f};
    c.anchors = random_array((size_t)c.n * c.dim, 1.0f, &rng);
    c.candidates = random_array((size_t)c.m * c.dim, 1.0f, &rng);
    float *d_anchors = zero_array((size_t)c.n * c.dim);
    contrastive_loss(c.anchors, anchor_class, own, c.n, c.candidates, candidate_class, c.m, c.dim,
                     c.temperature, c.scale, d_anchors);
    check_gradient("contrastive.d_anchors", contrast_loss, &c, c.anchors, d_anchors,
                   (size_t)c.n * c.dim);
    free(c.anchors), free(c.candidates), free(d_anchors);
}
END_TEST

START_TEST(test_contrastive_values) {
    // One anchor, candidates e1 (its own), e2 (another class) and e1 again
    // under its own class: the loss is -log(e^{1/t} / (e^{1/t} + e^0)).
    const float anchor[2] = {1, 0}, candidates[6] = {1, 0, 0, 1, 1, 0};
    const int anchor_class[1] = {3}, own[1] = {0}, candidate_class[3] = {3, 8, 3};
    const float t = 0.5f;
    float loss = contrastive_loss(anchor, anchor_class, own, 1, candidates, candidate_class, 3, 2,
                                  t, 1.0f, NULL);
    ck_assert_float_eq_tol(loss, (float)-log(exp(1 / t) / (exp(1 / t) + 1.0)), 1e-6f);
    // Anchors already far closer to their own candidate than to the rest
    // cost almost nothing; the gradient then vanishes.
    float d[2] = {0, 0};
    loss = contrastive_loss(anchor, anchor_class, own, 1, candidates, candidate_class, 3, 2, 0.01f,
                            1.0f, d);
    ck_assert_float_lt(loss, 1e-6f);
    ck_assert_float_lt(fabsf(d[0]) + fabsf(d[1]), 1e-4f);
}
END_TEST

static Suite *nn_grad_suite(void) {
    Suite *suite = suite_create("nn_grad");
    TCase *tc = tcase_create("grad");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_linear_forward_values);
    tcase_add_test(tc, test_linear_gradients);
    tcase_add_test(tc, test_lstm_gradients_all_terms);
    tcase_add_test(tc, test_lstm_gradients_outputs_only);
    tcase_add_test(tc, test_lstm_gradients_final_h_only);
    tcase_add_test(tc, test_lstm_gradients_final_c_only);
    tcase_add_test(tc, test_lstm_backward_adds);
    tcase_add_test(tc, test_lstm_bf16_matches_fp32);
    tcase_add_test(tc, test_lstm_null_input_is_zero);
    tcase_add_test(tc, test_mse_gradients);
    tcase_add_test(tc, test_mse_ignores_padding);
    tcase_add_test(tc, test_contrastive_gradients);
    tcase_add_test(tc, test_contrastive_values);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void) {
    nn_gemm_set_precision("fp32"); /* see the top of this file */
    return test_run_suite(nn_grad_suite());
}
