/* Vector-space whitening with a cap (see vector_whitening.h). */
#include "vector_whitening.h"
#include "symmetric_eigen.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int whitening_stats_init(whitening_stats *stats, int dim) {
    *stats = (whitening_stats){.dim = dim};
    if (dim < 1) return -1;
    stats->sum = calloc(dim, sizeof(double));
    stats->outer = calloc((size_t)dim * dim, sizeof(double));
    if (!stats->sum || !stats->outer) {
        whitening_stats_free(stats);
        return -1;
    }
    return 0;
}

void whitening_stats_free(whitening_stats *stats) {
    free(stats->sum);
    free(stats->outer);
    *stats = (whitening_stats){0};
}

/* out (dim, dim) = U diag(d) U^T, U's columns the eigenvectors (row-major,
 * as symmetric_eigen gives them): a map that scales each eigendirection by
 * its d. */
static void scale_eigendirections(const double *u, const double *d, int dim, float *out) {
    for (int i = 0; i < dim; i++)
        for (int j = 0; j < dim; j++) {
            double sum = 0;
            for (int k = 0; k < dim; k++)
                sum += u[(size_t)i * dim + k] * d[k] * u[(size_t)j * dim + k];
            out[(size_t)i * dim + j] = (float)sum;
        }
}

enum { BLOCK = 1024 }; /* rows summed in float before joining the double sums */

int whitening_stats_add(whitening_stats *stats, const float *vectors, long num) {
    const int dim = stats->dim;
    float *block = malloc(sizeof(float) * dim * dim);
    if (!block) return -1;
    for (long first = 0; first < num; first += BLOCK) {
        long rows = num - first < BLOCK ? num - first : BLOCK;
        const float *v = vectors + first * dim;
        /* block = v^T v over these rows (upper triangle) */
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, dim, (int)rows, 1.0f, v, dim, 0.0f,
                    block, dim);
        for (int i = 0; i < dim; i++)
            for (int j = i; j < dim; j++)
                stats->outer[(size_t)i * dim + j] += block[(size_t)i * dim + j];
        for (long r = 0; r < rows; r++)
            for (int i = 0; i < dim; i++)
                stats->sum[i] += v[r * dim + i];
    }
    stats->count += num;
    free(block);
    return 0;
}

int whitening_fit(const whitening_stats *stats, double cap, float *transform, float *mean,
                  whitening_report *report, char *err, int err_len) {
    const int dim = stats->dim;
    const long n = stats->count;
    if (n <= dim) {
        snprintf(err, err_len, "%ld windows of speech, too few to fit %d directions (need more "
                 "than %d)", n, dim, dim);
        return -1;
    }
    double *cov = calloc((size_t)dim * dim, sizeof(double)), *values = malloc(sizeof(double) * dim);
    double *vectors = malloc(sizeof(double) * dim * dim), *mu = malloc(sizeof(double) * dim);
    double *scale = malloc(sizeof(double) * dim);
    int rc = -1;
    if (!cov || !values || !vectors || !mu || !scale) {
        snprintf(err, err_len, "out of memory");
        goto done;
    }
    for (int i = 0; i < dim; i++) mu[i] = stats->sum[i] / n;
    for (int i = 0; i < dim; i++) /* upper triangle; symmetric_eigen mirrors it */
        for (int j = i; j < dim; j++)
            cov[(size_t)i * dim + j] = cov[(size_t)j * dim + i] =
                (stats->outer[(size_t)i * dim + j] - n * mu[i] * mu[j]) / (n - 1);
    if (symmetric_eigen(cov, dim, values, vectors) != 0) {
        snprintf(err, err_len, "the vectors' covariance could not be decomposed");
        goto done;
    }
    double total = 0;
    for (int k = 0; k < dim; k++) total += values[k] > 0 ? values[k] : 0;
    if (!(total > 0)) {
        snprintf(err, err_len, "the vectors do not vary: nothing to fit");
        goto done;
    }
    double limit = cap * total / dim, total_after = 0, top_after = 0;
    int scaled = 0;
    for (int k = 0; k < dim; k++) {
        scale[k] = values[k] > limit ? sqrt(limit / values[k]) : 1.0;
        scaled += values[k] > limit;
        double after = values[k] > 0 ? values[k] * scale[k] * scale[k] : 0;
        total_after += after;
        if (after > top_after) top_after = after;
    }
    scale_eigendirections(vectors, scale, dim, transform);
    for (int i = 0; i < dim; i++) mean[i] = (float)mu[i];
    if (report)
        *report = (whitening_report){scaled, (values[0] > 0 ? values[0] : 0) / total,
                                     top_after / total_after};
    rc = 0;
done:
    free(cov);
    free(values);
    free(vectors);
    free(mu);
    free(scale);
    return rc;
}

int whitening_invert(const float *transform, int dim, float *inverse) {
    double *a = malloc(sizeof(double) * dim * dim), *u = malloc(sizeof(double) * dim * dim);
    double *values = malloc(sizeof(double) * dim);
    int rc = -1;
    if (!a || !u || !values) goto done;
    for (int i = 0; i < dim * dim; i++) a[i] = transform[i];
    if (symmetric_eigen(a, dim, values, u) != 0 || !(values[dim - 1] > 0)) goto done;
    for (int k = 0; k < dim; k++) values[k] = 1 / values[k];
    scale_eigendirections(u, values, dim, inverse);
    rc = 0;
done:
    free(a);
    free(u);
    free(values);
    return rc;
}
