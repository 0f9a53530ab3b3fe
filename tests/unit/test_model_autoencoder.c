/* The whole autoencoder checked end to end: its gradient (encoder stack,
 * projection, normalisation, decoder initialisation, decoder stack, output
 * layer, masked MSE, with padding and a target of another length than the
 * input; a loss on the vectors beside it) against central finite differences on a tiny two-layer config;
 * save -> load gives bit-identical vectors and the same hash; the inference
 * encoder's prefix vectors equal the vectors of the truncated sequences and
 * do not depend on padding; damaged files give errors, not crashes. */
#include "autoencoder.h"
#include "gemm.h"
#include "test_util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FD_EPS 1e-2f

static autoencoder *tiny_model(int layers, int decoder_input) {
    autoencoder_config c = {.input_dim = 39, .hidden_size = 5, .num_layers = layers, .vector_dim = 4,
                            .decoder_input = decoder_input};
    char err[256];
    autoencoder *m = autoencoder_new(&c, 7, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    return m;
}

static void random_fill(float *a, size_t n, float scale, uint64_t *rng) {
    for (size_t k = 0; k < n; k++)
        a[k] = scale * test_random_uniform(rng);
}

/* Checks the gradient autoencoder_train_batch gives for bt against central
 * finite differences of every parameter of m; returns the gradient
 * (num_params, the caller frees it) and the loss. */
static float *check_batch_gradient(autoencoder *m, autoencoder_work *w, const ae_batch *bt,
                                   float *loss) {
    NnParams *p = autoencoder_params(m);
    float *grads = calloc(p->num_params, sizeof(float));
    *loss = autoencoder_train_batch(m, w, bt, 1.0f, grads, NULL);
    ck_assert(isfinite(*loss) && *loss > 0);
    double worst = 0.0;
    int checked = 0;
    for (int ti = 0; ti < p->num_tensors; ti++) {
        NnTensor *t = &p->tensors[ti];
        for (size_t k = 0; k < t->num_elems; k++) {
            float *x = t->value + k, saved = *x;
            *x = saved + FD_EPS;
            double lp = autoencoder_train_batch(m, w, bt, 1.0f, NULL, NULL);
            *x = saved - FD_EPS;
            double lm = autoencoder_train_batch(m, w, bt, 1.0f, NULL, NULL);
            *x = saved;
            double numeric = (lp - lm) / (2.0 * FD_EPS);
            double analytic = grads[t->offset + k];
            double err = fabs(analytic - numeric);
            double tol = 2e-4 + 1e-2 * fmax(fabs(analytic), fabs(numeric));
            if (err / tol > worst)
                worst = err / tol;
            ck_assert_msg(err <= tol, "%s[%zu]: analytic %g numeric %g", t->name, k, analytic,
                          numeric);
            checked++;
        }
    }
    if (getenv("S2S_TEST_VERBOSE"))
        fprintf(stderr, "autoencoder gradient: %d values, worst err/tol %.3f\n", checked, worst);
    return grads;
}

START_TEST(test_ae_gradient) {
    // Input: B = 3 sequences, T_in = 5, lengths {5, 3, 1}; target of another
    // length T_out = 4 with lengths {2, 4, 3} (the correspondence variant).
    enum { B = 3, TI = 5, TO = 4, D = 39 };
    const int in_len[B] = {5, 3, 1}, tgt_len[B] = {2, 4, 3};
    /* fp32 products: finite differences cannot resolve bf16 rounding (the
     * bf16 LSTM is checked against fp32 in test_nn_grad). */
    ck_assert_int_eq(nn_gemm_set_precision("fp32"), 0);
    autoencoder *m = tiny_model(2, _i); /* loop: decoder reads previous frames, then zeros */
    NnParams *p = autoencoder_params(m);
    uint64_t rng = 11;
    random_fill(p->values, p->num_params, 0.5f, &rng); // larger than init: livelier gradients
    float *in = malloc(sizeof(float) * TI * B * D), *tgt = malloc(sizeof(float) * TO * B * D);
    random_fill(in, TI * B * D, 1.0f, &rng);
    random_fill(tgt, TO * B * D, 1.0f, &rng);
    autoencoder_work *w = autoencoder_work_new(m, B, TI, TO);
    ck_assert_ptr_nonnull(w);
    ae_batch bt = {.in = in, .in_lengths = in_len, .T_in = TI, .B = B, .target = tgt,
                   .tgt_lengths = tgt_len, .T_out = TO};
    float loss;
    float *grads = check_batch_gradient(m, w, &bt, &loss);
    // Loss weight scales the gradient and loss does not depend on it.
    float *g2 = calloc(p->num_params, sizeof(float));
    float loss2 = autoencoder_forward_backward(m, w, in, in_len, TI, tgt, tgt_len, TO, B, 0.5f, g2);
    ck_assert_float_eq(loss, loss2);
    for (size_t k = 0; k < p->num_params; k++)
        ck_assert_float_eq_tol(g2[k], 0.5f * grads[k], 1e-6f + 1e-5f * fabsf(grads[k]));
    free(g2);
    free(grads);
    free(in);
    free(tgt);
    autoencoder_work_free(w);
    autoencoder_free(m);
    nn_gemm_set_precision(getenv("S2S_PRECISION")); /* back to the default */
}
END_TEST

/* A vector loss for the test: the sum of (weights . u_b)^2 over the batch. */
static float squared_projection_loss(void *ctx, const float *u, int B, int V, float *d_u) {
    const float *weights = ctx;
    double loss = 0.0;
    for (int b = 0; b < B; b++) {
        double s = 0.0;
        for (int k = 0; k < V; k++)
            s += (double)weights[k] * u[(size_t)b * V + k];
        loss += s * s;
        for (int k = 0; k < V; k++)
            d_u[(size_t)b * V + k] = (float)(2.0 * s * weights[k]);
    }
    return (float)loss;
}

START_TEST(test_ae_vector_loss_gradient) {
    // A loss on the vectors beside the reconstruction reaches the projection
    // and the encoder through the normalisation, and adds to the loss.
    enum { B = 2, TI = 4, TO = 3, D = 39 };
    const int in_len[B] = {4, 2}, tgt_len[B] = {3, 1};
    ck_assert_int_eq(nn_gemm_set_precision("fp32"), 0);
    autoencoder *m = tiny_model(1, AE_DECODER_ZERO);
    NnParams *p = autoencoder_params(m);
    uint64_t rng = 23;
    random_fill(p->values, p->num_params, 0.5f, &rng);
    float in[TI * B * D], tgt[TO * B * D], weights[4] = {3, -2, 1, 2};
    random_fill(in, TI * B * D, 1.0f, &rng);
    random_fill(tgt, TO * B * D, 1.0f, &rng);
    autoencoder_work *w = autoencoder_work_new(m, B, TI, TO);
    ck_assert_ptr_nonnull(w);
    ae_batch bt = {.in = in, .in_lengths = in_len, .T_in = TI, .B = B, .target = tgt,
                   .tgt_lengths = tgt_len, .T_out = TO, .vector_loss = squared_projection_loss,
                   .vector_loss_ctx = weights};
    float loss;
    free(check_batch_gradient(m, w, &bt, &loss));
    ae_losses parts;
    autoencoder_train_batch(m, w, &bt, 1.0f, NULL, &parts);
    ck_assert_float_gt(parts.vector, 0.0f);
    ck_assert_float_eq_tol(loss, parts.mse + parts.vector, 1e-5f);
    autoencoder_work_free(w);
    autoencoder_free(m);
    nn_gemm_set_precision(getenv("S2S_PRECISION"));
}
END_TEST

START_TEST(test_ae_prefixes_and_save_load) {
    enum { B = 2, T = 23, D = 39, P = 4 };
    autoencoder *m = tiny_model(2, AE_DECODER_ZERO);
    int V = autoencoder_vector_dim(m);
    uint64_t rng = 5;
    float *frames = malloc(sizeof(float) * T * B * D);
    random_fill(frames, T * B * D, 1.0f, &rng);
    const int lengths[B] = {T, 9};
    const int prefixes[P] = {1, 9, 17, T};
    encoder_state *s = encoder_state_new(m, B, T);
    ck_assert_ptr_nonnull(s);
    float out[B * P * 8];
    memset(out, 0x7f, sizeof out);
    ck_assert_int_eq(autoencoder_encode_prefixes(m, s, frames, lengths, T, B, prefixes, P, out), 0);
    // Each prefix vector equals the vector of the truncated sequence alone;
    // slots past a sequence's length are zero; vectors are unit length.
    float seg[T * D], one[8];
    for (int b = 0; b < B; b++)
        for (int p = 0; p < P; p++) {
            const float *v = out + (b * P + p) * V;
            if (prefixes[p] > lengths[b]) {
                for (int k = 0; k < V; k++)
                    ck_assert_float_eq(v[k], 0.0f);
                continue;
            }
            for (int t = 0; t < prefixes[p]; t++)
                memcpy(seg + t * D, frames + (t * B + b) * D, sizeof(float) * D);
            ck_assert_int_eq(autoencoder_encode(m, s, seg, prefixes[p], one), 0);
            double norm = 0;
            for (int k = 0; k < V; k++) {
                ck_assert_float_eq_tol(v[k], one[k], 1e-5f);
                norm += (double)v[k] * v[k];
            }
            ck_assert_double_eq_tol(norm, 1.0, 1e-5);
        }
    // The inference encoder gives the training forward's vectors.
    {
        const int full[B] = {T, T};
        float both[B * P * 8];
        ck_assert_int_eq(autoencoder_encode_prefixes(m, s, frames, full, T, B, &full[0], 1, both), 0);
        autoencoder_work *w = autoencoder_work_new(m, B, T, T);
        autoencoder_forward_backward(m, w, frames, full, T, frames, full, T, B, 1.0f, NULL);
        const float *u = autoencoder_work_vectors(w);
        for (int k = 0; k < B * V; k++)
            ck_assert_float_eq_tol(both[k], u[k], 1e-5f);
        autoencoder_work_free(w);
    }
    // Whole sequences of different lengths in one batch: each one's vector
    // is its longest prefix's (prefixes 3 = T and 1 = 9 above).
    {
        float whole[B * 8];
        ck_assert_int_eq(autoencoder_encode_batch(m, s, frames, lengths, T, B, whole), 0);
        for (int k = 0; k < V; k++) {
            ck_assert_float_eq_tol(whole[k], out[(0 * P + 3) * V + k], 1e-6f);
            ck_assert_float_eq_tol(whole[V + k], out[(1 * P + 1) * V + k], 1e-6f);
        }
        ck_assert_int_eq(autoencoder_encode_batch(m, s, frames, lengths, T, B + 1, whole), -1);
    }
    // A batch larger than the state was built for is refused.
    ck_assert_int_eq(autoencoder_encode_prefixes(m, s, frames, lengths, T, B + 1, prefixes, P, out), -1);

    // save -> load: identical vectors, same hash, same settings.
    const char *dir = test_make_temp_dir();
    char path[512];
    snprintf(path, sizeof path, "%s/m.model", dir);
    model_file *f = autoencoder_to_file(m);
    char err[256];
    ck_assert_int_eq(model_file_write(f, path, err, sizeof err), 0);
    autoencoder *m2 = autoencoder_load(path, err, sizeof err);
    ck_assert_msg(m2 != NULL, "%s", err);
    ck_assert_str_eq(autoencoder_hash(m2), f->hash);
    ck_assert_int_eq(strlen(autoencoder_hash(m2)), 16);
    model_file_free(f);
    encoder_state *s2 = encoder_state_new(m2, B, T);
    float out2[B * P * 8];
    ck_assert_int_eq(autoencoder_encode_prefixes(m2, s2, frames, lengths, T, B, prefixes, P, out2), 0);
    ck_assert_int_eq(memcmp(out, out2, sizeof(float) * B * P * V), 0);
    ck_assert_int_eq(autoencoder_get_config(m2)->num_layers, 2);
    ck_assert_int_eq(autoencoder_get_config(m2)->decoder_input, AE_DECODER_ZERO);
    ck_assert_int_eq(autoencoder_feature_stats(m2)->dim, 39);

    // A damaged file (one byte flipped) and a missing file give errors.
    FILE *fp = fopen(path, "r+b");
    fseek(fp, 200, SEEK_SET);
    int ch = fgetc(fp);
    fseek(fp, 200, SEEK_SET);
    fputc(ch ^ 0x55, fp);
    fclose(fp);
    err[0] = 0;
    ck_assert_ptr_null(autoencoder_load(path, err, sizeof err));
    ck_assert(err[0] != 0);
    snprintf(path, sizeof path, "%s/none.model", dir);
    ck_assert_ptr_null(autoencoder_load(path, err, sizeof err));
    // A model file without the autoencoder's records.
    model_file *empty = model_file_new();
    model_file_add_scalar(empty, "x", 1.0f);
    ck_assert_int_eq(model_file_write(empty, path, err, sizeof err), 0);
    model_file_free(empty);
    ck_assert_ptr_null(autoencoder_load(path, err, sizeof err));
    ck_assert_msg(strstr(err, "not an s2s autoencoder") != NULL, "%s", err);

    encoder_state_free(s);
    encoder_state_free(s2);
    autoencoder_free(m);
    autoencoder_free(m2);
    free(frames);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("model_autoencoder");
    TCase *tc = tcase_create("autoencoder");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_ae_gradient, AE_DECODER_PREVIOUS, AE_DECODER_ZERO + 1);
    tcase_add_test(tc, test_ae_vector_loss_gradient);
    tcase_add_test(tc, test_ae_prefixes_and_save_load);
    suite_add_tcase(suite, tc);
    return test_run_suite(suite);
}
