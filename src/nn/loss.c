/* The training losses, forward and backward: masked mean squared error and
 * the contrastive loss on vectors.  See loss.h. */
#include "loss.h"
#include <math.h>
#include <stddef.h>

static long num_valid_frames(const int *lengths, int T, int B) {
    if (!lengths)
        return (long)T * B;
    long num_frames = 0;
    for (int b = 0; b < B; b++)
        num_frames += lengths[b] < T ? lengths[b] : T;
    return num_frames;
}

float mse_forward(const float *pred, const float *target, const int *lengths, int T, int B,
                  int D) {
    long num_frames = num_valid_frames(lengths, T, B);
    if (num_frames == 0 || D <= 0)
        return 0.0f;
    double sum = 0.0;
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            if (lengths && t >= lengths[b])
                continue;
            size_t base = ((size_t)t * B + b) * D;
            float row_sum = 0.0f;
            for (int d = 0; d < D; d++) {
                float diff = pred[base + d] - target[base + d];
                row_sum += diff * diff;
            }
            sum += row_sum;
        }
    return (float)(sum / ((double)num_frames * D));
}

void mse_backward(float *d_pred, const float *pred, const float *target, const int *lengths,
                  int T, int B, int D, float d_loss) {
    long num_frames = num_valid_frames(lengths, T, B);
    if (num_frames == 0 || D <= 0)
        return;
    float scale = (float)(2.0 * d_loss / ((double)num_frames * D));
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            if (lengths && t >= lengths[b])
                continue;
            size_t base = ((size_t)t * B + b) * D;
            for (int d = 0; d < D; d++)
                d_pred[base + d] += scale * (pred[base + d] - target[base + d]);
        }
}

static double dot_product(const float *a, const float *b, int dim) {
    double sum = 0.0;
    for (int k = 0; k < dim; k++)
        sum += (double)a[k] * b[k];
    return sum;
}

/* Whether candidate j enters anchor i's softmax: its own, or another word's. */
static int in_softmax(int j, int own, int anchor_class, const int *candidate_class) {
    return j == own || candidate_class[j] != anchor_class;
}

float contrastive_loss(const float *anchors, const int *anchor_class, const int *own, int n,
                       const float *candidates, const int *candidate_class, int m, int dim,
                       float temperature, float scale, float *d_anchors) {
    double total = 0.0;
    for (int i = 0; i < n; i++) {
        const float *a = anchors + (size_t)i * dim;
        // Three passes over the candidates (the largest logit, the softmax's
        // sum, the gradient) recompute the dot products instead of storing
        // them: m is a batch, so that costs less than an allocation.
        double top = -INFINITY;
        for (int j = 0; j < m; j++)
            if (in_softmax(j, own[i], anchor_class[i], candidate_class)) {
                double s = dot_product(a, candidates + (size_t)j * dim, dim) / temperature;
                if (s > top) top = s;
            }
        double sum = 0.0;
        for (int j = 0; j < m; j++)
            if (in_softmax(j, own[i], anchor_class[i], candidate_class))
                sum += exp(dot_product(a, candidates + (size_t)j * dim, dim) / temperature - top);
        double own_logit = dot_product(a, candidates + (size_t)own[i] * dim, dim) / temperature;
        total += top + log(sum) - own_logit;
        if (!d_anchors)
            continue;
        // d/da of log-sum-exp minus the own logit: (E_softmax[c] - c_own) / temperature
        float *d = d_anchors + (size_t)i * dim;
        for (int j = 0; j < m; j++) {
            if (!in_softmax(j, own[i], anchor_class[i], candidate_class))
                continue;
            const float *c = candidates + (size_t)j * dim;
            double p = exp(dot_product(a, c, dim) / temperature - top) / sum;
            double g = (p - (j == own[i])) * scale / temperature;
            for (int k = 0; k < dim; k++)
                d[k] += (float)(g * c[k]);
        }
    }
    return (float)(total * scale);
}
