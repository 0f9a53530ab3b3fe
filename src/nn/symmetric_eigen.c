/* Cyclic Jacobi eigenvalue algorithm (Golub & Van Loan, "Matrix
 * Computations", 8.5): each rotation zeroes one off-diagonal pair; sweeps
 * over all pairs repeat until the off-diagonal mass is negligible
 * (quadratic convergence: 6-10 sweeps in practice). */
#include "symmetric_eigen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_SWEEPS = 100 };

static double off_diagonal_squares(const double *a, int n) {
    double sum = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            sum += a[i * n + j] * a[i * n + j];
    return sum;
}

/* Applies the rotation in plane (p, q) that zeroes a[p][q] to a (both
 * sides) and accumulates it into v (right side). */
static void rotate(double *a, double *v, int n, int p, int q) {
    double apq = a[p * n + q];
    double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
    double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1));
    double c = 1 / sqrt(t * t + 1), s = t * c;
    for (int k = 0; k < n; k++) { /* columns p and q */
        double akp = a[k * n + p], akq = a[k * n + q];
        a[k * n + p] = c * akp - s * akq;
        a[k * n + q] = s * akp + c * akq;
    }
    for (int k = 0; k < n; k++) { /* rows p and q */
        double apk = a[p * n + k], aqk = a[q * n + k];
        a[p * n + k] = c * apk - s * aqk;
        a[q * n + k] = s * apk + c * aqk;
    }
    a[p * n + q] = a[q * n + p] = 0;
    for (int k = 0; k < n; k++) {
        double vkp = v[k * n + p], vkq = v[k * n + q];
        v[k * n + p] = c * vkp - s * vkq;
        v[k * n + q] = s * vkp + c * vkq;
    }
}

/* Sorts the eigenpairs by descending value (selection sort: n is small). */
static void sort_descending(double *values, double *vectors, int n) {
    for (int i = 0; i < n; i++) {
        int best = i;
        for (int j = i + 1; j < n; j++)
            if (values[j] > values[best]) best = j;
        if (best == i) continue;
        double t = values[i];
        values[i] = values[best], values[best] = t;
        for (int k = 0; k < n; k++) {
            t = vectors[k * n + i];
            vectors[k * n + i] = vectors[k * n + best], vectors[k * n + best] = t;
        }
    }
}

int symmetric_eigen(const double *a, int n, double *values, double *vectors) {
    if (n < 1) return -1;
    double *w = malloc(sizeof(double) * n * n);
    if (!w) return -1;
    double total = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            w[i * n + j] = i <= j ? a[i * n + j] : a[j * n + i];
            total += w[i * n + j] * w[i * n + j];
        }
    if (!isfinite(total)) {
        free(w);
        return -1;
    }
    memset(vectors, 0, sizeof(double) * n * n);
    for (int i = 0; i < n; i++) vectors[i * n + i] = 1;
    int converged = 0;
    for (int sweep = 0; sweep < MAX_SWEEPS && !converged; sweep++) {
        if (off_diagonal_squares(w, n) <= 1e-30 * total) {
            converged = 1;
            break;
        }
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++)
                if (w[p * n + q] != 0) rotate(w, vectors, n, p, q);
    }
    if (!converged) converged = off_diagonal_squares(w, n) <= 1e-30 * total;
    for (int i = 0; i < n; i++) values[i] = w[i * n + i];
    free(w);
    if (!converged) return -1;
    sort_descending(values, vectors, n);
    return 0;
}
