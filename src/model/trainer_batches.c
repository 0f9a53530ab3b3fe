/* The trainer's batching: which segments pair up for the correspondence
 * variant (same word, other speaker) and each epoch's order of batches
 * (sorted by kind and length so a batch wastes little padding, batches
 * shuffled).  Deterministic for a given seed and epoch. */
#include "trainer_internal.h"

#include <stdlib.h>

int trainer_word_groups_build(const trainer_data *d, trainer_word_groups *g) {
    int W = d->words.num;
    g->by_word = malloc(sizeof(long) * (d->num_segs ? d->num_segs : 1));
    g->word_start = calloc(W + 2, sizeof(long));
    if (!g->by_word || !g->word_start)
        return -1;
    for (long i = 0; i < d->num_segs; i++)
        if (d->segs[i].word >= 0)
            g->word_start[d->segs[i].word + 1]++;
    for (int w = 0; w < W; w++)
        g->word_start[w + 1] += g->word_start[w];
    long *fill = calloc(W + 1, sizeof(long));
    if (!fill)
        return -1;
    for (long i = 0; i < d->num_segs; i++)
        if (d->segs[i].word >= 0) {
            int w = d->segs[i].word;
            g->by_word[g->word_start[w] + fill[w]++] = i;
        }
    free(fill);
    return 0;
}

/* A random partner of segment i (same word, other speaker, allowed[j] set),
 * or -1 when there is none. */
long trainer_pick_partner(const trainer_data *d, const trainer_word_groups *g,
                          const unsigned char *allowed, long i, uint64_t *rng) {
    int w = d->segs[i].word;
    if (w < 0)
        return -1;
    long count = 0;
    for (long k = g->word_start[w]; k < g->word_start[w + 1]; k++) {
        long j = g->by_word[k];
        count += allowed[j] && d->segs[j].speaker != d->segs[i].speaker;
    }
    if (count == 0)
        return -1;
    long pick = rand_below(rng, count);
    for (long k = g->word_start[w]; k < g->word_start[w + 1]; k++) {
        long j = g->by_word[k];
        if (allowed[j] && d->segs[j].speaker != d->segs[i].speaker && pick-- == 0)
            return j;
    }
    return -1;
}

static int compare_items(const void *a, const void *b) {
    const trainer_sort_item *x = a, *y = b;
    if (x->rebuild != y->rebuild)
        return x->rebuild > y->rebuild ? -1 : 1;
    if (x->length != y->length)
        return x->length < y->length ? -1 : 1;
    return (x->rank > y->rank) - (x->rank < y->rank);
}

/* Cuts sorted items into batches of one kind: up to B segments the decoder
 * rebuilds, up to utt_batch utterances.  Writes chunk_start (num + 1);
 * returns the number of batches. */
static long cut_batches(const trainer_sort_item *sorted, long n, int B, int utt_batch,
                        long *chunk_start) {
    long nb = 0;
    for (long i = 0, j; i < n; i = j) {
        long size = sorted[i].rebuild ? B : utt_batch;
        for (j = i; j < n && j - i < size && sorted[j].rebuild == sorted[i].rebuild; j++)
            ;
        chunk_start[nb++] = i;
    }
    chunk_start[nb] = n;
    return nb;
}

/* This epoch's order: items shuffled, sorted by kind and length (ties in
 * shuffled order), cut into batches (cut_batches), batches shuffled.  Writes
 * order (n) and batch_start (num_batches + 1); returns num_batches, -1 when
 * out of memory. */
long trainer_epoch_order(const trainer_data *d, const long *items, long n, int B, int utt_batch,
                         uint64_t seed, int epoch, trainer_sort_item *scratch, long *order,
                         long *batch_start, long *batch_perm) {
    uint64_t rng = seed * 0x9E3779B97F4A7C15ull + (uint64_t)epoch * 7919 + 1;
    for (long i = 0; i < n; i++)
        scratch[i] = (trainer_sort_item){items[i], d->segs[items[i]].length,
                                         d->segs[items[i]].rebuild, 0};
    for (long i = n - 1; i > 0; i--) {
        long j = rand_below(&rng, i + 1);
        trainer_sort_item t = scratch[i];
        scratch[i] = scratch[j], scratch[j] = t;
    }
    for (long i = 0; i < n; i++)
        scratch[i].rank = i;
    qsort(scratch, n, sizeof *scratch, compare_items);
    long *chunk_start = malloc(sizeof(long) * (n + 2));
    if (!chunk_start)
        return -1;
    long nb = cut_batches(scratch, n, B, utt_batch, chunk_start);
    for (long b = 0; b < nb; b++)
        batch_perm[b] = b;
    for (long b = nb - 1; b > 0; b--) {
        long j = rand_below(&rng, b + 1);
        long t = batch_perm[b];
        batch_perm[b] = batch_perm[j], batch_perm[j] = t;
    }
    long pos = 0;
    for (long b = 0; b < nb; b++) {
        batch_start[b] = pos;
        for (long k = chunk_start[batch_perm[b]]; k < chunk_start[batch_perm[b] + 1]; k++)
            order[pos++] = scratch[k].id;
    }
    batch_start[nb] = pos;
    free(chunk_start);
    return nb;
}

