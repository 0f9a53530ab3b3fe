/* Mining pairs of windows that are probably the same word said twice, from
 * their vectors alone (no labels): two windows are paired when each is the
 * other's nearest neighbour by cosine among the windows it may be paired
 * with, and their cosine is high.  This is what lets `s2s train --db` train
 * the correspondence objective (rebuild another instance of the same word)
 * on a user's unlabelled audio: the current model, already trained on real
 * pairs, proposes the pairs (as unsupervised term discovery did for Kamper
 * et al. 2015's correspondence autoencoder).
 *
 * Knows nothing of audio: windows are vectors with a group (the recording),
 * a start and an end (any unit, frames in practice). */
#ifndef S2S_PAIR_MINER_H
#define S2S_PAIR_MINER_H

typedef struct {
    float min_cosine;        /* 0.8: pairs below are dropped */
    float max_length_ratio;  /* 1.5: longer / shorter window at most this */
    int same_group;          /* 0: only windows of different groups are paired; 1: also
                                windows of one group that do not overlap */
    long max_pairs;          /* 0: all; else the best max_pairs by cosine */
    int center;              /* 1: subtract the mean vector (and renormalise) first */
} pair_miner_options;

pair_miner_options pair_miner_defaults(void);

/* One window in the miner's input. */
typedef struct {
    int group;   /* recording */
    long start;  /* [start, end) */
    long end;
} pair_window;

typedef struct {
    long a, b;     /* window indices, a < b */
    float cosine;
} mined_pair;

/* Mutual-nearest-neighbour pairs among num windows whose unit vectors are
 * vectors (num, dim) row-major.  Window j is a candidate for window i when
 * j != i, their length ratio is within max_length_ratio, and they are in
 * different groups (or, with same_group, in one group without overlap).
 * With center, cosines are those of the vectors minus their mean: a model's
 * vectors share a common direction (all windows of speech look alike to
 * some degree), which makes every cosine high and lets a few "hub" windows
 * be everyone's neighbour; removing it leaves what tells windows apart.
 * Writes the pairs, best cosine first (ties by a, then b), into a malloc'ed
 * *pairs (caller frees; NULL when there are none) and returns their number,
 * or -1 with err (out of memory).  Cost: num^2 * dim multiply-adds, in
 * blocks through BLAS with num_threads threads; memory: a block of
 * similarities (256 x num floats) and a few arrays of num. */
long pair_mine(const float *vectors, const pair_window *windows, long num, int dim,
               const pair_miner_options *options, int num_threads, mined_pair **pairs,
               char *err, int err_len);
#endif
