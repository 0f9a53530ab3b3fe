/* Behaviour of the LSTM layer beyond its gradients: padding never changes a
 * sequence's result, padded outputs are zero, the final state is the state
 * after the last valid step, an empty sequence keeps its initial state, and
 * nn_reverse_sequences reverses within lengths (the bidirectional recipe). */
#include "lstm.h"
#include "test_util.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { I = 3, H = 5, G = 4 * H };

typedef struct {
    float W_ih[G * I], W_hh[G * H], b[G];
} Weights;

static void random_weights(Weights *w, uint64_t seed) {
    uint64_t rng = seed;
    for (int k = 0; k < G * I; k++)
        w->W_ih[k] = 0.7f * test_random_uniform(&rng);
    for (int k = 0; k < G * H; k++)
        w->W_hh[k] = 0.7f * test_random_uniform(&rng);
    for (int k = 0; k < G; k++)
        w->b[k] = 0.5f * test_random_uniform(&rng);
}

START_TEST(test_lstm_padded_equals_alone) {
    // Batch of B = 3, T = 7, lengths {7, 4, 0}.  Sequence 1 (length 4), run
    // alone with T = 4 and B = 1, must give the same outputs and final state.
    enum { T = 7, B = 3, L = 4 };
    const int lengths[B] = {7, L, 0};
    Weights w;
    random_weights(&w, 3);
    uint64_t rng = 17;
    float in[T * B * I], h0[B * H], c0[B * H];
    for (int k = 0; k < T * B * I; k++)
        in[k] = test_random_uniform(&rng);
    for (int k = 0; k < B * H; k++)
        h0[k] = 0.5f * test_random_uniform(&rng), c0[k] = test_random_uniform(&rng);

    LstmCache cache;
    ck_assert_int_eq(lstm_cache_build(&cache, T, B, I, H), 0);
    float out[T * B * H], h_final[B * H], c_final[B * H];
    memset(out, 0x7f, sizeof out); // garbage the forward must overwrite
    lstm_forward(out, h_final, c_final, &cache, in, lengths, h0, c0, w.W_ih, w.W_hh, w.b, T, B);

    float in_alone[L * I], out_alone[L * H], h_alone[H], c_alone[H];
    for (int t = 0; t < L; t++)
        memcpy(in_alone + t * I, in + (t * B + 1) * I, sizeof(float) * I);
    LstmCache cache_alone;
    ck_assert_int_eq(lstm_cache_build(&cache_alone, L, 1, I, H), 0);
    lstm_forward(out_alone, h_alone, c_alone, &cache_alone, in_alone, NULL, h0 + H, c0 + H,
                 w.W_ih, w.W_hh, w.b, L, 1);

    for (int t = 0; t < T; t++)
        for (int j = 0; j < H; j++) {
            float got = out[(t * B + 1) * H + j];
            if (t < L)
                ck_assert_float_eq_tol(got, out_alone[t * H + j], 1e-6f);
            else
                ck_assert_float_eq(got, 0.0f);
            ck_assert_float_eq(out[(t * B + 2) * H + j], 0.0f); // empty sequence
        }
    for (int j = 0; j < H; j++) {
        ck_assert_float_eq_tol(h_final[H + j], h_alone[j], 1e-6f);
        ck_assert_float_eq_tol(c_final[H + j], c_alone[j], 1e-6f);
        // Final h of a sequence is its output at its last valid step.
        ck_assert_float_eq(h_final[H + j], out[((L - 1) * B + 1) * H + j]);
        ck_assert_float_eq(h_final[j], out[((T - 1) * B + 0) * H + j]);
        // An empty sequence keeps its initial state.
        ck_assert_float_eq(h_final[2 * H + j], h0[2 * H + j]);
        ck_assert_float_eq(c_final[2 * H + j], c0[2 * H + j]);
    }
    lstm_cache_free(&cache);
    lstm_cache_free(&cache_alone);
}
END_TEST

START_TEST(test_lstm_padding_content_ignored) {
    // Whatever the padded input frames hold, results are bit-identical.
    enum { T = 5, B = 2 };
    const int lengths[B] = {2, 5};
    Weights w;
    random_weights(&w, 8);
    uint64_t rng = 4;
    float in_a[T * B * I], in_b[T * B * I];
    for (int k = 0; k < T * B * I; k++)
        in_a[k] = in_b[k] = test_random_uniform(&rng);
    for (int t = 2; t < T; t++)
        for (int k = 0; k < I; k++)
            in_b[(t * B + 0) * I + k] = 1e3f * (float)(t + k);
    LstmCache cache;
    ck_assert_int_eq(lstm_cache_build(&cache, T, B, I, H), 0);
    float out_a[T * B * H], out_b[T * B * H], h_a[B * H], h_b[B * H];
    lstm_forward(out_a, h_a, NULL, &cache, in_a, lengths, NULL, NULL, w.W_ih, w.W_hh, w.b, T, B);
    lstm_forward(out_b, h_b, NULL, &cache, in_b, lengths, NULL, NULL, w.W_ih, w.W_hh, w.b, T, B);
    ck_assert_mem_eq(out_a, out_b, sizeof out_a);
    ck_assert_mem_eq(h_a, h_b, sizeof h_a);
    lstm_cache_free(&cache);
}
END_TEST

START_TEST(test_lstm_one_step_by_hand) {
    // H = 5 but a single step from zero state with zero weights except the
    // bias: i = f = o = sigmoid(b), g = tanh(b); c = i g, h = o tanh(c).
    Weights w;
    memset(&w, 0, sizeof w);
    for (int k = 0; k < G; k++)
        w.b[k] = 0.3f;
    float in[I] = {1, 2, 3}, h[H], c[H];
    LstmCache cache;
    ck_assert_int_eq(lstm_cache_build(&cache, 1, 1, I, H), 0);
    lstm_forward(NULL, h, c, &cache, in, NULL, NULL, NULL, w.W_ih, w.W_hh, w.b, 1, 1);
    float s = 1.0f / (1.0f + expf(-0.3f)), g = tanhf(0.3f);
    for (int j = 0; j < H; j++) {
        ck_assert_float_eq_tol(c[j], s * g, 1e-6f);
        ck_assert_float_eq_tol(h[j], s * tanhf(s * g), 1e-6f);
    }
    lstm_cache_free(&cache);
}
END_TEST

START_TEST(test_reverse_sequences) {
    // T = 3, B = 2, D = 1; lengths {3, 2}.
    const int lengths[2] = {3, 2};
    const float in[6] = {1, 10, 2, 20, 3, 99};
    float out[6], back[6];
    nn_reverse_sequences(out, in, lengths, 3, 2, 1);
    const float want[6] = {3, 20, 2, 10, 1, 0};
    ck_assert_mem_eq(out, want, sizeof want);
    nn_reverse_sequences(back, out, lengths, 3, 2, 1);
    const float want_back[6] = {1, 10, 2, 20, 3, 0};
    ck_assert_mem_eq(back, want_back, sizeof want_back);
}
END_TEST

START_TEST(test_lstm_params_add) {
    NnParams set;
    nn_params_init(&set);
    ck_assert_int_eq(lstm_params_add(&set, "enc", I, H), 0);
    ck_assert_int_eq(nn_params_alloc(&set), 0);
    nn_params_init_values(&set, 1);
    const NnTensor *W_ih = &set.tensors[0], *W_hh = &set.tensors[1], *b = &set.tensors[2];
    ck_assert_str_eq(W_ih->name, "enc.W_ih");
    ck_assert_int_eq(W_ih->num_rows, G);
    ck_assert_int_eq(W_ih->num_cols, I);
    ck_assert_str_eq(W_hh->name, "enc.W_hh");
    ck_assert_int_eq(W_hh->num_cols, H);
    ck_assert_str_eq(b->name, "enc.b");
    ck_assert_int_eq(b->num_rows, G);
    ck_assert_int_eq(b->num_cols, 1);
    float bound = 1.0f / sqrtf((float)H);
    for (int k = 0; k < G; k++) {
        if (k >= H && k < 2 * H)
            ck_assert_float_eq(b->value[k], 1.0f); // forget gate
        else
            ck_assert(fabsf(b->value[k]) <= bound);
    }
    for (int k = 0; k < G * I; k++)
        ck_assert(fabsf(W_ih->value[k]) <= bound);
    nn_params_free(&set);
}
END_TEST

static Suite *nn_lstm_suite(void) {
    Suite *suite = suite_create("nn_lstm");
    TCase *tc = tcase_create("lstm");
    tcase_add_test(tc, test_lstm_padded_equals_alone);
    tcase_add_test(tc, test_lstm_padding_content_ignored);
    tcase_add_test(tc, test_lstm_one_step_by_hand);
    tcase_add_test(tc, test_reverse_sequences);
    tcase_add_test(tc, test_lstm_params_add);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void) { return test_run_suite(nn_lstm_suite()); }
