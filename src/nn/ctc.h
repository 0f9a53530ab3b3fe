/* Connectionist Temporal Classification (Graves et al., 2006): the loss of a
 * label sequence given per-frame class scores, summed over every alignment
 * (blank symbols between labels, repeats collapsed), and its gradient.
 *
 * Everything runs in log space in double precision, so long sequences do not
 * underflow.  The gradient is taken with respect to the LOGITS that a
 * log-softmax turned into the log-probabilities (the usual head: linear layer,
 * log-softmax, CTC): d loss / d logit[t][k] = p[t][k] - gamma[t][k], where
 * gamma is the posterior of being on class k at frame t.  That form needs no
 * division by tiny probabilities and is what the network's backward wants.
 *
 * Layout: log_probs is time-major (T, B, C) like every sequence in the
 * network; class `blank` is the CTC blank.  A label sequence that cannot be
 * aligned to its frames (too long, counting the blanks that repeats need)
 * has loss +INFINITY and contributes a zero gradient (never NaN), so one bad
 * example cannot poison a batch. */
#ifndef S2S_NN_CTC_H
#define S2S_NN_CTC_H

#include <math.h>

/* log(exp(a) + exp(b)) without overflow; -INFINITY stands for log 0. */
static inline double ctc_log_add(double a, double b) {
    if (a == -INFINITY)
        return b;
    if (b == -INFINITY)
        return a;
    return a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b));
}

/* out (N, C) = log_softmax(in (N, C)) row by row (max-shifted).  out may be
 * in. */
void nn_log_softmax(float *out, const float *in, int N, int C);

/* Loss of one sequence: T frames of log-probabilities, frame t at
 * log_probs + t * stride (C classes each), labels (num_labels, each in
 * 0..C-1 and not blank).  Returns -log p(labels | frames), or INFINITY when
 * no alignment exists (including T == 0 with labels).  When d_logits is not
 * NULL (same layout and stride as log_probs), ADDS d_loss * the gradient
 * with respect to the logits behind log_probs; nothing when the loss is
 * infinite.  Returns NAN when a label is out of range or equals blank. */
double ctc_loss(const float *log_probs, int T, int C, int stride, const int *labels,
                int num_labels, int blank, float *d_logits, float d_loss);

/* A batch: log_probs (T, B, C); sequence b has input_lengths[b] <= T frames
 * and label_lengths[b] labels starting at labels + label_offsets[b].
 * Writes each sequence's loss into losses (B).  When d_logits (T, B, C) is
 * not NULL, ADDS the gradient of sum_b weights[b] * losses[b] (weights NULL:
 * all 1) over the sequences whose loss is finite.  Returns the number of
 * sequences with a finite loss. */
int ctc_loss_batch(const float *log_probs, int T, int B, int C, const int *input_lengths,
                   const int *labels, const int *label_offsets, const int *label_lengths,
                   int blank, const float *weights, double *losses, float *d_logits);

#endif
