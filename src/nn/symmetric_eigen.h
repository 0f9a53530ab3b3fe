/* Eigenvalues and eigenvectors of a real symmetric matrix (cyclic Jacobi
 * rotations, in double precision).  For the small matrices s2s needs (the
 * 128 x 128 covariance of a model's vectors) this is exact to rounding and
 * fast (milliseconds), and needs nothing beyond the C library. */
#ifndef S2S_NN_SYMMETRIC_EIGEN_H
#define S2S_NN_SYMMETRIC_EIGEN_H

/* Decomposes the symmetric n x n row-major matrix a (only read; its lower
 * triangle is taken to equal the upper one) as a = V diag(values) V^T:
 * values (n) in descending order, V's columns orthonormal, written
 * row-major to vectors (n x n: vectors[i * n + k] is component i of the
 * k-th eigenvector).  Returns 0, or -1 when n < 1, memory runs out or the
 * rotations do not converge (they always do for finite input; NaN or
 * infinite entries are refused). */
int symmetric_eigen(const double *a, int n, double *values, double *vectors);

#endif
