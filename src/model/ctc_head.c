/* The CTC head: optional backward LSTM, linear layer, log-softmax, CTC loss.
 * See ctc_head.h.  Shapes: I input size, K what the linear layer reads (I,
 * or Hc with the LSTM), C classes, T steps, B batch. */
#include "ctc_head.h"
#include "ctc.h"
#include "linear.h"
#include "lstm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ctc_head_work {
    int max_steps, max_batch;
    LstmCache cache;  /* the backward LSTM (hidden > 0) */
    float *rev_in;    /* (T, B, I) x reversed in time; backward: reused */
    float *rev_out;   /* (T, B, Hc) the LSTM's outputs; backward: their gradient */
    float *features;  /* (T, B, Hc) rev_out back in time order: the linear layer's input */
    float *d_features;/* (T, B, Hc) */
    float *d_rev_in;  /* (T, B, I) */
    float *log_probs; /* (T, B, C) */
    float *d_logits;  /* (T, B, C) */
    const float *linear_in; /* x or features, of the last forward */
    int T, B;         /* of the last forward */
    float *memory;
};

int ctc_head_declare(ctc_head *h, NnParams *p, int input_size, int classes, int hidden) {
    *h = (ctc_head){.input_size = input_size, .classes = classes, .hidden = hidden,
                    .rnn = -1, .linear = -1};
    if (classes == 0)
        return 0;
    if (hidden > 0 && (h->rnn = lstm_params_add(p, "ctc_rnn", input_size, hidden)) < 0)
        return -1;
    h->linear = linear_params_add(p, "ctc", hidden > 0 ? hidden : input_size, classes);
    return h->linear < 0 ? -1 : 0;
}

ctc_head_work *ctc_head_work_new(const ctc_head *h, int max_steps, int max_batch) {
    if (max_steps <= 0 || max_batch <= 0 || h->classes == 0)
        return NULL;
    ctc_head_work *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->max_steps = max_steps, w->max_batch = max_batch;
    size_t rows = (size_t)max_steps * max_batch, I = h->input_size, Hc = h->hidden,
           C = h->classes;
    size_t n = 2 * rows * C + (Hc ? 2 * rows * I + 3 * rows * Hc : 0);
    w->memory = calloc(n, sizeof(float));
    if (!w->memory ||
        (Hc && lstm_cache_build(&w->cache, max_steps, max_batch, (int)I, (int)Hc) != 0)) {
        ctc_head_work_free(w);
        return NULL;
    }
    float *q = w->memory;
    w->log_probs = q, q += rows * C;
    w->d_logits = q, q += rows * C;
    if (Hc) {
        w->rev_in = q, q += rows * I;
        w->d_rev_in = q, q += rows * I;
        w->rev_out = q, q += rows * Hc;
        w->features = q, q += rows * Hc;
        w->d_features = q;
    }
    return w;
}

void ctc_head_work_free(ctc_head_work *w) {
    if (!w)
        return;
    lstm_cache_free(&w->cache);
    free(w->memory);
    free(w);
}

static const float *value(const NnParams *p, int index) { return p->tensors[index].value; }
static float *gradient(const NnParams *p, float *grads, int index) {
    return grads + p->tensors[index].offset;
}

const float *ctc_head_forward(const ctc_head *h, const NnParams *p, ctc_head_work *w,
                              const float *x, const int *lengths, int T, int B) {
    const int I = h->input_size, Hc = h->hidden, C = h->classes;
    w->T = T, w->B = B;
    w->linear_in = x;
    if (Hc) {
        // features = reverse(LSTM(reverse(x))): the LSTM reads each sequence backwards
        nn_reverse_sequences(w->rev_in, x, lengths, T, B, I);
        lstm_forward(w->rev_out, NULL, NULL, &w->cache, w->rev_in, lengths, NULL, NULL,
                     value(p, h->rnn), value(p, h->rnn + 1), value(p, h->rnn + 2), T, B);
        nn_reverse_sequences(w->features, w->rev_out, lengths, T, B, Hc);
        w->linear_in = w->features;
    }
    linear_forward(w->log_probs, w->linear_in, value(p, h->linear), value(p, h->linear + 1), T * B,
                   Hc ? Hc : I, C);
    nn_log_softmax(w->log_probs, w->log_probs, T * B, C);
    return w->log_probs;
}

float ctc_head_loss(const ctc_head *h, const NnParams *p, ctc_head_work *w, const int *lengths,
                    const int *labels, const int *offsets, const int *label_lengths,
                    float weight, float *grads, float *d_x, int *num_finite, int *num_infinite) {
    const int I = h->input_size, Hc = h->hidden, C = h->classes, T = w->T, B = w->B;
    const size_t rows = (size_t)T * B;
    int num_labelled = 0;
    for (int b = 0; b < B; b++)
        num_labelled += label_lengths[b] > 0;
    if (grads)
        memset(w->d_logits, 0, sizeof(float) * rows * C);
    double sum = 0.0;
    for (int b = 0; b < B; b++) {
        int n = label_lengths[b];
        if (n <= 0)
            continue;
        double loss = ctc_loss(w->log_probs + (size_t)b * C, lengths[b], C, B * C,
                               labels + offsets[b], n, 0,
                               grads ? w->d_logits + (size_t)b * C : NULL,
                               weight / (float)(num_labelled * n));
        if (isfinite(loss)) {
            sum += loss / n;
            (*num_finite)++;
        } else {
            (*num_infinite)++;
        }
    }
    if (grads) {
        float *d_linear_in = d_x;
        if (Hc) {
            d_linear_in = w->d_features;
            memset(d_linear_in, 0, sizeof(float) * rows * Hc);
        }
        linear_backward(d_linear_in, gradient(p, grads, h->linear),
                        gradient(p, grads, h->linear + 1), w->d_logits, w->linear_in,
                        value(p, h->linear), (int)rows, Hc ? Hc : I, C);
        if (Hc) {
            float *d_rev_out = w->rev_out; /* the outputs themselves are no longer needed */
            nn_reverse_sequences(d_rev_out, w->d_features, lengths, T, B, Hc);
            memset(w->d_rev_in, 0, sizeof(float) * rows * I);
            lstm_backward(w->d_rev_in, NULL, NULL, gradient(p, grads, h->rnn),
                          gradient(p, grads, h->rnn + 1), gradient(p, grads, h->rnn + 2),
                          d_rev_out, NULL, NULL, &w->cache, w->rev_in, value(p, h->rnn),
                          value(p, h->rnn + 1));
            float *d_x_part = w->rev_in; /* free now: the backward pass has read it */
            nn_reverse_sequences(d_x_part, w->d_rev_in, lengths, T, B, I);
            for (size_t k = 0; k < rows * I; k++)
                d_x[k] += d_x_part[k];
        }
    }
    return num_labelled ? (float)(sum / num_labelled) : 0.0f;
}
