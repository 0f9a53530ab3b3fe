/* Evening out a model's vector space: an affine map of the projection's
 * output that shrinks the few directions holding most of the vectors'
 * variance, fitted on windows of audio and folded into the projection
 * (autoencoder_fold_affine), so that the model stays an ordinary model.
 *
 * Why: the correspondence-trained model puts over a third of its vectors'
 * variance in one direction and a tenth in each of the next two (measured on
 * the training voices' windows: the largest variance is 49 times the mean
 * one).  Cosine search is then ruled by what those few directions say of a
 * window, and what tells words apart is spread thinly over the rest.
 * Scaling every direction whose variance exceeds cap times the mean
 * variance down to that level (and leaving the others as they are) raised
 * MAP on every evaluation set (README, Search quality); full whitening (all
 * variances equal) lowered it, as it also blows up the directions that hold
 * mostly noise.  The same idea as PCA whitening and "all-but-the-top"
 * post-processing of word embeddings (Mu & Viswanath 2018), made gentle. */
#ifndef S2S_VECTOR_WHITENING_H
#define S2S_VECTOR_WHITENING_H

/* Running sums of vectors (dim values each) for their mean and covariance. */
typedef struct {
    int dim;
    long count;
    double *sum;       /* (dim) */
    double *outer;     /* (dim, dim) sum of v v^T */
} whitening_stats;

/* Returns 0, or -1 when out of memory or dim < 1.  Free with
 * whitening_stats_free. */
int whitening_stats_init(whitening_stats *stats, int dim);
void whitening_stats_free(whitening_stats *stats);

/* Adds num vectors (num, dim) row-major.  Returns 0, or -1 when out of
 * memory. */
int whitening_stats_add(whitening_stats *stats, const float *vectors, long num);

/* What a fit found, to report. */
typedef struct {
    int directions_scaled;   /* directions above the cap */
    double top_share_before; /* largest direction's share of the total variance */
    double top_share_after;
} whitening_report;

/* Fits the map v -> transform (v - mean) from stats: transform = U diag(s)
 * U^T, U the covariance's eigenvectors, s_k = min(1, sqrt(cap * mean
 * variance / variance_k)).  transform (dim, dim) row-major and mean (dim)
 * are written; report (may be NULL) filled.  cap >= 1 (1: every direction
 * above the mean variance comes down to it).  Returns 0, or -1 with err
 * (fewer than dim + 1 vectors, no variance, or out of memory). */
int whitening_fit(const whitening_stats *stats, double cap, float *transform, float *mean,
                  whitening_report *report, char *err, int err_len);

/* The inverse of a fitted transform (symmetric, its eigenvalues the scales
 * in (0, 1]), dim x dim row-major: what undoes a whitening before another
 * is fitted.  Returns 0, or -1 when the matrix is not invertible (an
 * eigenvalue not above 0) or memory runs out. */
int whitening_invert(const float *transform, int dim, float *inverse);
#endif
