/* The data-parallel training step: a batch split over worker threads, each
 * gathering its share of segments (and their transcripts), running forward
 * and backward on its own scratch, and the gradients summed into the
 * model's.  See trainer_internal.h. */
#include "trainer_internal.h"
#include "loss.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

int trainer_contrast_init(trainer_contrast *c, float weight, float temperature, int room,
                          int vector_dim) {
    *c = (trainer_contrast){weight, temperature, malloc(sizeof(float) * room * vector_dim),
                            malloc(sizeof(int) * room), room, 0};
    return c->candidates && c->classes ? 0 : -1;
}

void trainer_contrast_free(trainer_contrast *c) {
    free(c->candidates);
    free(c->classes);
}

int trainer_worker_init(trainer_worker *w, const autoencoder *m, const trainer_data *d,
                        const trainer_worker_sizes *sz, float ctc_weight,
                        trainer_contrast *contrast) {
    memset(w, 0, sizeof *w);
    if (contrast) {
        w->contrast = contrast;
        w->encoder = encoder_state_new(m, sz->max_batch, sz->max_frames);
        w->anchor_class = malloc(sizeof(int) * sz->max_batch);
        w->own = malloc(sizeof(int) * sz->max_batch);
        if (!w->encoder || !w->anchor_class || !w->own)
            return -1;
    }
    w->m = m, w->d = d, w->ctc_weight = ctc_weight;
    w->max_batch = sz->max_batch > sz->utt_batch ? sz->max_batch : sz->utt_batch;
    size_t frames = (size_t)sz->max_frames * sz->max_batch;
    if ((size_t)sz->utt_frames * sz->utt_batch > frames)
        frames = (size_t)sz->utt_frames * sz->utt_batch;
    size_t n = frames * d->dim;
    w->work = autoencoder_work_new(m, sz->max_batch, sz->max_frames, sz->max_frames);
    if (sz->utt_batch > 0)
        w->utt_work = autoencoder_work_new(m, sz->utt_batch, sz->utt_frames, 1);
    w->in = malloc(n * sizeof(float));
    w->clean = malloc(n * sizeof(float));
    w->tgt = malloc(n * sizeof(float));
    w->in_len = malloc(w->max_batch * sizeof(int));
    w->tgt_len = malloc(w->max_batch * sizeof(int));
    w->labels = malloc(((size_t)w->max_batch * sz->max_labels + 1) * sizeof(int));
    w->label_off = malloc(w->max_batch * sizeof(int));
    w->label_len = malloc(w->max_batch * sizeof(int));
    w->grads = calloc(autoencoder_params_const(m)->num_params, sizeof(float));
    return w->work && (w->utt_work || sz->utt_batch == 0) && w->in && w->clean && w->tgt &&
                   w->in_len && w->tgt_len && w->labels && w->label_off && w->label_len &&
                   w->grads
               ? 0
               : -1;
}

void trainer_worker_free(trainer_worker *w) {
    encoder_state_free(w->encoder);
    free(w->anchor_class);
    free(w->own);
    autoencoder_work_free(w->work);
    autoencoder_work_free(w->utt_work);
    free(w->labels);
    free(w->label_off);
    free(w->label_len);
    free(w->in);
    free(w->clean);
    free(w->tgt);
    free(w->in_len);
    free(w->tgt_len);
    free(w->grads);
}

/* out (T, n, D) time-major, zero-padded, from segments ids; lengths (n); returns T. */
static int gather(float *out, int *lengths, const trainer_data *d, const long *ids, int n) {
    int T = 0, D = d->dim;
    for (int b = 0; b < n; b++) {
        lengths[b] = d->segs[ids[b]].length;
        if (lengths[b] > T)
            T = lengths[b];
    }
    memset(out, 0, sizeof(float) * (size_t)T * n * D);
    for (int b = 0; b < n; b++) {
        const float *src = d->pool + d->segs[ids[b]].offset;
        for (int t = 0; t < lengths[b]; t++)
            memcpy(out + ((size_t)t * n + b) * D, src + (size_t)t * D, sizeof(float) * D);
    }
    return T;
}

/* The transcripts of segments ids into labels, offsets and lengths (n);
 * returns the number of labels. */
static int gather_labels(int *labels, int *offsets, int *lengths, const trainer_data *d,
                         const long *ids, int n) {
    int pos = 0;
    for (int b = 0; b < n; b++) {
        const segment *s = &d->segs[ids[b]];
        offsets[b] = pos;
        lengths[b] = s->num_labels;
        memcpy(labels + pos, d->labels + s->label_offset, sizeof(int) * s->num_labels);
        pos += s->num_labels;
    }
    return pos;
}

void trainer_mask_time_spans(float *x, const int *lengths, int T, int B, int D, float share,
                             uint64_t *rng) {
    const double mean_span = (1 + TRAINER_MASK_MAX_SPAN) / 2.0;
    for (int b = 0; b < B; b++) {
        const int len = lengths[b] < T ? lengths[b] : T;
        const double expected = share * len / mean_span;
        long spans = (long)expected + (rand_unit(rng) < expected - (long)expected);
        for (long s = 0; s < spans && len > 0; s++) {
            int width = 1 + (int)rand_below(rng, TRAINER_MASK_MAX_SPAN);
            if (width > len)
                width = len;
            const int start = (int)rand_below(rng, len - width + 1);
            for (int t = start; t < start + width; t++)
                memset(x + ((size_t)t * B + b) * D, 0, sizeof(float) * D);
        }
    }
}

/* Whether w's share of the batch has a contrastive term: pairs (CTC-only
 * batches have no partners) and vectors that learn. */
static int contrast_applies(const trainer_worker *w) {
    return w->contrast && w->partners && !w->head_only;
}

/* Phase one of a batch with a contrastive term: the vectors of this
 * worker's share of the partners, and their words, into the shared
 * candidates. */
static void *encode_partners(void *arg) {
    trainer_worker *w = arg;
    if (w->n == 0)
        return NULL;
    const int V = autoencoder_vector_dim(w->m);
    int T = gather(w->tgt, w->tgt_len, w->d, w->partners, w->n);
    autoencoder_encode_batch(w->m, w->encoder, w->tgt, w->tgt_len, T, w->n,
                             w->contrast->candidates + (size_t)w->first * V);
    for (int b = 0; b < w->n; b++)
        w->contrast->classes[w->first + b] = w->d->segs[w->partners[b]].word;
    return NULL;
}

/* The contrastive term (ae_batch.vector_loss) of this worker's inputs u
 * (B, V): each against every partner of the batch, its own the positive;
 * a mean over the whole batch, weighted. */
static float contrast_vector_loss(void *ctx, const float *u, int B, int V, float *d_u) {
    trainer_worker *w = ctx;
    const trainer_contrast *c = w->contrast;
    for (int b = 0; b < B; b++) {
        w->anchor_class[b] = w->d->segs[w->items[b]].word;
        w->own[b] = w->first + b;
    }
    memset(d_u, 0, sizeof(float) * (size_t)B * V);
    return contrastive_loss(u, w->anchor_class, w->own, B, c->candidates, c->classes, c->n, V,
                            c->temperature, c->weight / c->n, d_u);
}

static void *worker_run(void *arg) {
    trainer_worker *w = arg;
    if (w->n == 0) {
        w->loss = 0;
        if (w->backward)
            memset(w->grads, 0, sizeof(float) * autoencoder_params_const(w->m)->num_params);
        return NULL;
    }
    int D = w->d->dim;
    int rebuild = w->d->segs[w->items[0]].rebuild; /* batches are of one kind */
    int T_in = gather(w->clean, w->in_len, w->d, w->items, w->n);
    const float *in = w->clean, *tgt = w->clean;
    const int *tgt_len = w->in_len;
    int T_out = T_in;
    if (w->partners && rebuild) {
        T_out = gather(w->tgt, w->tgt_len, w->d, w->partners, w->n);
        tgt = w->tgt, tgt_len = w->tgt_len;
    }
    if (w->noise.value_drop > 0 || w->noise.time_mask > 0) {
        size_t n = (size_t)T_in * w->n * D;
        if (w->noise.value_drop > 0)
            for (size_t k = 0; k < n; k++)
                w->in[k] = rand_unit(&w->rng) < w->noise.value_drop ? 0.0f : w->clean[k];
        else
            memcpy(w->in, w->clean, sizeof(float) * n);
        if (w->noise.time_mask > 0)
            trainer_mask_time_spans(w->in, w->in_len, T_in, w->n, D, w->noise.time_mask, &w->rng);
        in = w->in;
    }
    if (w->backward)
        memset(w->grads, 0, sizeof(float) * autoencoder_params_const(w->m)->num_params);
    ae_batch bt = {.in = in, .in_lengths = w->in_len, .T_in = T_in, .B = w->n,
                   .target = rebuild && !w->head_only ? tgt : NULL, .tgt_lengths = tgt_len,
                   .T_out = T_out, .ctc_weight = w->ctc_weight,
                   .encoder_fixed = w->encoder_fixed};
    if (contrast_applies(w))
        bt.vector_loss = contrast_vector_loss, bt.vector_loss_ctx = w;
    if (w->ctc_weight > 0 &&
        gather_labels(w->labels, w->label_off, w->label_len, w->d, w->items, w->n) > 0)
        bt.labels = w->labels, bt.label_offsets = w->label_off, bt.label_lengths = w->label_len;
    w->loss = autoencoder_train_batch(w->m, rebuild ? w->work : w->utt_work, &bt, w->weight,
                                      w->backward ? w->grads : NULL, NULL);
    return NULL;
}

/* Runs fn on each of the workers, each in a thread of its own (the first in
 * this one), and waits for all. */
static void run_workers(trainer_worker *workers, int num_threads, void *(*fn)(void *)) {
    pthread_t tids[TRAINER_MAX_THREADS];
    int started[TRAINER_MAX_THREADS] = {0};
    for (int k = 1; k < num_threads; k++)
        if (pthread_create(&tids[k], NULL, fn, &workers[k]) == 0)
            started[k] = 1;
        else
            fn(&workers[k]); /* could not start a thread: do it here */
    fn(&workers[0]);
    for (int k = 1; k < num_threads; k++)
        if (started[k])
            pthread_join(tids[k], NULL);
}

float trainer_run_batch(autoencoder *m, trainer_worker *workers, int num_threads,
                        const trainer_data *d, const long *items, const long *partners, int n,
                        const trainer_input_noise *noise, uint64_t rng_seed, int backward) {
    int per = (n + num_threads - 1) / num_threads;
    long total = 0;
    if (!d->segs[items[0]].rebuild)
        partners = NULL; /* CTC only: the input is what is weighed */
    for (int b = 0; b < n; b++)
        total += d->segs[partners ? partners[b] : items[b]].length;
    for (int k = 0; k < num_threads; k++) {
        trainer_worker *w = &workers[k];
        int lo = k * per < n ? k * per : n, hi = (k + 1) * per < n ? (k + 1) * per : n;
        w->items = items + lo, w->partners = partners ? partners + lo : NULL, w->n = hi - lo;
        w->first = lo;
        long frames = 0;
        for (int b = lo; b < hi; b++)
            frames += d->segs[partners ? partners[b] : items[b]].length;
        w->weight = total ? (float)frames / total : 0;
        w->noise = noise ? *noise : (trainer_input_noise){0, 0};
        w->rng = rng_seed * 0x100000001B3ull + k;
        w->backward = backward;
    }
    // Every input's contrastive term needs every partner's vector: those
    // come first, in a pass of their own.
    if (contrast_applies(&workers[0])) {
        workers[0].contrast->n = n;
        run_workers(workers, num_threads, encode_partners);
    }
    run_workers(workers, num_threads, worker_run);
    double loss = 0;
    for (int k = 0; k < num_threads; k++)
        loss += (double)workers[k].loss * workers[k].weight;
    if (backward) {
        NnParams *p = autoencoder_params(m);
        memcpy(p->grads, workers[0].grads, sizeof(float) * p->num_params);
        for (int k = 1; k < num_threads; k++)
            for (size_t i = 0; i < p->num_params; i++)
                p->grads[i] += workers[k].grads[i];
    }
    return (float)loss;
}
