/* Fully connected layer, forward and backward through OpenBLAS.  See
 * linear.h. */
#include "linear.h"
#include <cblas.h>
/* cblas.h includes <complex.h>, whose macro I (the imaginary unit) would
 * clash with the input size I used below. */
#undef I
#include <math.h>
#include <stdio.h>
#include <string.h>

void linear_forward(float *out, const float *in, const float *W, const float *b,
                    int N, int I, int O) {
    float beta = 0.0f;
    if (b) {
        for (int n = 0; n < N; n++)
            memcpy(out + (size_t)n * O, b, (size_t)O * sizeof(float));
        beta = 1.0f;
    }
    // out (N, O) = in (N, I) · W^T (I, O) [+ out]
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, O, I, 1.0f, in, I, W, I,
                beta, out, O);
}

void linear_backward(float *d_in, float *dW, float *db, const float *d_out,
                     const float *in, const float *W, int N, int I, int O) {
    if (d_in) // d_in (N, I) += d_out (N, O) · W (O, I)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, I, O, 1.0f, d_out, O,
                    W, I, 1.0f, d_in, I);
    // dW (O, I) += d_out^T (O, N) · in (N, I)
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, O, I, N, 1.0f, d_out, O, in, I,
                1.0f, dW, I);
    if (db)
        for (int n = 0; n < N; n++) {
            const float *row = d_out + (size_t)n * O;
            for (int o = 0; o < O; o++)
                db[o] += row[o];
        }
}

int linear_params_add(NnParams *set, const char *prefix, int I, int O) {
    char name[NN_TENSOR_NAME_MAX];
    if (snprintf(name, sizeof name, "%s.W", prefix) >= (int)sizeof name)
        return -1;
    int index = nn_params_add(set, name, O, I);
    if (index < 0)
        return -1;
    if (snprintf(name, sizeof name, "%s.b", prefix) >= (int)sizeof name)
        return -1;
    int b_index = nn_params_add(set, name, O, 1);
    if (b_index < 0)
        return -1;
    nn_params_set_init(set, b_index, NN_INIT_UNIFORM, 1.0f / sqrtf((float)I));
    return index;
}
