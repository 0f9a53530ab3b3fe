/* Training the autoencoder: options, the model to start from, checkpoints,
 * the epochs with validation (the data is loaded by trainer_data.c, a batch
 * runs in trainer_step.c). See trainer.h for the contract. */
#include "trainer_internal.h"
#include "gemm.h"
#include "ctc_head.h"
#include "ctc_text.h"
#include "optim.h"
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

trainer_options trainer_defaults(void) {
    trainer_options o = {
        .config = autoencoder_config_default(),
        .epochs = 10,
        .batch_size = 64,
        .learning_rate = 1e-3f,
        .clip_norm = 5.0f,
        .num_threads = 1,
        .seed = 1,
        .variant = TRAINER_PLAIN,
        .denoise_prob = 0.2f,
        .validation_fraction = 0.05f,
        .min_window_frames = 20,
        .max_window_frames = 100,
        .max_segment_frames = 200,
        .progress_every = 20,
        .max_validation = 1024,
        .transcripts_path = NULL,
        .ctc_weight = 1.0f,
        .contrast_temperature = 0.1f,
        .max_utterance_frames = CTC_HEAD_MAX_FRAMES,
        .init_path = NULL,
        .out_path = "s2s.model",
    };
    return o;
}

static const char *const variant_names[] = {"plain", "denoise", "correspond"};

const char *trainer_variant_name(trainer_variant v) {
    return v >= TRAINER_PLAIN && v <= TRAINER_CORRESPOND ? variant_names[v] : "?";
}

int trainer_variant_parse(const char *name, trainer_variant *out) {
    for (int v = 0; v < 3; v++)
        if (!strcmp(name, variant_names[v])) {
            *out = (trainer_variant)v;
            return 0;
        }
    return -1;
}

static volatile sig_atomic_t stop_requested;
void trainer_request_stop(void) { stop_requested = 1; }


double trainer_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

void trainer_note(const trainer_callbacks *cb, const char *fmt, ...) {
    if (!cb || !cb->note)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cb->note(cb->ctx, msg);
}

static int write_checkpoint(autoencoder *m, const trainer_options *opts, const AdamState *adam,
                            int epochs_done, long step, uint64_t seed, int with_adam, char *err,
                            int err_len) {
    model_file *f = autoencoder_to_file(m);
    if (!f) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    const NnParams *p = autoencoder_params_const(m);
    int rc = 0;
    rc |= model_file_add_scalar(f, "train.epoch", (float)epochs_done);
    rc |= model_file_add_scalar(f, "train.step", (float)step);
    rc |= model_file_add_scalar(f, "train.adam_steps", (float)adam->num_steps);
    rc |= model_file_add_scalar(f, "train.seed", (float)(seed & 0xffffff));
    rc |= model_file_add_scalar(f, "train.variant", (float)opts->variant);
    if (with_adam) {
        uint32_t dims[1] = {(uint32_t)p->num_params};
        rc |= model_file_add(f, "train.adam_m", MODEL_DTYPE_F32, p->adam_m, 1, dims);
        rc |= model_file_add(f, "train.adam_v", MODEL_DTYPE_F32, p->adam_v, 1, dims);
    }
    if (rc != 0) {
        snprintf(err, err_len, "out of memory");
        model_file_free(f);
        return -1;
    }
    rc = model_file_write(f, opts->out_path, err, err_len);
    if (rc == 0)
        autoencoder_set_hash(m, f->hash);
    model_file_free(f);
    return rc;
}

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* The tensors that learn: those whose names start with this (NULL: all).
 * --head-only trains the CTC head's, --projection-only the projection's. */
static const char *trainable_prefix(const trainer_options *opts) {
    return opts->head_only ? "ctc" : opts->projection_only ? "proj." : NULL;
}

/* Keeps the tensors not named by prefix as they are: their Adam moments are
 * zeroed once (with_moments) and their gradients at every step, so their
 * update is exactly zero and they stay bit for bit (a resumed joint run's
 * moments would still move them). */
static void freeze_all_but(NnParams *p, const char *prefix, int with_moments) {
    for (int i = 0; i < p->num_tensors; i++) {
        const NnTensor *t = &p->tensors[i];
        if (strncmp(t->name, prefix, strlen(prefix)) == 0)
            continue;
        memset(p->grads + t->offset, 0, sizeof(float) * t->num_elems);
        if (with_moments) {
            memset(p->adam_m + t->offset, 0, sizeof(float) * t->num_elems);
            memset(p->adam_v + t->offset, 0, sizeof(float) * t->num_elems);
        }
    }
}

/* Makes the model: resumed from a checkpoint at out_path, from init_path,
 * or new.  Sets *epoch, *step and Adam's state; *have_stats when the
 * statistics came with the model. */
static autoencoder *make_model(const trainer_options *opts, AdamState *adam, int *epoch,
                               long *step, int *have_stats, const trainer_callbacks *cb,
                               char *err, int err_len) {
    *epoch = 0, *step = 0, *have_stats = 0;
    char sub[512];
    if (opts->out_path && file_exists(opts->out_path)) {
        model_file *f = model_file_read(opts->out_path, sub, sizeof sub);
        float e, s, as;
        if (!f || model_file_scalar(f, "train.epoch", &e, sub, sizeof sub) != 0) {
            snprintf(err, err_len, "%s exists and is not a checkpoint of s2s train (%s); remove it or choose another --out",
                     opts->out_path, f ? "no training state" : sub);
            model_file_free(f);
            return NULL;
        }
        autoencoder *m = autoencoder_from_file(f, sub, sizeof sub);
        if (!m) {
            snprintf(err, err_len, "%s: %s", opts->out_path, sub);
            model_file_free(f);
            return NULL;
        }
        *epoch = (int)e;
        if (model_file_scalar(f, "train.step", &s, sub, sizeof sub) == 0)
            *step = (long)s;
        NnParams *p = autoencoder_params(m);
        const float *am = model_file_f32(f, "train.adam_m", (long)p->num_params, sub, sizeof sub);
        const float *av = model_file_f32(f, "train.adam_v", (long)p->num_params, sub, sizeof sub);
        if (am && av && model_file_scalar(f, "train.adam_steps", &as, sub, sizeof sub) == 0) {
            memcpy(p->adam_m, am, sizeof(float) * p->num_params);
            memcpy(p->adam_v, av, sizeof(float) * p->num_params);
            adam->num_steps = (long)as;
        }
        trainer_note(cb, "resuming %s: %d epochs done%s%s", opts->out_path, *epoch,
             *step ? ", part of the next" : "", am && av ? "" : " (optimiser state restarted)");
        model_file_free(f);
        *have_stats = 1;
        return m;
    }
    if (opts->init_path) {
        autoencoder *m = autoencoder_load(opts->init_path, sub, sizeof sub);
        if (!m) {
            snprintf(err, err_len, "%s: %s", opts->init_path, sub);
            return NULL;
        }
        *have_stats = 1;
        return m;
    }
    return autoencoder_new(&opts->config, opts->seed, err, err_len);
}

int trainer_run(const trainer_options *opts, trainer_data *d, const trainer_callbacks *cb,
                char *err, int err_len) {
    if (opts->num_threads < 1 || opts->num_threads > TRAINER_MAX_THREADS || opts->batch_size < 1 ||
        opts->epochs < 1) {
        snprintf(err, err_len, "bad training options");
        return -1;
    }
    nn_blas_set_threads(1);
    stop_requested = 0;
    AdamState adam = adam_default();
    adam.learning_rate = opts->learning_rate;
    int start_epoch;
    long start_step;
    int have_stats;
    autoencoder *m = make_model(opts, &adam, &start_epoch, &start_step, &have_stats, cb, err, err_len);
    if (!m)
        return -1;
    if ((opts->transcripts_path || opts->config.ctc_classes > 0) && !autoencoder_ctc_classes(m)) {
        autoencoder *with_head = autoencoder_add_ctc_head(
            m, CTC_NUM_CLASSES, opts->config.ctc_hidden, opts->seed, err, err_len);
        autoencoder_free(m);
        if (!with_head)
            return -1;
        m = with_head;
        trainer_note(cb, "added a CTC head (%d characters) to the model", CTC_NUM_CLASSES);
    }
    const int D = d->dim, B = opts->batch_size, nt = opts->num_threads;
    const float ctc_weight =
        autoencoder_ctc_classes(m) > 0 && d->num_labels > 0 ? opts->ctc_weight : 0.0f;
    if (opts->head_only) {
        if (ctc_weight <= 0) {
            snprintf(err, err_len, "training the head alone needs transcripts (--transcripts or --words) and a CTC weight above 0");
            autoencoder_free(m);
            return -1;
        }
    }
    const char *trainable = trainable_prefix(opts);
    if (trainable)
        freeze_all_but(autoencoder_params(m), trainable, 1);
    if (autoencoder_get_config(m)->input_dim != D) {
        snprintf(err, err_len, "the model reads %d values a frame, the data has %d",
                 autoencoder_get_config(m)->input_dim, D);
        autoencoder_free(m);
        return -1;
    }
    if (start_epoch >= opts->epochs) {
        trainer_note(cb, "%s has already been trained for %d epochs (--epochs %d): nothing to do",
             opts->out_path, start_epoch, opts->epochs);
        autoencoder_free(m);
        return 0;
    }
    // Statistics, then normalise the pool in place.
    feature_stats stats;
    if (!have_stats) {
        trainer_compute_stats(d, &stats);
        autoencoder_set_features(m, NULL, &stats);
    }
    stats = *autoencoder_feature_stats(m);
    features_normalise(d->pool, d->pool_len / D, &stats);

    int rc = -1;
    long N = d->num_segs;
    long *items = malloc(sizeof(long) * N), *val = malloc(sizeof(long) * N);
    long *val_partner = malloc(sizeof(long) * N), *order = malloc(sizeof(long) * N);
    long *partners = malloc(sizeof(long) * (B > 0 ? B : 1));
    long *batch_start = malloc(sizeof(long) * (N + 2)), *batch_perm = malloc(sizeof(long) * (N + 1));
    trainer_sort_item *scratch = malloc(sizeof(trainer_sort_item) * N);
    unsigned char *is_train = calloc(N, 1), *all = malloc(N);
    trainer_worker workers[TRAINER_MAX_THREADS];
    int num_workers = 0;
    trainer_contrast contrast = {0}, *with_contrast = NULL; /* --contrast */
    trainer_word_groups groups = {0};
    if (!items || !val || !val_partner || !order || !partners || !batch_start || !batch_perm ||
        !scratch || !is_train || !all) {
        snprintf(err, err_len, "out of memory");
        goto cleanup;
    }
    memset(all, 1, N);
    // Held-out split by segment.
    uint64_t rng = opts->seed * 0xD1B54A32D192ED03ull + 17;
    for (long i = 0; i < N; i++)
        order[i] = i;
    for (long i = N - 1; i > 0; i--) {
        long j = rand_below(&rng, i + 1), t = order[i];
        order[i] = order[j], order[j] = t;
    }
    long num_val = opts->validation_fraction > 0 ? lround(opts->validation_fraction * N) : 0;
    if (opts->validation_fraction > 0 && num_val == 0 && N >= 10)
        num_val = 1;
    if (num_val > opts->max_validation)
        num_val = opts->max_validation;
    for (long i = num_val; i < N; i++)
        is_train[order[i]] = 1;
    const int correspond = opts->variant == TRAINER_CORRESPOND;
    const trainer_input_noise noise = {
        .value_drop = opts->variant == TRAINER_DENOISE ? opts->denoise_prob : 0.0f,
        .time_mask = opts->time_mask};
    if (correspond) {
        if (d->words.num == 0) {
            snprintf(err, err_len, "--variant correspond needs word times (--words)");
            goto cleanup;
        }
        if (trainer_word_groups_build(d, &groups) != 0) {
            snprintf(err, err_len, "out of memory");
            goto cleanup;
        }
    }
    long num_items = 0, nv = 0;
    // Utterances (CTC only) train without a partner, and not at all without
    // a CTC term; held-out segments are listed rebuilt ones first.
    trainer_worker_sizes sz = {0};
    for (int kind = 1; kind >= 0; kind--)
        for (long i = 0; i < N; i++) {
            const segment *s = &d->segs[i];
            if (s->rebuild != kind || (!kind && ctc_weight <= 0))
                continue;
            if (kind && s->length > sz.max_frames)
                sz.max_frames = s->length;
            if (!kind && s->length > sz.utt_frames)
                sz.utt_frames = s->length;
            if (s->num_labels > sz.max_labels)
                sz.max_labels = s->num_labels;
            if (opts->head_only && s->num_labels == 0)
                continue;
            int needs_partner = correspond && kind && !opts->head_only;
            if (is_train[i]) {
                if (!needs_partner || trainer_pick_partner(d, &groups, is_train, i, &rng) >= 0)
                    items[num_items++] = i;
            } else {
                long pt = needs_partner ? trainer_pick_partner(d, &groups, all, i, &rng) : i;
                if (pt >= 0)
                    val[nv] = i, val_partner[nv++] = pt;
            }
        }
    if (num_items == 0) {
        snprintf(err, err_len, correspond ? "no word has instances by two different speakers in the training part"
                                          : "no training segments left after the held-out part");
        goto cleanup;
    }
    trainer_note(cb, "%ld training segments, %ld held out; variant %s, %d thread%s", num_items, nv,
         trainer_variant_name(opts->variant), nt, nt > 1 ? "s" : "");
    // Utterance batches hold about as many frames as word batches.
    const int utt_batch = sz.utt_frames == 0 ? 0
                          : sz.max_frames == 0 || sz.utt_frames <= sz.max_frames
                              ? B
                              : (int)fmax(1.0, (double)B * sz.max_frames / sz.utt_frames);
    if (sz.max_frames == 0)
        sz.max_frames = 1;
    if (utt_batch > 0)
        trainer_note(cb, "%ld transcribed utterances train the CTC head in batches of %d",
                     d->num_utterances, utt_batch);
    int per = (B + nt - 1) / nt, utt_per = (utt_batch + nt - 1) / nt;
    int vb = B < 64 ? 64 : B; /* validation batches on worker 0 */
    if (correspond && opts->contrast_weight > 0) { /* room for the larger of the two batches */
        if (trainer_contrast_init(&contrast, opts->contrast_weight, opts->contrast_temperature,
                                  vb, autoencoder_vector_dim(m)) != 0) {
            snprintf(err, err_len, "out of memory");
            goto cleanup;
        }
        with_contrast = &contrast;
    }
    for (; num_workers < nt; num_workers++) {
        trainer_worker_sizes wz = sz;
        wz.max_batch = num_workers == 0 && vb > per ? vb : per;
        wz.utt_batch = utt_per;
        if (trainer_worker_init(&workers[num_workers], m, d, &wz, ctc_weight, with_contrast) != 0) {
            trainer_worker_free(&workers[num_workers]);
            snprintf(err, err_len, "out of memory for the training scratch");
            goto cleanup;
        }
        workers[num_workers].head_only = opts->head_only;
        workers[num_workers].encoder_fixed = opts->head_only || opts->projection_only;
    }

    long frames_per_epoch = 0;
    for (long i = 0; i < num_items; i++)
        frames_per_epoch += d->segs[items[i]].length;
    double t_start = trainer_now_s(), t_report = t_start;
    long frames_done = 0, frames_report = 0;
    double loss_sum = 0, epoch_loss_sum = 0;
    long loss_count = 0, epoch_loss_count = 0;
    float val_loss = NAN;
    long total_steps_left_frames = frames_per_epoch * (opts->epochs - start_epoch);
    for (int epoch = start_epoch; epoch < opts->epochs; epoch++) {
        long nb = trainer_epoch_order(d, items, num_items, B, utt_batch, opts->seed, epoch, scratch,
                              order, batch_start, batch_perm);
        if (nb < 0) {
            snprintf(err, err_len, "out of memory");
            goto cleanup;
        }
        long step0 = epoch == start_epoch ? start_step : 0;
        if (step0 > nb)
            step0 = nb;
        for (long step = step0; step < nb; step++) {
            if (stop_requested) {
                if (write_checkpoint(m, opts, &adam, epoch, step, opts->seed, 1, err, err_len) != 0)
                    goto cleanup;
                trainer_note(cb, "stopped: checkpoint written to %s (epoch %d, step %ld); rerun to resume",
                     opts->out_path, epoch + 1, step);
                rc = 1;
                goto cleanup;
            }
            const long *bi = order + batch_start[step];
            int n = (int)(batch_start[step + 1] - batch_start[step]);
            uint64_t step_seed = opts->seed * 1000003ull + (uint64_t)epoch * 100003ull + step;
            if (correspond) {
                uint64_t prng = step_seed ^ 0xC0FFEEull;
                for (int b = 0; b < n; b++)
                    partners[b] = d->segs[bi[b]].rebuild
                                      ? trainer_pick_partner(d, &groups, is_train, bi[b], &prng)
                                      : bi[b];
            }
            float loss = trainer_run_batch(m, workers, nt, d, bi, correspond ? partners : NULL, n,
                                           &noise, step_seed, 1);
            NnParams *p = autoencoder_params(m);
            if (!nn_is_finite(loss) || loss > 1e4f || !nn_grads_finite(p)) {
                snprintf(err, err_len,
                         "training diverged at epoch %d step %ld (loss %g); try a lower --lr or "
                         "--clip; %s keeps the last good checkpoint (%d epochs)",
                         epoch + 1, step + 1, loss, opts->out_path, epoch);
                goto cleanup;
            }
            if (trainable) /* the decoder's gradient, say, when only the projection learns */
                freeze_all_but(p, trainable, 0);
            if (opts->clip_norm > 0)
                nn_clip_grad_norm(p, opts->clip_norm);
            adam_step(p, &adam);
            long frames = 0;
            for (int b = 0; b < n; b++)
                frames += d->segs[bi[b]].length;
            frames_done += frames, frames_report += frames;
            loss_sum += loss, loss_count++;
            epoch_loss_sum += loss, epoch_loss_count++;
            if (opts->progress_every > 0 && (step + 1) % opts->progress_every == 0 && cb &&
                cb->progress) {
                double t = trainer_now_s();
                trainer_progress pr = {epoch + 1, opts->epochs, step + 1, nb,
                                       (float)(loss_sum / loss_count), val_loss,
                                       frames_report / (t - t_report + 1e-9), t - t_start, 0, 0};
                double rate = frames_done / (t - t_start + 1e-9);
                pr.remaining_s = (total_steps_left_frames - frames_done) / (rate > 0 ? rate : 1);
                cb->progress(cb->ctx, &pr);
                t_report = t, frames_report = 0, loss_sum = 0, loss_count = 0;
            }
        }
        // Validation (forward only, worker 0, batches of up to vb).
        if (nv > 0) {
            double sum = 0;
            long weight = 0;
            for (long i = 0, n; i < nv; i += n) {
                long size = d->segs[val[i]].rebuild ? vb : utt_per;
                for (n = 0; i + n < nv && n < size &&
                            d->segs[val[i + n]].rebuild == d->segs[val[i]].rebuild;
                     n++)
                    ;
                long f = 0;
                for (int b = 0; b < n; b++)
                    f += d->segs[val_partner[i + b]].length;
                float l = trainer_run_batch(m, workers, 1, d, val + i, correspond ? val_partner + i : NULL,
                                    (int)n, NULL, 0, 0);
                sum += (double)l * f, weight += f;
            }
            val_loss = (float)(sum / weight);
            if (!nn_is_finite(val_loss)) {
                snprintf(err, err_len, "validation loss is not finite after epoch %d; %s keeps the last good checkpoint",
                         epoch + 1, opts->out_path);
                goto cleanup;
            }
        }
        int last = epoch + 1 == opts->epochs;
        if (write_checkpoint(m, opts, &adam, epoch + 1, 0, opts->seed, !last, err, err_len) != 0)
            goto cleanup;
        if (cb && cb->progress) {
            double t = trainer_now_s();
            double rate = frames_done / (t - t_start + 1e-9);
            trainer_progress pr = {epoch + 1, opts->epochs, nb, nb,
                                   epoch_loss_count ? (float)(epoch_loss_sum / epoch_loss_count) : NAN,
                                   val_loss,
                                   rate, t - t_start,
                                   (total_steps_left_frames - frames_done) / (rate > 0 ? rate : 1), 1};
            cb->progress(cb->ctx, &pr);
        }
        epoch_loss_sum = 0, epoch_loss_count = 0;
    }
    rc = 0;
cleanup:
    for (int k = 0; k < num_workers; k++)
        trainer_worker_free(&workers[k]);
    trainer_contrast_free(&contrast);
    free(items), free(val), free(val_partner), free(order), free(partners), free(batch_start);
    free(batch_perm), free(scratch), free(is_train), free(all);
    free(groups.by_word), free(groups.word_start);
    // The pool goes back to unnormalised frames so the data can be reused.
    for (long t = 0; t < d->pool_len / D; t++)
        for (int k = 0; k < D; k++)
            d->pool[t * D + k] = d->pool[t * D + k] * stats.stddev[k] + stats.mean[k];
    autoencoder_free(m);
    return rc;
}
