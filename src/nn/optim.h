/* Optimisation over a whole parameter set: Adam, gradient-norm clipping and
 * a finiteness check.  Each is one flat loop over the set's num_params floats
 * (values, grads and Adam moments share one layout; see nn_params.h). */
#ifndef S2S_NN_OPTIM_H
#define S2S_NN_OPTIM_H
#include "nn_params.h"

/* Adam's settings and its step count (needed for bias correction; save it
 * with the moments to resume training). */
typedef struct {
    float learning_rate; /* default 1e-3 */
    float beta1;         /* default 0.9 */
    float beta2;         /* default 0.999 */
    float eps;           /* default 1e-8 */
    long num_steps;      /* steps taken so far; 0 before the first */
} AdamState;

/* The defaults above (PyTorch's), num_steps 0. */
AdamState adam_default(void);

/* One Adam step on every parameter from its gradient, exactly as
 * torch.optim.Adam (no weight decay): increments state->num_steps, updates
 * set->adam_m, set->adam_v, then
 * value -= lr * m_hat / (sqrt(v_hat) + eps) with bias-corrected moments. */
void adam_step(NnParams *set, AdamState *state);

/* L2 norm of all gradients together, computed in double. */
float nn_grad_norm(const NnParams *set);

/* Scales all gradients so that their joint L2 norm is at most max_norm
 * (like torch.nn.utils.clip_grad_norm_); returns the norm before clipping.
 * Gradients are left alone when the norm is within bounds or not finite
 * (check with nn_grads_finite and skip the step instead). */
float nn_clip_grad_norm(NnParams *set, float max_norm);

/* 1 if every gradient is finite (no NaN or infinity), else 0. */
int nn_grads_finite(const NnParams *set);

/* 1 if x is finite, else 0 (a loss that overflowed means skip the step). */
int nn_is_finite(float x);

#endif
