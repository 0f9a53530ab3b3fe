/* Adam, gradient clipping and finiteness checks over a parameter set.  See
 * optim.h. */
#include "optim.h"
#include <math.h>

AdamState adam_default(void) {
    return (AdamState){.learning_rate = 1e-3f, .beta1 = 0.9f, .beta2 = 0.999f,
                       .eps = 1e-8f, .num_steps = 0};
}

void adam_step(NnParams *set, AdamState *state) {
    state->num_steps++;
    const float beta1 = state->beta1, beta2 = state->beta2, eps = state->eps;
    const float correction1 = (float)(1.0 - pow(beta1, (double)state->num_steps));
    const float correction2 = (float)(1.0 - pow(beta2, (double)state->num_steps));
    const float lr = state->learning_rate;
    float *restrict value = set->values, *restrict m = set->adam_m, *restrict v = set->adam_v;
    const float *restrict grad = set->grads;
    const size_t n = set->num_params;
    for (size_t k = 0; k < n; k++) {
        float g = grad[k];
        m[k] = beta1 * m[k] + (1.0f - beta1) * g;
        v[k] = beta2 * v[k] + (1.0f - beta2) * g * g;
        float m_hat = m[k] / correction1;
        float v_hat = v[k] / correction2;
        value[k] -= lr * m_hat / (sqrtf(v_hat) + eps);
    }
}

float nn_grad_norm(const NnParams *set) {
    double sum = 0.0;
    for (size_t k = 0; k < set->num_params; k++)
        sum += (double)set->grads[k] * set->grads[k];
    return (float)sqrt(sum);
}

float nn_clip_grad_norm(NnParams *set, float max_norm) {
    float norm = nn_grad_norm(set);
    if (isfinite(norm) && norm > max_norm) {
        float scale = max_norm / norm;
        for (size_t k = 0; k < set->num_params; k++)
            set->grads[k] *= scale;
    }
    return norm;
}

int nn_grads_finite(const NnParams *set) {
    /* Summing keeps the loop branch-free: any NaN or inf makes the sum so. */
    float sum = 0.0f;
    for (size_t k = 0; k < set->num_params; k++)
        sum += set->grads[k] * 0.0f;
    return sum == 0.0f;
}

int nn_is_finite(float x) { return isfinite(x) != 0; }
