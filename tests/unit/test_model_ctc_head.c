/* The autoencoder's CTC head, linear and with its backward LSTM (each test
 * runs for both): the gradient of a joint batch (reconstruction + weighted
 * CTC, one sequence without a transcript, unequal lengths) and of a
 * CTC-only batch against central finite differences; the inference path
 * (autoencoder_frame_log_probs) gives the log-probabilities training sees;
 * the head survives save -> load; a model without a head refuses labels and
 * a model file says whether it has one.  Text normalisation to labels. */
#include "autoencoder.h"
#include "ctc.h"
#include "ctc_text.h"
#include "gemm.h"
#include "test_util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { B = 3, TI = 6, TO = 4, D = 39, C = 5 };

static const int head_hidden[] = {0, 3}; /* linear head, backward LSTM of 3 */

static autoencoder *head_model(int classes, int hidden) {
    autoencoder_config c = {.input_dim = D, .hidden_size = 5, .num_layers = 2, .vector_dim = 4,
                            .decoder_input = AE_DECODER_ZERO, .ctc_classes = classes,
                            .ctc_hidden = hidden};
    char err[256];
    autoencoder *m = autoencoder_new(&c, 3, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    return m;
}

typedef struct {
    float in[TI * B * D], tgt[TO * B * D];
    int in_len[B], tgt_len[B];
    int labels[6], offsets[B], label_len[B];
    ae_batch batch;
} batch_data;

static void make_batch(batch_data *d, int rebuild, uint64_t seed) {
    uint64_t rng = seed;
    for (int k = 0; k < TI * B * D; k++)
        d->in[k] = test_random_uniform(&rng);
    for (int k = 0; k < TO * B * D; k++)
        d->tgt[k] = test_random_uniform(&rng);
    const int in_len[B] = {6, 4, 5}, tgt_len[B] = {2, 4, 3};
    const int labels[] = {1, 2, 2, /* seq 0, a repeat */ 4, 3 /* seq 2 */};
    const int offsets[B] = {0, 3, 3}, label_len[B] = {3, 0, 2}; /* seq 1 untranscribed */
    memcpy(d->in_len, in_len, sizeof in_len);
    memcpy(d->tgt_len, tgt_len, sizeof tgt_len);
    memcpy(d->labels, labels, sizeof labels);
    memcpy(d->offsets, offsets, sizeof offsets);
    memcpy(d->label_len, label_len, sizeof label_len);
    d->batch = (ae_batch){.in = d->in, .in_lengths = d->in_len, .T_in = TI, .B = B,
                          .target = rebuild ? d->tgt : NULL, .tgt_lengths = d->tgt_len,
                          .T_out = TO, .labels = d->labels, .label_offsets = d->offsets,
                          .label_lengths = d->label_len, .ctc_weight = 0.7f};
}

/* Checks every parameter's gradient of the batch's loss against central
 * differences; returns how many gradients were exactly zero. */
static int check_batch_gradient(autoencoder *m, const ae_batch *bt) {
    NnParams *p = autoencoder_params(m);
    uint64_t rng = 17;
    for (size_t k = 0; k < p->num_params; k++)
        p->values[k] = 0.5f * test_random_uniform(&rng);
    /* fp32 products: finite differences cannot resolve bf16 rounding (the
     * bf16 LSTM is checked against fp32 in test_nn_grad) */
    ck_assert_int_eq(nn_gemm_set_precision("fp32"), 0);
    autoencoder_work *w = autoencoder_work_new(m, B, TI, TO);
    nn_gemm_set_precision(getenv("S2S_PRECISION")); /* w keeps fp32 */
    ck_assert_ptr_nonnull(w);
    float *grads = calloc(p->num_params, sizeof(float));
    ae_losses losses;
    float loss = autoencoder_train_batch(m, w, bt, 1.0f, grads, &losses);
    ck_assert_msg(isfinite(loss) && loss > 0, "loss %g", loss);
    ck_assert_int_eq(losses.ctc_sequences, 2);
    ck_assert_float_eq_tol(loss, losses.mse + bt->ctc_weight * losses.ctc, 1e-5f);
    const float eps = 1e-2f;
    int zeros = 0;
    for (int ti = 0; ti < p->num_tensors; ti++) {
        NnTensor *t = &p->tensors[ti];
        for (size_t k = 0; k < t->num_elems; k++) {
            float *x = t->value + k, saved = *x;
            *x = saved + eps;
            double lp = autoencoder_train_batch(m, w, bt, 1.0f, NULL, NULL);
            *x = saved - eps;
            double lm = autoencoder_train_batch(m, w, bt, 1.0f, NULL, NULL);
            *x = saved;
            double numeric = (lp - lm) / (2.0 * eps), analytic = grads[t->offset + k];
            ck_assert_msg(fabs(analytic - numeric) <= 2e-4 + 1e-2 * fmax(fabs(analytic), fabs(numeric)),
                          "%s[%zu]: analytic %g numeric %g", t->name, k, analytic, numeric);
            zeros += analytic == 0.0;
        }
    }
    free(grads);
    autoencoder_work_free(w);
    return zeros;
}

START_TEST(test_joint_gradient) {
    autoencoder *m = head_model(C, head_hidden[_i]);
    batch_data d;
    make_batch(&d, 1, 5);
    check_batch_gradient(m, &d.batch);
    autoencoder_free(m);
}
END_TEST

START_TEST(test_ctc_only_gradient_leaves_decoder_alone) {
    autoencoder *m = head_model(C, head_hidden[_i]);
    batch_data d;
    make_batch(&d, 0, 9);
    check_batch_gradient(m, &d.batch);
    // the decoder, projection and output layer get exactly zero gradient
    NnParams *p = autoencoder_params(m);
    autoencoder_work *w = autoencoder_work_new(m, B, TI, TO);
    float *grads = calloc(p->num_params, sizeof(float));
    autoencoder_train_batch(m, w, &d.batch, 1.0f, grads, NULL);
    const char *untouched[] = {"dec.l0.W_hh", "out.W", "proj.W", "dec_init.b"};
    for (int i = 0; i < 4; i++) {
        const NnTensor *t = &p->tensors[nn_params_find(p, untouched[i])];
        for (size_t k = 0; k < t->num_elems; k++)
            ck_assert_float_eq(grads[t->offset + k], 0.0f);
    }
    const NnTensor *head = &p->tensors[nn_params_find(p, "ctc.W")];
    double norm = 0.0;
    for (size_t k = 0; k < head->num_elems; k++)
        norm += fabs(grads[head->offset + k]);
    ck_assert(norm > 0.0);
    free(grads);
    autoencoder_work_free(w);
    autoencoder_free(m);
}
END_TEST

START_TEST(test_inference_log_probs_match_training) {
    autoencoder *m = head_model(C, head_hidden[_i]);
    batch_data d;
    make_batch(&d, 0, 21);
    // sequence 0 alone, through the inference encoder
    float frames[TI * D], log_probs[TI * C];
    for (int t = 0; t < TI; t++)
        memcpy(frames + t * D, d.in + (t * B + 0) * D, sizeof(float) * D);
    encoder_state *s = encoder_state_new(m, 4, 100);
    ck_assert_int_eq(autoencoder_frame_log_probs(m, s, frames, TI, log_probs), 0);
    for (int t = 0; t < TI; t++) {
        double sum = 0.0;
        for (int k = 0; k < C; k++)
            sum += exp(log_probs[t * C + k]);
        ck_assert_double_eq_tol(sum, 1.0, 1e-5);
    }
    // same model, one-sequence batch through training: loss must agree with
    // a CTC over the inference log-probabilities
    int len = TI, label_len = 3, offset = 0;
    ae_batch bt = {.in = frames, .in_lengths = &len, .T_in = TI, .B = 1, .labels = d.labels,
                   .label_offsets = &offset, .label_lengths = &label_len, .ctc_weight = 1.0f};
    autoencoder_work *w = autoencoder_work_new(m, 1, TI, TO);
    ae_losses losses;
    autoencoder_train_batch(m, w, &bt, 1.0f, NULL, &losses);
    double want = ctc_loss(log_probs, TI, C, C, d.labels, 3, 0, NULL, 1.0f) / 3;
    ck_assert_double_eq_tol(losses.ctc, want, 1e-4);
    ck_assert_int_eq(autoencoder_frame_log_probs(m, s, frames, 101, log_probs), -1);
    autoencoder_work_free(w);
    encoder_state_free(s);
    autoencoder_free(m);
}
END_TEST

START_TEST(test_batched_log_probs_match_one_at_a_time) {
    autoencoder *m = head_model(C, head_hidden[_i]);
    batch_data d;
    make_batch(&d, 0, 22); /* lengths 6, 4, 5: padding after the shorter two */
    float batch_log_probs[TI * B * C], frames[TI * D], one[TI * C];
    encoder_state *s = encoder_state_new(m, B, TI);
    ck_assert_int_eq(autoencoder_frame_log_probs_batch(m, s, d.in, d.in_len, TI, B,
                                                       batch_log_probs), 0);
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < d.in_len[b]; t++)
            memcpy(frames + t * D, d.in + (t * B + b) * D, sizeof(float) * D);
        ck_assert_int_eq(autoencoder_frame_log_probs(m, s, frames, d.in_len[b], one), 0);
        for (int t = 0; t < d.in_len[b]; t++)
            for (int k = 0; k < C; k++)
                ck_assert_float_eq_tol(batch_log_probs[(t * B + b) * C + k], one[t * C + k], 1e-5f);
    }
    ck_assert_int_eq(autoencoder_frame_log_probs_batch(m, s, d.in, d.in_len, TI, B + 1,
                                                       batch_log_probs), -1);
    encoder_state_free(s);
    autoencoder_free(m);
}
END_TEST

START_TEST(test_head_save_load_and_refusal) {
    char err[256], path[512];
    autoencoder *m = head_model(C, head_hidden[_i]);
    ck_assert_int_eq(autoencoder_ctc_classes(m), C);
    snprintf(path, sizeof path, "%s/head.model", test_make_temp_dir());
    model_file *f = autoencoder_to_file(m);
    ck_assert_int_eq(model_file_write(f, path, err, sizeof err), 0);
    model_file_free(f);
    autoencoder *loaded = autoencoder_load(path, err, sizeof err);
    ck_assert_msg(loaded != NULL, "%s", err);
    ck_assert_int_eq(autoencoder_ctc_classes(loaded), C);
    ck_assert_int_eq(autoencoder_get_config(loaded)->ctc_hidden, head_hidden[_i]);
    const NnParams *a = autoencoder_params_const(m), *b = autoencoder_params_const(loaded);
    const NnTensor *head = &a->tensors[nn_params_find(a, "ctc.W")];
    ck_assert_int_eq(memcmp(head->value, nn_params_get(b, "ctc.W"),
                            sizeof(float) * head->num_elems), 0);
    autoencoder_free(loaded);
    autoencoder_free(m);
    // without a head: no classes, labels refused
    autoencoder *plain = head_model(0, 0);
    ck_assert_int_eq(autoencoder_ctc_classes(plain), 0);
    batch_data d;
    make_batch(&d, 1, 1);
    autoencoder_work *w = autoencoder_work_new(plain, B, TI, TO);
    ck_assert(isnan(autoencoder_train_batch(plain, w, &d.batch, 1.0f, NULL, NULL)));
    d.batch.labels = NULL;
    ck_assert(isfinite(autoencoder_train_batch(plain, w, &d.batch, 1.0f, NULL, NULL)));
    autoencoder_work_free(w);
    autoencoder_free(plain);
    autoencoder_config bad = {.input_dim = D, .hidden_size = 5, .num_layers = 1, .vector_dim = 4,
                              .ctc_classes = 1};
    ck_assert_int_ne(autoencoder_config_check(&bad, err, sizeof err), 0);
}
END_TEST

START_TEST(test_text_normalisation) {
    int labels[64];
    char text[64];
    int n = ctc_text_to_labels("  White-House, it's 42!", labels, 64);
    ck_assert_int_gt(n, 0);
    ctc_labels_to_text(labels, n, text, sizeof text);
    ck_assert_str_eq(text, "white house it's four two");
    ck_assert_int_eq(labels[0], CTC_FIRST_LETTER + ('w' - 'a'));
    ck_assert_int_eq(ctc_text_to_labels("?!  ..", labels, 64), 0);
    ck_assert_int_eq(ctc_text_to_labels("caf\xc3\xa9 au lait", labels, 64), 11); /* "caf au lait" */
    ck_assert_int_eq(ctc_text_to_labels("abcdef", labels, 3), -1);
}
END_TEST

/* Whether the lexicon holds text as one whole word. */
static int has_word(const ctc_lexicon *lex, const char *text) {
    int labels[64], n = ctc_text_to_labels(text, labels, 64), node = CTC_LEXICON_ROOT;
    for (int i = 0; i < n && node >= 0; i++)
        node = ctc_lexicon_next(lex, node, labels[i]);
    return n > 0 && node >= 0 && ctc_lexicon_is_word(lex, node);
}

START_TEST(test_lexicon_file) {
    char path[] = "/tmp/s2s-lexicon-XXXXXX", err[128];
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("Aaron's\n\xc3\x85ngstr\xc3\xb6m\ne-mail\n\n42\nfoo\nfoo\n", f);
    fclose(f);
    ctc_lexicon *lex = ctc_text_load_lexicon(path, err, sizeof err);
    ck_assert_ptr_nonnull(lex);
    /* aaron's, e, mail, four, two, foo; the line outside ASCII skipped */
    ck_assert_int_eq(ctc_lexicon_num_words(lex), 6);
    ck_assert(has_word(lex, "aaron's") && has_word(lex, "e") && has_word(lex, "mail") &&
              has_word(lex, "four") && has_word(lex, "foo"));
    ck_assert(!has_word(lex, "ngstr") && !has_word(lex, "aaron") && !has_word(lex, "email"));
    ctc_lexicon_free(lex);

    f = fopen(path, "w");
    fputs("\n?!\n", f);
    fclose(f);
    ck_assert_ptr_null(ctc_text_load_lexicon(path, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "no words"));
    unlink(path);
    ck_assert_ptr_null(ctc_text_load_lexicon(path, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "cannot open"));
}
END_TEST

static Suite *head_suite(void) {
    Suite *suite = suite_create("model_ctc_head");
    TCase *tc = tcase_create("head");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_joint_gradient, 0, 2);
    tcase_add_loop_test(tc, test_ctc_only_gradient_leaves_decoder_alone, 0, 2);
    tcase_add_loop_test(tc, test_inference_log_probs_match_training, 0, 2);
    tcase_add_loop_test(tc, test_batched_log_probs_match_one_at_a_time, 0, 2);
    tcase_add_loop_test(tc, test_head_save_load_and_refusal, 0, 2);
    tcase_add_test(tc, test_text_normalisation);
    tcase_add_test(tc, test_lexicon_file);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void) { return test_run_suite(head_suite()); }
