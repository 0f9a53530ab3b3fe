/* Sigmoid and tanh over arrays, written so the compiler vectorises them.
 *
 * libm's expf/tanhf are scalar calls: in an LSTM they cost as much as the
 * matrix products. Here exp is computed branch-free (Cody-Waite range
 * reduction to [-ln2/2, ln2/2], a degree-6 polynomial, scaling by 2^n through
 * the exponent bits), which GCC turns into SIMD code at -O3. Relative error
 * below 2e-7 over the clamped range, so results match libm's to float
 * precision (the gradient tests check the layers that use them). */
#ifndef S2S_ACTIVATIONS_H
#define S2S_ACTIVATIONS_H
#include <stdint.h>
#include <string.h>

/* exp(x) for x clamped to [-87, 87] (no overflow, no denormals). */
static inline float nn_exp(float x) {
    x = x < -87.0f ? -87.0f : x; /* two selects: GCC if-converts each to SIMD */
    x = x > 87.0f ? 87.0f : x;
    /* Round to nearest by adding and removing 1.5 * 2^23 (SSE2 has no
     * rounding instruction; roundf would stay a scalar call). */
    float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = x - n * 0.693359375f;   /* ln2 split in two for exact reduction */
    r = r + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

static inline float nn_sigmoid(float x) { return 1.0f / (1.0f + nn_exp(-x)); }

/* tanh(x) = 1 - 2 / (exp(2x) + 1): exact at 0 and saturating cleanly. */
static inline float nn_tanh(float x) { return 1.0f - 2.0f / (nn_exp(2.0f * x) + 1.0f); }

/* In place over n values. */
static inline void nn_sigmoid_array(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = nn_sigmoid(x[i]);
}
static inline void nn_tanh_array(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = nn_tanh(x[i]);
}
#endif
