/* Fully connected layer: out = in · W^T + b over a batch of N rows.  W is laid
 * out (O, I) like PyTorch's nn.Linear, so a row of W is one output's weights
 * and the fan-in is the row length.  In shape comments I = input_size and
 * O = output_size.  Both passes are one cblas_sgemm each;
 * nothing is allocated.  For sequences, N is T * B (time-major frames). */
#ifndef S2S_NN_LINEAR_H
#define S2S_NN_LINEAR_H
#include "nn_params.h"

/* out (N, O) = in (N, I) · W (O, I)^T + b (O).  b may be NULL (no bias).
 * out must not overlap in. */
void linear_forward(float *out, const float *in, const float *W, const float *b,
                    int N, int input_size, int output_size);

/* Gradients of linear_forward given d_out (N, O).  All are ADDED into:
 * d_in (N, I) += d_out · W (skipped when d_in is NULL),
 * dW (O, I) += d_out^T · in, db (O) += column sums of d_out (skipped when db
 * is NULL). */
void linear_backward(float *d_in, float *dW, float *db, const float *d_out,
                     const float *in, const float *W, int N, int input_size, int output_size);

/* Declares "<prefix>.W" (O, I) and "<prefix>.b" (O, 1) in a parameter set,
 * both initialised uniform in +-1/sqrt(I) (PyTorch's default).  Returns the
 * index of W (b follows it), or -1 as nn_params_add does. */
int linear_params_add(NnParams *set, const char *prefix, int input_size, int output_size);

#endif
