/* Measurement for `s2s query --text`: keyword spotting on the CTC head's
 * posteriors recomputed from the audio, unpruned (or pruned as asked), the
 * reference for what the index stores (s2s scores against its stored, pruned
 * posteriors with src/model/phrase_spot.c; this program was written first, to
 * decide between that and matching 1-best transcripts). Each recording's
 * speech goes through the encoder and the CTC head once; each written phrase
 * (its label sequence, ctc_text.h) is then scored against the frame
 * log-probabilities with a Viterbi pass that lets the phrase start and end
 * at any frame and compares it with the best class of each frame:
 *
 *     score = max over spans [t0, t1] of
 *             log P(best alignment of the phrase over t0..t1)
 *             - sum over t0..t1 of max_c log P(c | t)          (<= 0)
 *
 * i.e. how much less likely the phrase is than what the head likes best in
 * the same frames (0: the phrase is the best path there). Recordings are
 * ranked by their best span; MAP, P@N and P@5 as `s2s eval`, for all
 * queries of the truth file, its single words and its phrases.
 *
 * With --prune X the posteriors are first reduced to what a compact store
 * would keep: at each frame the classes with log-probability >= -X, each
 * rounded to 1/16 (int8), the others set to -X; a frame where only blank is
 * kept costs nothing (run length), another frame 1 byte + 2 per kept class.
 * The bytes such a store would take are printed.
 *
 * usage: s2s-bench-text-kws [--prune X] MODEL TRUTH.tsv DOC.wav...
 * (queries: the truth file's query names, '_' read as a space) */
#include "autoencoder.h"
#include "ctc_text.h"
#include "feature_pipeline.h"
#include "vad.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { CHUNK = 1500, MAX_LABELS = 256, MAX_PAIRS = 4096 };

typedef struct {
    char name[256];
    float *log_probs; /* (num_frames, C), speech regions one after the other */
    int *chunk_start; /* (num_frames) 1 where a decoded chunk starts */
    long num_frames;
} doc;

static float prune = 0; /* 0: posteriors kept whole */
static double stored_bytes = 0;

/* Reduces frames of log-probabilities to a compact store's (see the top). */
static void prune_frames(float *lp, long num_frames, int C) {
    for (long t = 0; t < num_frames; t++) {
        float *f = lp + t * C;
        int kept = 0, blank_only = 1;
        for (int c = 0; c < C; c++) {
            if (f[c] >= -prune) {
                f[c] = roundf(f[c] * 16) / 16;
                kept++;
                if (c != CTC_BLANK) blank_only = 0;
            } else {
                f[c] = -prune;
            }
        }
        if (!blank_only) stored_bytes += 1 + 2 * kept;
    }
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void base_name(const char *path, char *out, size_t len) {
    const char *b = strrchr(path, '/');
    snprintf(out, len, "%s", b ? b + 1 : path);
    char *dot = strrchr(out, '.');
    if (dot) *dot = 0;
}

/* Log-probabilities of the speech of one file, chunked as transcriber.c does
 * (regions cut every CHUNK frames). */
static int load_doc(const autoencoder *m, encoder_state *st, const char *path, doc *d) {
    char err[512];
    feature_matrix fm;
    if (features_compute(path, autoencoder_feature_options(m), autoencoder_feature_stats(m), &fm,
                         err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", path, err);
        return -1;
    }
    const feature_options *fo = autoencoder_feature_options(m);
    const int C = autoencoder_ctc_classes(m);
    vad_options vad = vad_defaults();
    int frame_length = (int)(fo->mfcc.sample_rate_hz * 0.001 * fo->mfcc.frame_length_ms);
    long num = vad_detect(fm.log_energy, fm.num_frames, frame_length, &vad, NULL, 0);
    vad_region *regions = malloc(sizeof *regions * (num > 0 ? num : 1));
    vad_detect(fm.log_energy, fm.num_frames, frame_length, &vad, regions, num);
    d->log_probs = malloc(sizeof(float) * (fm.num_frames + 1) * C);
    d->chunk_start = calloc(fm.num_frames + 1, sizeof(int));
    d->num_frames = 0;
    for (long r = 0; r < num; r++)
        for (long s = regions[r].start_frame; s < regions[r].end_frame; s += CHUNK) {
            int n = (int)(regions[r].end_frame - s < CHUNK ? regions[r].end_frame - s : CHUNK);
            autoencoder_frame_log_probs(m, st, fm.data + s * fm.dim, n,
                                        d->log_probs + d->num_frames * C);
            if (prune > 0) prune_frames(d->log_probs + d->num_frames * C, n, C);
            d->chunk_start[d->num_frames] = 1;
            d->num_frames += n;
        }
    base_name(path, d->name, sizeof d->name);
    free(regions);
    features_free(&fm);
    return 0;
}

/* The phrase's best span score in a document (see the top). labels: L
 * labels; states: blank, l1, blank, l2, ..., lL, blank. A span never
 * crosses a chunk boundary. */
static double kws_score(const doc *d, int C, const int *labels, int L, double *v, double *nv) {
    const int S = 2 * L + 1;
    double best = -INFINITY;
    for (int s = 0; s < S; s++) v[s] = -INFINITY;
    for (long t = 0; t < d->num_frames; t++) {
        const float *lp = d->log_probs + t * C;
        float top = lp[0];
        for (int c = 1; c < C; c++) top = lp[c] > top ? lp[c] : top;
        if (d->chunk_start[t])
            for (int s = 0; s < S; s++) v[s] = -INFINITY;
        for (int s = 0; s < S; s++) {
            int label = s % 2 ? labels[s / 2] : CTC_BLANK;
            double from = v[s];
            if (s >= 1 && v[s - 1] > from) from = v[s - 1];
            if (s >= 2 && s % 2 && labels[s / 2] != labels[s / 2 - 1] && v[s - 2] > from)
                from = v[s - 2];
            if (s <= 1 && from < 0) from = 0; /* the phrase may start here */
            nv[s] = from + lp[label] - top;
        }
        memcpy(v, nv, sizeof(double) * S);
        double end = v[S - 1] > v[S - 2] ? v[S - 1] : v[S - 2];
        if (end > best) best = end;
    }
    return best;
}

typedef struct {
    char query[256], doc[256];
} pair;

static int relevant(const pair *p, int n, const char *q, const char *d) {
    for (int i = 0; i < n; i++)
        if (!strcmp(p[i].query, q) && !strcmp(p[i].doc, d)) return 1;
    return 0;
}

typedef struct {
    int doc;
    double score;
} ranked;

static int by_score(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    return x->score > y->score ? -1 : x->score < y->score ? 1 : x->doc - y->doc;
}

int main(int argc, char **argv) {
    if (argc > 2 && !strcmp(argv[1], "--prune")) {
        prune = (float)atof(argv[2]);
        argv += 2, argc -= 2;
    }
    if (argc < 4) {
        fprintf(stderr, "usage: s2s-bench-text-kws [--prune X] MODEL TRUTH.tsv DOC.wav...\n");
        return 2;
    }
    char err[512];
    autoencoder *m = autoencoder_load(argv[1], err, sizeof err);
    if (!m || autoencoder_ctc_classes(m) == 0) {
        fprintf(stderr, "%s: %s\n", argv[1], m ? "no CTC head" : err);
        return 1;
    }
    const int C = autoencoder_ctc_classes(m);
    static pair pairs[MAX_PAIRS];
    int num_pairs = 0;
    FILE *f = fopen(argv[2], "r");
    char line[1024];
    while (f && num_pairs < MAX_PAIRS && fgets(line, sizeof line, f))
        if (sscanf(line, "%255[^\t]\t%255[^\t\r\n]", pairs[num_pairs].query, pairs[num_pairs].doc) == 2)
            num_pairs++;
    if (f) fclose(f);
    int num_docs = argc - 3;
    doc *docs = calloc(num_docs, sizeof *docs);
    encoder_state *st = encoder_state_new(m, 1, CHUNK);
    double t0 = now_s(), audio_frames = 0;
    for (int i = 0; i < num_docs; i++) {
        if (load_doc(m, st, argv[3 + i], &docs[i]) != 0) return 1;
        audio_frames += docs[i].num_frames;
    }
    double t1 = now_s();
    double sum[3][3] = {{0}};
    int count[3] = {0};
    ranked *rank = malloc(sizeof *rank * num_docs);
    double *v = malloc(sizeof(double) * (2 * MAX_LABELS + 1) * 2), *nv = v + 2 * MAX_LABELS + 1;
    for (int i = 0; i < num_pairs; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++) seen = !strcmp(pairs[j].query, pairs[i].query);
        if (seen) continue;
        const char *q = pairs[i].query;
        char phrase[256];
        snprintf(phrase, sizeof phrase, "%s", q);
        for (char *p = phrase; *p; p++) *p = *p == '_' ? ' ' : *p;
        int labels[MAX_LABELS];
        int L = ctc_text_to_labels(phrase, labels, MAX_LABELS);
        if (L <= 0) continue;
        for (int d = 0; d < num_docs; d++)
            rank[d] = (ranked){d, kws_score(&docs[d], C, labels, L, v, nv)};
        qsort(rank, num_docs, sizeof *rank, by_score);
        int num_relevant = 0;
        for (int d = 0; d < num_docs; d++) num_relevant += relevant(pairs, num_pairs, q, docs[d].name);
        if (!num_relevant) continue;
        double ap = 0;
        int hits = 0, in_n = 0, in_5 = 0;
        for (int r = 0; r < num_docs; r++) {
            if (!relevant(pairs, num_pairs, q, docs[rank[r].doc].name)) continue;
            hits++;
            ap += (double)hits / (r + 1);
            in_n += r < num_relevant;
            in_5 += r < 5;
        }
        double fig[3] = {ap / num_relevant, (double)in_n / num_relevant, in_5 / 5.0};
        int kind = strchr(q, '_') ? 2 : 1;
        for (int k = 0; k < 3; k++) sum[0][k] += fig[k], sum[kind][k] += fig[k];
        count[0]++, count[kind]++;
    }
    double t2 = now_s();
    const char *kinds[3] = {"all", "words", "phrases"};
    for (int k = 0; k < 3; k++)
        if (count[k])
            printf("kws %-8s queries=%d MAP=%.3f P@N=%.3f P@5=%.3f\n", kinds[k], count[k],
                   sum[k][0] / count[k], sum[k][1] / count[k], sum[k][2] / count[k]);
    printf("kws cost: posteriors %.2f s for %.1f min of speech (%.0fx real time, one thread); "
           "%.2f ms per query\n", t1 - t0, audio_frames / 6000.0, audio_frames / 100.0 / (t1 - t0),
           1000.0 * (t2 - t1) / (count[0] ? count[0] : 1));
    if (prune > 0)
        printf("kws pruned at -%.1f: a store would take %.0f bytes, %.2f MB per hour of speech\n",
               prune, stored_bytes, stored_bytes / 1e6 / (audio_frames / 360000.0));
    return 0;
}
