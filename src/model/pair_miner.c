/* Mutual-nearest-neighbour pair mining (see pair_miner.h): similarities a
 * block of rows at a time through one BLAS product, each row's best allowed
 * neighbour kept, then the pairs that chose each other. */
#include "pair_miner.h"
#include "gemm.h"

#include <cblas.h>
#undef I /* complex.h's imaginary unit, pulled in by cblas.h */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { ROWS_PER_BLOCK = 256 };

pair_miner_options pair_miner_defaults(void) {
    pair_miner_options o = {
        .min_cosine = 0.8f,
        .max_length_ratio = 1.5f,
        .same_group = 0,
        .max_pairs = 0,
        .center = 1,
    };
    return o;
}

/* Whether window j may be paired with window i (i != j). */
static int allowed(const pair_window *wi, const pair_window *wj, const pair_miner_options *o) {
    long li = wi->end - wi->start, lj = wj->end - wj->start;
    long longer = li > lj ? li : lj, shorter = li > lj ? lj : li;
    if ((double)longer > (double)o->max_length_ratio * (double)shorter)
        return 0;
    if (wi->group != wj->group)
        return 1;
    return o->same_group && (wi->end <= wj->start || wj->end <= wi->start);
}

/* out (num, dim) = each row of in minus the rows' mean, scaled to unit length
 * (a row equal to the mean stays zero). */
static void center_vectors(float *out, const float *in, long num, int dim) {
    double mean[dim];
    for (int k = 0; k < dim; k++) mean[k] = 0;
    for (long i = 0; i < num; i++)
        for (int k = 0; k < dim; k++) mean[k] += in[i * dim + k];
    for (int k = 0; k < dim; k++) mean[k] /= (double)num;
    for (long i = 0; i < num; i++) {
        double sum_sq = 0;
        for (int k = 0; k < dim; k++) {
            double v = in[i * dim + k] - mean[k];
            out[i * dim + k] = (float)v;
            sum_sq += v * v;
        }
        float scale = sum_sq > 0 ? (float)(1.0 / sqrt(sum_sq)) : 0.0f;
        for (int k = 0; k < dim; k++) out[i * dim + k] *= scale;
    }
}

static int compare_pairs(const void *x, const void *y) {
    const mined_pair *p = x, *q = y;
    if (p->cosine != q->cosine)
        return p->cosine > q->cosine ? -1 : 1;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    return (p->b > q->b) - (p->b < q->b);
}

long pair_mine(const float *vectors, const pair_window *windows, long num, int dim,
               const pair_miner_options *options, int num_threads, mined_pair **pairs,
               char *err, int err_len) {
    *pairs = NULL;
    if (num < 2)
        return 0;
    long *nearest = malloc(sizeof(long) * num);      /* (num) best allowed neighbour, -1 none */
    float *best = malloc(sizeof(float) * num);       /* (num) its cosine */
    float *sims = malloc(sizeof(float) * ROWS_PER_BLOCK * num); /* (ROWS_PER_BLOCK, num) */
    float *centered = options->center ? malloc(sizeof(float) * num * dim) : NULL; /* (num, dim) */
    long count = -1;
    if (!nearest || !best || !sims || (options->center && !centered)) {
        snprintf(err, err_len, "out of memory (pair mining over %ld windows)", num);
        goto cleanup;
    }
    if (centered) {
        center_vectors(centered, vectors, num, dim);
        vectors = centered;
    }
    nn_blas_set_threads(num_threads > 0 ? num_threads : 1);
    for (long r0 = 0; r0 < num; r0 += ROWS_PER_BLOCK) {
        int rows = (int)(num - r0 < ROWS_PER_BLOCK ? num - r0 : ROWS_PER_BLOCK);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, (int)num, dim, 1.0f,
                    vectors + r0 * dim, dim, vectors, dim, 0.0f, sims, (int)num);
        for (int r = 0; r < rows; r++) {
            long i = r0 + r, arg = -1;
            float top = -2.0f;
            const float *row = sims + (long)r * num;
            for (long j = 0; j < num; j++)
                if (row[j] > top && j != i && allowed(&windows[i], &windows[j], options))
                    top = row[j], arg = j;
            nearest[i] = arg, best[i] = top;
        }
    }
    nn_blas_set_threads(1);
    count = 0;
    for (long i = 0; i < num; i++)
        count += nearest[i] > i && nearest[nearest[i]] == i && best[i] >= options->min_cosine;
    if (count == 0)
        goto cleanup;
    *pairs = malloc(sizeof(mined_pair) * count);
    if (!*pairs) {
        snprintf(err, err_len, "out of memory");
        count = -1;
        goto cleanup;
    }
    long n = 0;
    for (long i = 0; i < num; i++)
        if (nearest[i] > i && nearest[nearest[i]] == i && best[i] >= options->min_cosine)
            (*pairs)[n++] = (mined_pair){i, nearest[i], best[i]};
    qsort(*pairs, n, sizeof(mined_pair), compare_pairs);
    if (options->max_pairs > 0 && count > options->max_pairs)
        count = options->max_pairs;
cleanup:
    free(nearest);
    free(best);
    free(sims);
    free(centered);
    return count;
}
