/* CTC loss and gradient by the forward-backward recursions over the extended
 * label sequence l' = blank, l1, blank, l2, ..., lL, blank (S = 2L + 1
 * states).  alpha[t][s] is the log-probability of the alignments of frames
 * 0..t that end in state s (emission at t included); beta[t][s] that of
 * frames t+1..T-1 given state s at t (emission at t excluded), so that
 * alpha[t][s] + beta[t][s] is the log-probability of the alignments through
 * s at t. */
#include "ctc.h"
#include <math.h>
#include <stdlib.h>

void nn_log_softmax(float *out, const float *in, int N, int C) {
    for (int n = 0; n < N; n++) {
        const float *x = in + (size_t)n * C;
        float *y = out + (size_t)n * C;
        float max = x[0];
        for (int k = 1; k < C; k++)
            if (x[k] > max)
                max = x[k];
        double sum = 0.0;
        for (int k = 0; k < C; k++)
            sum += exp((double)x[k] - max);
        float log_sum = (float)log(sum); /* of the shifted values: no rounding at large max */
        for (int k = 0; k < C; k++)
            y[k] = (x[k] - max) - log_sum;
    }
}

/* Class of extended state s. */
static int state_class(const int *labels, int blank, int s) {
    return (s & 1) ? labels[s >> 1] : blank;
}

/* Whether state s may be entered from s - 2 (skipping the blank between two
 * labels): only for a label that differs from the previous label. */
static int can_skip(const int *labels, int s) {
    return (s & 1) && s >= 3 && labels[s >> 1] != labels[(s >> 1) - 1];
}

double ctc_loss(const float *log_probs, int T, int C, int stride, const int *labels,
                int num_labels, int blank, float *d_logits, float d_loss) {
    for (int i = 0; i < num_labels; i++)
        if (labels[i] < 0 || labels[i] >= C || labels[i] == blank)
            return NAN;
    if (T <= 0)
        return num_labels == 0 ? 0.0 : INFINITY;
    const int S = 2 * num_labels + 1;
    double *alpha = malloc(sizeof(double) * 2 * (size_t)T * S);
    if (!alpha)
        return NAN;
    double *beta = alpha + (size_t)T * S;
#define LP(t, k) ((double)log_probs[(size_t)(t) * stride + (k)])
    for (int s = 0; s < S; s++)
        alpha[s] = s < 2 ? LP(0, state_class(labels, blank, s)) : -INFINITY;
    for (int t = 1; t < T; t++) {
        const double *prev = alpha + (size_t)(t - 1) * S;
        double *cur = alpha + (size_t)t * S;
        for (int s = 0; s < S; s++) {
            double a = prev[s];
            if (s >= 1)
                a = ctc_log_add(a, prev[s - 1]);
            if (can_skip(labels, s))
                a = ctc_log_add(a, prev[s - 2]);
            cur[s] = a == -INFINITY ? a : a + LP(t, state_class(labels, blank, s));
        }
    }
    const double *last = alpha + (size_t)(T - 1) * S;
    double log_z = S > 1 ? ctc_log_add(last[S - 1], last[S - 2]) : last[S - 1];
    if (log_z == -INFINITY) {
        free(alpha);
        return INFINITY;
    }
    if (d_logits) {
        double *end = beta + (size_t)(T - 1) * S;
        for (int s = 0; s < S; s++)
            end[s] = s >= S - 2 ? 0.0 : -INFINITY;
        for (int t = T - 2; t >= 0; t--) {
            const double *next = beta + (size_t)(t + 1) * S;
            double *cur = beta + (size_t)t * S;
            for (int s = 0; s < S; s++) {
                double b = next[s] + LP(t + 1, state_class(labels, blank, s));
                if (s + 1 < S)
                    b = ctc_log_add(b, next[s + 1] + LP(t + 1, state_class(labels, blank, s + 1)));
                if (s + 2 < S && can_skip(labels, s + 2))
                    b = ctc_log_add(b, next[s + 2] + LP(t + 1, state_class(labels, blank, s + 2)));
                cur[s] = b;
            }
        }
        for (int t = 0; t < T; t++) {
            float *d = d_logits + (size_t)t * stride;
            const double *a = alpha + (size_t)t * S, *b = beta + (size_t)t * S;
            for (int k = 0; k < C; k++)
                d[k] += d_loss * (float)exp(LP(t, k));
            for (int s = 0; s < S; s++) {
                double occupancy = a[s] + b[s] - log_z;
                if (occupancy > -INFINITY)
                    d[state_class(labels, blank, s)] -= d_loss * (float)exp(occupancy);
            }
        }
    }
#undef LP
    free(alpha);
    return -log_z;
}

int ctc_loss_batch(const float *log_probs, int T, int B, int C, const int *input_lengths,
                   const int *labels, const int *label_offsets, const int *label_lengths,
                   int blank, const float *weights, double *losses, float *d_logits) {
    int num_finite = 0;
    for (int b = 0; b < B; b++) {
        int frames = input_lengths[b] < T ? input_lengths[b] : T;
        float w = weights ? weights[b] : 1.0f;
        losses[b] = ctc_loss(log_probs + (size_t)b * C, frames, C, B * C,
                             labels + label_offsets[b], label_lengths[b], blank,
                             d_logits ? d_logits + (size_t)b * C : NULL, w);
        num_finite += isfinite(losses[b]) ? 1 : 0;
    }
    return num_finite;
}
