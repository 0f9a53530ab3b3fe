/* Evening out the vector space (vector_whitening.h, trainer_whiten.h) and
 * the symmetric eigendecomposition under it (symmetric_eigen.h):
 * decompositions checked by reconstruction and orthonormality; the capped
 * fit checked against the covariance of the transformed vectors computed
 * by brute force; the fold into a model's projection checked against the
 * map applied by hand; and the whole step on two committed recordings. */
#include "autoencoder.h"
#include "model_file.h"
#include "symmetric_eigen.h"
#include "test_util.h"
#include "trainer_whiten.h"
#include "vector_whitening.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void random_symmetric(double *a, int n, uint64_t *state) {
    for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++)
            a[i * n + j] = a[j * n + i] = test_random_uniform(state);
}

/* a = V diag(values) V^T, V^T V = I, values descending. */
static void check_decomposition(const double *a, int n, const double *values, const double *v) {
    double scale = 0;
    for (int i = 0; i < n * n; i++) scale = fmax(scale, fabs(a[i]));
    scale = fmax(scale, 1e-300);
    for (int k = 1; k < n; k++) ck_assert(values[k] <= values[k - 1]);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double rebuilt = 0, dot = 0;
            for (int k = 0; k < n; k++) {
                rebuilt += v[i * n + k] * values[k] * v[j * n + k];
                dot += v[k * n + i] * v[k * n + j];
            }
            ck_assert_msg(fabs(rebuilt - a[i * n + j]) <= 1e-10 * scale, "A[%d][%d]: %g vs %g", i,
                          j, rebuilt, a[i * n + j]);
            ck_assert_msg(fabs(dot - (i == j)) <= 1e-10, "V^T V [%d][%d] = %g", i, j, dot);
        }
}

START_TEST(test_eigen_random_matrices) {
    static const int sizes[] = {1, 2, 3, 7, 40};
    uint64_t state = 11;
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        int n = sizes[s];
        double *a = malloc(sizeof(double) * n * n), *v = malloc(sizeof(double) * n * n);
        double *values = malloc(sizeof(double) * n);
        random_symmetric(a, n, &state);
        ck_assert_int_eq(symmetric_eigen(a, n, values, v), 0);
        check_decomposition(a, n, values, v);
        free(a), free(v), free(values);
    }
}
END_TEST

START_TEST(test_eigen_known_and_degenerate) {
    double a[4] = {2, 1, 1, 2}, values[4], v[16];
    ck_assert_int_eq(symmetric_eigen(a, 2, values, v), 0);
    ck_assert(fabs(values[0] - 3) < 1e-12 && fabs(values[1] - 1) < 1e-12);
    check_decomposition(a, 2, values, v);
    double diag[16] = {0}; /* repeated eigenvalues, already diagonal */
    diag[0] = 1, diag[5] = 5, diag[10] = 1, diag[15] = 5;
    ck_assert_int_eq(symmetric_eigen(diag, 4, values, v), 0);
    ck_assert(values[0] == 5 && values[1] == 5 && values[2] == 1 && values[3] == 1);
    check_decomposition(diag, 4, values, v);
    double zero[4] = {0};
    ck_assert_int_eq(symmetric_eigen(zero, 2, values, v), 0);
    ck_assert(values[0] == 0 && values[1] == 0);
    double bad[4] = {1, NAN, NAN, 1};
    ck_assert_int_eq(symmetric_eigen(bad, 2, values, v), -1);
    ck_assert_int_eq(symmetric_eigen(a, 0, values, v), -1);
}
END_TEST

enum { DIM = 12, NUM = 3000 };

/* NUM vectors with a few dominant directions: a random orthonormal basis
 * (eigenvectors of a random symmetric matrix), spreads 30, 12, 5 on its
 * first three directions and 1 on the rest, and an offset. */
static void anisotropic_vectors(float *x, uint64_t seed) {
    uint64_t state = seed;
    double a[DIM * DIM], basis[DIM * DIM], values[DIM];
    random_symmetric(a, DIM, &state);
    ck_assert_int_eq(symmetric_eigen(a, DIM, values, basis), 0);
    for (long r = 0; r < NUM; r++) {
        double along[DIM]; /* the vector's coordinates in the basis */
        for (int k = 0; k < DIM; k++)
            along[k] = (k == 0 ? 30 : k == 1 ? 12 : k == 2 ? 5 : 1) * test_random_uniform(&state);
        for (int i = 0; i < DIM; i++) {
            double sum = 3.0 + i; /* the offset */
            for (int k = 0; k < DIM; k++) sum += basis[i * DIM + k] * along[k];
            x[r * DIM + i] = (float)sum;
        }
    }
}

/* The sample covariance (DIM, DIM) and mean of NUM vectors, in double. */
static void brute_covariance(const float *x, double *cov, double *mean) {
    for (int i = 0; i < DIM; i++) {
        mean[i] = 0;
        for (long r = 0; r < NUM; r++) mean[i] += x[r * DIM + i];
        mean[i] /= NUM;
    }
    for (int i = 0; i < DIM; i++)
        for (int j = 0; j < DIM; j++) {
            double sum = 0;
            for (long r = 0; r < NUM; r++)
                sum += (x[r * DIM + i] - mean[i]) * (x[r * DIM + j] - mean[j]);
            cov[i * DIM + j] = sum / (NUM - 1);
        }
}

/* After the fit's map, the variances along the covariance's eigenvectors
 * are min(variance, cap x mean variance): the large ones come down to the
 * cap, the rest stay, and the mean is removed. */
START_TEST(test_fit_caps_the_largest_variances) {
    float *x = malloc(sizeof(float) * NUM * DIM), *y = malloc(sizeof(float) * NUM * DIM);
    anisotropic_vectors(x, 5);
    double cov[DIM * DIM], mean[DIM], values[DIM], basis[DIM * DIM];
    brute_covariance(x, cov, mean);
    ck_assert_int_eq(symmetric_eigen(cov, DIM, values, basis), 0);
    double total = 0;
    for (int k = 0; k < DIM; k++) total += values[k];
    static const double caps[] = {1, 2, 4, 1000};
    for (size_t c = 0; c < sizeof caps / sizeof *caps; c++) {
        whitening_stats stats;
        ck_assert_int_eq(whitening_stats_init(&stats, DIM), 0);
        ck_assert_int_eq(whitening_stats_add(&stats, x, 1000), 0); /* in two parts */
        ck_assert_int_eq(whitening_stats_add(&stats, x + 1000 * DIM, NUM - 1000), 0);
        float transform[DIM * DIM], fit_mean[DIM];
        whitening_report report;
        char err[128];
        ck_assert_int_eq(whitening_fit(&stats, caps[c], transform, fit_mean, &report, err, sizeof err), 0);
        whitening_stats_free(&stats);
        for (int i = 0; i < DIM; i++) ck_assert(fabs(fit_mean[i] - mean[i]) < 1e-3);
        for (long r = 0; r < NUM; r++)
            for (int i = 0; i < DIM; i++) {
                double sum = 0;
                for (int j = 0; j < DIM; j++)
                    sum += transform[i * DIM + j] * (x[r * DIM + j] - fit_mean[j]);
                y[r * DIM + i] = (float)sum;
            }
        double cov_y[DIM * DIM], mean_y[DIM], values_y[DIM], basis_y[DIM * DIM];
        brute_covariance(y, cov_y, mean_y);
        ck_assert_int_eq(symmetric_eigen(cov_y, DIM, values_y, basis_y), 0);
        double limit = caps[c] * total / DIM;
        int expect_scaled = 0;
        for (int k = 0; k < DIM; k++) {
            double expect = values[k] < limit ? values[k] : limit;
            expect_scaled += values[k] > limit;
            ck_assert_msg(fabs(values_y[k] - expect) < 1e-3 * limit, "cap %g, direction %d: %g, not %g",
                          caps[c], k, values_y[k], expect);
            ck_assert(fabs(mean_y[k]) < 1e-3);
        }
        ck_assert_int_eq(report.directions_scaled, expect_scaled);
        ck_assert(fabs(report.top_share_before - values[0] / total) < 1e-6);
        if (caps[c] == 1000) { /* nothing above the cap: the identity */
            ck_assert_int_eq(expect_scaled, 0);
            for (int i = 0; i < DIM; i++)
                for (int j = 0; j < DIM; j++)
                    ck_assert(fabs(transform[i * DIM + j] - (i == j)) < 1e-5);
        } else {
            ck_assert_msg(expect_scaled > 0, "cap %g: nothing above %g (largest %g)", caps[c], limit, values[0]);
        }
    }
    free(x), free(y);
}
END_TEST

START_TEST(test_fit_refuses_too_little) {
    float x[DIM * (DIM + 1)];
    whitening_stats stats;
    ck_assert_int_eq(whitening_stats_init(&stats, DIM), 0);
    for (int i = 0; i < DIM * (DIM + 1); i++) x[i] = 1.5f; /* every vector the same */
    ck_assert_int_eq(whitening_stats_add(&stats, x, DIM), 0);
    float transform[DIM * DIM], mean[DIM];
    char err[128] = "";
    ck_assert_int_eq(whitening_fit(&stats, 4, transform, mean, NULL, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "too few") != NULL, "%s", err);
    ck_assert_int_eq(whitening_stats_add(&stats, x + DIM * DIM, 1), 0);
    ck_assert_int_eq(whitening_fit(&stats, 4, transform, mean, NULL, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "do not vary") != NULL, "%s", err);
    whitening_stats_free(&stats);
    ck_assert_int_eq(whitening_stats_init(&stats, 0), -1);
}
END_TEST

/* Folding an affine map into the projection: the model's raw vector becomes
 * transform (z - mean), its unit vector that normalised. */
START_TEST(test_fold_affine_matches_the_map) {
    char err[256];
    autoencoder_config config = autoencoder_config_default();
    config.hidden_size = 16, config.vector_dim = 8;
    const int V = 8, D = config.input_dim, T = 25;
    autoencoder *m = autoencoder_new(&config, 7, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    uint64_t state = 3;
    float frames[25 * 39], z[8], z_new[8], u_new[8], transform[64], mean[8];
    for (int i = 0; i < T * D; i++) frames[i] = test_random_uniform(&state);
    for (int i = 0; i < V * V; i++) transform[i] = test_random_uniform(&state);
    for (int i = 0; i < V; i++) mean[i] = test_random_uniform(&state);
    encoder_state *s = encoder_state_new(m, 1, T);
    encoder_state_set_unnormalised(s, 1);
    ck_assert_int_eq(autoencoder_encode(m, s, frames, T, z), 0);
    ck_assert_int_eq(autoencoder_fold_affine(m, transform, mean), 0);
    ck_assert_str_eq(autoencoder_hash(m), "");
    ck_assert_int_eq(autoencoder_encode(m, s, frames, T, z_new), 0);
    encoder_state_set_unnormalised(s, 0);
    ck_assert_int_eq(autoencoder_encode(m, s, frames, T, u_new), 0);
    double norm = 0;
    for (int i = 0; i < V; i++) {
        double expect = 0;
        for (int j = 0; j < V; j++) expect += transform[i * V + j] * (z[j] - mean[j]);
        ck_assert_msg(fabs(z_new[i] - expect) < 1e-4 * (1 + fabs(expect)), "z'[%d] %g vs %g", i,
                      z_new[i], expect);
        norm += (double)z_new[i] * z_new[i];
    }
    for (int i = 0; i < V; i++) ck_assert(fabs(u_new[i] - z_new[i] / sqrt(norm)) < 1e-5);
    encoder_state_free(s);
    autoencoder_free(m);
}
END_TEST

/* The whole step on two committed recordings: a model is written whose
 * encoder is the old one's, whose vector space is evened out on those
 * recordings' windows, and whose features are the same. */
START_TEST(test_whiten_model_on_speech) {
    const char *dir = test_make_temp_dir();
    char model_path[512], out_path[512], err[256];
    snprintf(model_path, sizeof model_path, "%s/m.model", dir);
    snprintf(out_path, sizeof out_path, "%s/w.model", dir);
    test_write_small_model(model_path, 3);
    char a[512], b[512];
    snprintf(a, sizeof a, "%s", test_fixture_path("audio/speech_a.wav"));
    snprintf(b, sizeof b, "%s", test_fixture_path("audio/speech_b.wav"));
    const char *files[] = {a, "/nonexistent/file.wav", b};
    segmenter_options windows = segmenter_defaults();
    whitening_report report;
    long num_windows;
    ck_assert_msg(trainer_whiten(model_path, files, 3, &windows, 1.0, 2, out_path, NULL, &report,
                                 &num_windows, err, sizeof err) == 0, "%s", err);
    ck_assert_int_gt(num_windows, 8);
    ck_assert_int_gt(report.directions_scaled, 0);
    ck_assert(report.top_share_after < report.top_share_before);
    autoencoder *before = autoencoder_load(model_path, err, sizeof err);
    autoencoder *after = autoencoder_load(out_path, err, sizeof err);
    ck_assert_msg(after != NULL, "%s", err);
    ck_assert_str_ne(autoencoder_hash(before), autoencoder_hash(after));
    const NnParams *p0 = autoencoder_params_const(before), *p1 = autoencoder_params_const(after);
    ck_assert_int_eq(p0->num_tensors, p1->num_tensors);
    for (int t = 0; t < p0->num_tensors; t++) {
        const NnTensor *t0 = &p0->tensors[t], *t1 = &p1->tensors[t];
        int same = !memcmp(t0->value, t1->value, sizeof(float) * t0->num_elems);
        if (!strncmp(t0->name, "proj.", 5))
            ck_assert_msg(!same, "%s unchanged", t0->name);
        else
            ck_assert_msg(same, "%s changed", t0->name);
    }
    ck_assert_int_eq(memcmp(autoencoder_feature_options(before), autoencoder_feature_options(after),
                            sizeof(feature_options)), 0);
    float cap;
    long windows_fitted;
    ck_assert_ptr_null(autoencoder_whitening(before, NULL, NULL, NULL));
    ck_assert_ptr_nonnull(autoencoder_whitening(after, NULL, &cap, &windows_fitted));
    ck_assert(cap == 1.0f);
    ck_assert_int_eq(windows_fitted, num_windows);
    /* Whitened again on the same audio: the first whitening is undone and
     * the same one fitted, so the projection comes back (to rounding). */
    char again_path[512];
    snprintf(again_path, sizeof again_path, "%s/ww.model", dir);
    ck_assert_msg(trainer_whiten(out_path, files, 3, &windows, 1.0, 1, again_path, NULL, &report,
                                 &num_windows, err, sizeof err) == 0, "%s", err);
    autoencoder *again = autoencoder_load(again_path, err, sizeof err);
    ck_assert_msg(again != NULL, "%s", err);
    const NnParams *p2 = autoencoder_params_const(again);
    for (int t = 0; t < p1->num_tensors; t++) {
        const NnTensor *t1 = &p1->tensors[t], *t2 = &p2->tensors[t];
        double scale = 1e-6;
        for (size_t k = 0; k < t1->num_elems; k++) scale = fmax(scale, fabs(t1->value[k]));
        for (size_t k = 0; k < t1->num_elems; k++)
            ck_assert_msg(fabs(t1->value[k] - t2->value[k]) <= 1e-3 * scale, "%s[%zu]: %g vs %g",
                          t1->name, k, t1->value[k], t2->value[k]);
    }
    autoencoder_free(again);
    autoencoder_free(before);
    autoencoder_free(after);
    /* no speech at all: a clear error, no model written */
    snprintf(out_path, sizeof out_path, "%s/none.model", dir);
    const char *missing[] = {"/nonexistent/file.wav"};
    ck_assert_int_eq(trainer_whiten(model_path, missing, 1, &windows, 4, 1, out_path, NULL, &report,
                                    &num_windows, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "too few") != NULL, "%s", err);
    FILE *none = fopen(out_path, "rb");
    ck_assert_ptr_null(none);
}
END_TEST

int main(void) {
    Suite *s = suite_create("whitening");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_eigen_random_matrices);
    tcase_add_test(tc, test_eigen_known_and_degenerate);
    tcase_add_test(tc, test_fit_caps_the_largest_variances);
    tcase_add_test(tc, test_fit_refuses_too_little);
    tcase_add_test(tc, test_fold_affine_matches_the_map);
    tcase_add_test(tc, test_whiten_model_on_speech);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
