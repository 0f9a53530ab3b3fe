/* Worker pool shared by s2s index and s2s reindex (see index_workers.h). */
#include "index_workers.h"
#include "gemm.h"

#include "cli.h"
#include "file_identity.h"
#include "posteriorgram.h"
#include "recording_embedder.h"
#include "transcript_format.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    index_workers *w;
    int next;              /* next path to take */
    double start_time;
    pthread_mutex_t lock;  /* guards next, w's counts and the index */
} pool;

/* Progress line on a terminal: files, audio hours, speed. Called under lock. */
static void show_progress(const pool *p) {
    const index_workers *w = p->w;
    if (cli_quiet || !isatty(STDERR_FILENO)) return;
    double elapsed = cli_now_s() - p->start_time;
    int done = w->num_embedded + w->num_skipped + w->num_failed;
    fprintf(stderr, "\r[%d/%d files] %s %.2f h of audio, %.0fx real time, %d failed   ", done,
            w->num_paths, w->verb, w->audio_s / 3600.0, elapsed > 0 ? w->audio_s / elapsed : 0.0,
            w->num_failed);
}

/* The index's verdict on a file, under the lock; -1 reported. */
static int recording_status(pool *p, const file_identity *id, const char *hash) {
    char err[CLI_ERR_LEN];
    index_session *s = p->w->session;
    pthread_mutex_lock(&p->lock);
    int status = index_recording_status(s->db, id->path, id->size_bytes, id->mtime_ns, hash,
                                        s->model_id, err, sizeof err);
    pthread_mutex_unlock(&p->lock);
    if (status < 0) cli_error(id->path, "%s", err);
    return status;
}

/* Decides whether path must be embedded: 0 yes (id filled), 1 skip, -1
 * failed (reported). */
static int check_file(pool *p, const char *path, file_identity *id) {
    char err[CLI_ERR_LEN];
    int reembed = p->w->mode == INDEX_WORKERS_REEMBED;
    if (file_identity_stat(path, id, err, sizeof err) != 0) {
        if (reembed) cli_error(path, "moved or missing since indexing (%s); skipped", err);
        else cli_error(path, "%s", err);
        return -1;
    }
    /* The index's own path, even when it is (now) a symlink. */
    if (reembed) snprintf(id->path, sizeof id->path, "%s", path);
    /* Same size and modification time, vectors present (an unchanged file,
     * or a reindex resumed): skip without reading the file for its hash. */
    int quick = recording_status(p, id, NULL);
    if (quick < 0) return -1;
    if (quick == INDEX_RECORDING_UNCHANGED) return 1;
    if (file_identity_hash(id, err, sizeof err) != 0) {
        cli_error(path, "%s", err);
        return -1;
    }
    int status = recording_status(p, id, id->hash);
    if (status < 0) return -1;
    if (status == INDEX_RECORDING_UNCHANGED) return 1;
    if (reembed && status != INDEX_RECORDING_NO_VECTORS) {
        cli_error(path, "%s since indexing; skipped (run 's2s index' on it, or 's2s remove' it)",
                  status == INDEX_RECORDING_CHANGED ? "changed" : "not in the index");
        return -1;
    }
    return 0;
}

/* Log-probabilities at or above this are kept in the stored posteriors
 * (posteriorgram.h; README: Text queries). */
static const float POSTERIORS_FLOOR = -5.0f;

static int add_posteriors(void *user, long start_frame, const float *log_probs, int num_frames,
                          int num_classes) {
    (void)num_classes;
    return posteriorgram_add_chunk(user, start_frame, log_probs, num_frames);
}

/* What the CTC head hears in frames: *text gets the transcript in the
 * index's text form (transcript_format.h) and *posteriors the packed frame
 * posteriors (posteriorgram.h), both to free(); both NULL when the model has
 * no CTC head or decode->beam_width is 0 (none wanted). Returns 0, or -1
 * with err. */
static int transcribe_for_index(const autoencoder *model, const feature_matrix *frames,
                                const transcribe_options *decode,
                                char **text, posteriorgram_writer *posteriors, char *err,
                                int err_len) {
    *text = NULL;
    memset(posteriors, 0, sizeof *posteriors);
    if (autoencoder_ctc_classes(model) == 0 || decode->beam_width <= 0) return 0;
    const feature_options *fo = autoencoder_feature_options(model);
    if (posteriorgram_writer_init(posteriors, autoencoder_ctc_classes(model), POSTERIORS_FLOOR,
                                  (int)fo->mfcc.frame_shift_ms,
                                  (int)fo->mfcc.frame_length_ms) != 0) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    transcript t;
    if (transcribe_frames_each(model, frames, decode, &t, add_posteriors, posteriors, err,
                               err_len) == 0) {
        *text = transcript_format(&t);
        if (!*text) snprintf(err, err_len, "out of memory");
        transcript_free(&t);
    }
    if (!*text) {
        posteriorgram_writer_free(posteriors);
        return -1;
    }
    return 0;
}

/* Embeds one file (and transcribes it when the model has a CTC head, from
 * the same frames) and stores its vectors; returns 0, 1 when skipped, -1 on
 * failure (already reported). */
static int embed_one(pool *p, embedder_state *embedder, const char *path) {
    char err[CLI_ERR_LEN];
    file_identity id;
    int rc = check_file(p, path, &id);
    if (rc != 0) return rc;
    index_session *s = p->w->session;
    const autoencoder *model = s->model;
    feature_matrix frames;
    if (features_compute(path, autoencoder_feature_options(model), autoencoder_feature_stats(model),
                         &frames, err, sizeof err) != 0) {
        cli_error(path, "%s", err);
        return -1;
    }
    embedded_segments segments;
    if (embed_recording(embedder, &frames, &segments, err, sizeof err) != 0) {
        cli_error(path, "%s", err);
        features_free(&frames);
        return -1;
    }
    char *text;
    posteriorgram_writer posteriors;
    if (transcribe_for_index(model, &frames, &p->w->transcripts, &text, &posteriors, err,
                             sizeof err) != 0) {
        cli_error(path, "%s", err);
        features_free(&frames);
        embedded_segments_free(&segments);
        return -1;
    }
    index_recording rec = {
        .transcript = text,
        .posteriors = posteriors.data,
        .posteriors_bytes = posteriors.size,
        .path = id.path,
        .size_bytes = id.size_bytes,
        .mtime_ns = id.mtime_ns,
        .content_hash = id.hash,
        .duration_s = frames.duration_s,
        .sample_rate_hz = frames.source_rate_hz,
    };
    pthread_mutex_lock(&p->lock);
    rc = index_put_recording(s->db, &rec, s->model_id, segments.spans_s, segments.vectors,
                             (int)segments.num_segments, err, sizeof err);
    if (rc == 0) {
        p->w->audio_s += frames.duration_s;
        p->w->num_segments += segments.num_segments;
    }
    pthread_mutex_unlock(&p->lock);
    if (rc != 0) cli_error(path, "%s", err);
    features_free(&frames);
    embedded_segments_free(&segments);
    free(text);
    posteriorgram_writer_free(&posteriors);
    return rc;
}

static void *worker(void *arg) {
    pool *p = arg;
    index_workers *w = p->w;
    /* Cores left over when there are fewer files than jobs share each file. */
    int threads_per_file =
        w->num_paths > 0 && w->num_jobs > w->num_paths ? w->num_jobs / w->num_paths : 1;
    embedder_state *embedder = embedder_state_new(w->session->model, &w->segmenter, threads_per_file);
    for (;;) {
        pthread_mutex_lock(&p->lock);
        int i = p->next < w->num_paths ? p->next++ : -1;
        pthread_mutex_unlock(&p->lock);
        if (i < 0) break;
        int rc = embedder ? embed_one(p, embedder, w->paths[i]) : -1;
        if (!embedder) cli_error(w->paths[i], "out of memory");
        pthread_mutex_lock(&p->lock);
        if (rc == 0) w->num_embedded++;
        else if (rc == 1) w->num_skipped++;
        else w->num_failed++;
        show_progress(p);
        pthread_mutex_unlock(&p->lock);
    }
    embedder_state_free(embedder);
    return NULL;
}

int index_workers_run(index_workers *w) {
    pool p = {.w = w};
    w->num_embedded = w->num_skipped = w->num_failed = 0;
    w->audio_s = 0;
    w->num_segments = 0;
    if (!w->verb) w->verb = "embedded";
    // BLAS threads would only spin beside the workers: their products are small
    nn_blas_set_threads(1);
    int num_threads = w->num_jobs < w->num_paths ? w->num_jobs : w->num_paths;
    if (num_threads < 1) num_threads = 1;
    pthread_t *threads = calloc(num_threads, sizeof *threads);
    if (!threads) return -1;
    pthread_mutex_init(&p.lock, NULL);
    p.start_time = cli_now_s();
    int num_started = 0;
    while (num_started < num_threads &&
           pthread_create(&threads[num_started], NULL, worker, &p) == 0)
        num_started++;
    if (num_started == 0 && w->num_paths > 0) worker(&p); /* no thread: do it here */
    for (int t = 0; t < num_started; t++) pthread_join(threads[t], NULL);
    free(threads);
    pthread_mutex_destroy(&p.lock);
    w->elapsed_s = cli_now_s() - p.start_time;
    if (!cli_quiet && isatty(STDERR_FILENO) && w->num_paths > 0) fputc('\n', stderr);
    return 0;
}

int index_workers_parse_windows(const char *text, segmenter_options *options) {
    char *end;
    int num = 0;
    for (const char *p = text; *p; p = *end == ',' ? end + 1 : end) {
        long v = strtol(p, &end, 10);
        if (end == p || v < 2 || v > 1000 || num == SEGMENTER_MAX_LENGTHS ||
            (num > 0 && v <= options->length_frames[num - 1]) || (*end && *end != ','))
            return -1;
        options->length_frames[num++] = (int)v;
    }
    options->num_lengths = num;
    return num > 0 ? 0 : -1;
}

void index_workers_summary(const index_workers *w, const char *done, const char *what,
                           const char *skipped) {
    cli_note("%s %d %s (%.1f min of audio, %ld segments) in %.1f s, %.0fx real time; %d %s, "
             "%d failed\n",
             done, w->num_embedded, what, w->audio_s / 60.0, w->num_segments, w->elapsed_s,
             w->elapsed_s > 0 ? w->audio_s / w->elapsed_s : 0.0, w->num_skipped, skipped,
             w->num_failed);
}
