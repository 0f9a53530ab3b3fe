/* Masked mean squared error, forward and backward.  See loss.h. */
#include "loss.h"
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
