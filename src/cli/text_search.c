/* Text queries against stored posteriors or transcripts (see text_search.h). */
#include "text_search.h"

#include "cli.h"

#include "ctc_text.h"
#include "phrase_match.h"
#include "phrase_spot.h"
#include "posteriorgram.h"
#include "transcript_format.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PHRASE_MAX = 1024 };

typedef struct {
    const index_search_options *options;
    char (*phrases)[PHRASE_MAX]; /* normalised; "" when nothing was left */
    int (*labels)[PHRASE_MAX];   /* the same as CTC labels */
    int *num_labels;
    text_search_result *out;
    int *capacity;               /* hits allocated per phrase */
    phrase_run *runs;            /* transcripts: best runs of one recording */
    int runs_capacity;
    float *log_probs;            /* posteriors: one chunk, unpacked */
    phrase_spot_span *spans;     /* posteriors: best span per end frame */
    long chunk_capacity;
    phrase_spotter *spotters;    /* posteriors: one per phrase */
    index_hit **found;           /* posteriors: one recording's candidates per phrase */
    long *num_found, *found_capacity;
    int failed;
    char *err;
    int err_len;
} search_state;

static int fail(search_state *s, const char *message, const char *path) {
    if (path) snprintf(s->err, s->err_len, "%s: %s", path, message);
    else snprintf(s->err, s->err_len, "%s", message);
    s->failed = 1;
    return 1;
}

/* Appends a hit to phrase p's list; -1 when out of memory. */
static int add_hit(search_state *s, int p, const index_hit *hit) {
    text_search_hits *h = &s->out->phrases[p];
    if (h->num_hits == s->capacity[p]) {
        int grown = s->capacity[p] ? 2 * s->capacity[p] : 64;
        index_hit *hits = realloc(h->hits, sizeof *hits * grown);
        if (!hits) return -1;
        h->hits = hits, s->capacity[p] = grown;
    }
    h->hits[h->num_hits++] = *hit;
    return 0;
}

/* Best first; ties: the recording listed first (path order), then earlier.
 * A total order, so keeping the first k of a sorted part of the hits and
 * later the first k of all gives the first k of all. */
static int compare_hits(const void *pa, const void *pb) {
    const index_hit *a = pa, *b = pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    int by_path = strcmp(a->path, b->path);
    if (by_path) return by_path;
    return (a->start_s > b->start_s) - (a->start_s < b->start_s);
}

/* Only the best k of each phrase can be printed: cut the lists now and then,
 * so memory stays O(k) however large the index. */
static void trim_hits(search_state *s) {
    for (int p = 0; p < s->out->num_phrases; p++) {
        text_search_hits *h = &s->out->phrases[p];
        if (h->num_hits > 4 * s->options->k + 256) {
            qsort(h->hits, (size_t)h->num_hits, sizeof *h->hits, compare_hits);
            h->num_hits = s->options->k;
        }
    }
}

/* One recording's transcript: match every phrase, keep its merged runs as
 * hits. */
static int search_transcript(const index_recording *rec, void *user) {
    search_state *s = user;
    if (!rec->transcript) return 0;
    s->out->num_searched++;
    transcript t;
    char err[256];
    if (transcript_parse(rec->transcript, &t, err, sizeof err) != 0)
        return fail(s, err, rec->path);
    if (t.num_words > s->runs_capacity) {
        phrase_run *runs = realloc(s->runs, sizeof *runs * t.num_words);
        if (!runs) {
            transcript_free(&t);
            return fail(s, "out of memory", NULL);
        }
        s->runs = runs, s->runs_capacity = t.num_words;
    }
    const char *path = NULL;
    for (int p = 0; p < s->out->num_phrases && t.num_words > 0; p++) {
        if (!s->phrases[p][0]) continue;
        if (phrase_best_runs(s->phrases[p], &t, s->runs) != 0) {
            transcript_free(&t);
            return fail(s, "out of memory", NULL);
        }
        int kept = phrase_merge_runs(s->runs, t.num_words, &t, 0.0f, s->options->per_file);
        for (int r = 0; r < kept; r++) {
            const phrase_run *run = &s->runs[r];
            if (s->options->use_threshold && run->score < s->options->threshold) break;
            if (!path && !(path = path_list_add(&s->out->paths, rec->path))) {
                transcript_free(&t);
                return fail(s, "out of memory", NULL);
            }
            index_hit hit = {.path = path, .recording_id = rec->id, .row = -1,
                             .start_s = (float)t.words[run->first_word].start_s,
                             .end_s = (float)t.words[run->last_word].end_s, .score = run->score};
            if (add_hit(s, p, &hit) != 0) {
                transcript_free(&t);
                return fail(s, "out of memory", NULL);
            }
        }
    }
    transcript_free(&t);
    trim_hits(s);
    return 0;
}

/* index_search.c's overlap rule. */
static int spans_overlap(const index_hit *a, const index_hit *b) {
    float inter = fminf(a->end_s, b->end_s) - fmaxf(a->start_s, b->start_s);
    float shorter = fminf(a->end_s - a->start_s, b->end_s - b->start_s);
    if (inter < 0) return 0;
    return shorter <= 0 ? 1 : inter > 0.5f * shorter;
}

/* Keeps the best of found[0..n) that do not overlap a better one (only the
 * best with per_file) and adds them to phrase p's hits. */
static int merge_found(search_state *s, int p, index_hit *found, long n, const char *path_in_db,
                       int64_t id, const char **path) {
    if (n == 0) return 0;
    for (long i = 0; i < n; i++) found[i].path = ""; /* compare_hits reads it */
    qsort(found, (size_t)n, sizeof *found, compare_hits);
    long kept = 0;
    for (long i = 0; i < n && !(s->options->per_file && kept == 1); i++) {
        if (s->options->use_threshold && found[i].score < s->options->threshold) break;
        int dropped = 0;
        for (long k = 0; k < kept && !dropped; k++) dropped = spans_overlap(&found[i], &found[k]);
        if (!dropped) found[kept++] = found[i];
    }
    for (long i = 0; i < kept; i++) {
        if (!*path && !(*path = path_list_add(&s->out->paths, path_in_db))) return -1;
        found[i].path = *path;
        found[i].recording_id = id;
        if (add_hit(s, p, &found[i]) != 0) return -1;
    }
    return 0;
}

/* Candidates of phrase p in one decoded chunk: each local maximum over end
 * frames of the best span's score. -1 when out of memory. */
static int spot_in_chunk(search_state *s, int p, long start_frame, int n, int C, double shift_s,
                         double length_s) {
    phrase_spot_chunk(&s->spotters[p], s->log_probs, n, C, s->spans);
    for (int e = 0; e < n; e++) {
        double v = s->spans[e].log_ratio;
        if (!isfinite(v) || (e > 0 && s->spans[e - 1].log_ratio >= v) ||
            (e + 1 < n && s->spans[e + 1].log_ratio > v))
            continue;
        if (s->num_found[p] == s->found_capacity[p]) {
            long grown = s->found_capacity[p] ? 2 * s->found_capacity[p] : 256;
            index_hit *f = realloc(s->found[p], sizeof *f * grown);
            if (!f) return -1;
            s->found[p] = f, s->found_capacity[p] = grown;
        }
        long first = start_frame + s->spans[e].start_frame, last = start_frame + e;
        s->found[p][s->num_found[p]++] =
            (index_hit){.row = -1, .start_s = (float)(first * shift_s),
                        .end_s = (float)(last * shift_s + length_s),
                        .score = (float)phrase_spot_score(v, s->num_labels[p])};
    }
    return 0;
}

/* One recording's posteriors: each chunk is unpacked once and every phrase
 * spotted in it; candidates are merged as spoken hits are. */
static int search_posteriors(int64_t recording_id, const char *path_in_db, const void *data,
                             size_t bytes, void *user) {
    search_state *s = user;
    s->out->num_searched++;
    posteriorgram_reader r;
    char err[256];
    if (posteriorgram_reader_init(&r, data, bytes, err, sizeof err) != 0)
        return fail(s, err, path_in_db);
    const int C = r.num_classes;
    const double shift_s = 0.001 * r.frame_shift_ms, length_s = 0.001 * r.frame_length_ms;
    for (int p = 0; p < s->out->num_phrases; p++) {
        s->num_found[p] = 0;
        for (int k = 0; k < s->num_labels[p]; k++)
            if (s->labels[p][k] >= C)
                return fail(s, "posteriors of another character set", path_in_db);
    }
    long T;
    while ((T = posteriorgram_peek_frames(&r)) > 0) {
        if (T > s->chunk_capacity) {
            float *lp = realloc(s->log_probs, sizeof(float) * T * C);
            if (lp) s->log_probs = lp;
            phrase_spot_span *spans = lp ? realloc(s->spans, sizeof *spans * T) : NULL;
            if (spans) s->spans = spans, s->chunk_capacity = T;
            if (!lp || !spans) return fail(s, "out of memory", NULL);
        }
        long start_frame;
        int n;
        if (posteriorgram_next_chunk(&r, &start_frame, &n, s->log_probs, (int)T, err,
                                     sizeof err) != 1)
            return fail(s, err, path_in_db);
        phrase_spot_normalise(s->log_probs, n, C);
        for (int p = 0; p < s->out->num_phrases; p++)
            if (s->num_labels[p] > 0 &&
                spot_in_chunk(s, p, start_frame, n, C, shift_s, length_s) != 0)
                return fail(s, "out of memory", NULL);
    }
    if (T < 0 || posteriorgram_next_chunk(&r, &(long){0}, &(int){0}, NULL, 0, err, sizeof err) != 0)
        return fail(s, T < 0 ? "stored posteriors are damaged (cut short)" : err, path_in_db);
    const char *path = NULL;
    for (int p = 0; p < s->out->num_phrases; p++)
        if (merge_found(s, p, s->found[p], s->num_found[p], path_in_db, recording_id, &path) != 0)
            return fail(s, "out of memory", NULL);
    trim_hits(s);
    return 0;
}

int text_search_run(index_db *db, const char *const *phrases, int num_phrases,
                    const index_search_options *options, text_search_scoring scoring,
                    text_search_result *out, char *err, int err_len) {
    memset(out, 0, sizeof *out);
    int64_t num_transcripts = 0, num_posteriors = 0;
    if (index_count_transcripts(db, &num_transcripts, NULL, err, err_len) != 0 ||
        index_count_posteriors(db, &num_posteriors, err, err_len) != 0)
        return -1;
    if (scoring == TEXT_SEARCH_AUTO)
        scoring = num_posteriors > 0 ? TEXT_SEARCH_POSTERIORS : TEXT_SEARCH_TRANSCRIPTS;
    if (num_transcripts == 0) {
        snprintf(err, err_len,
                 "the index has no transcripts: its recordings were indexed with a model "
                 "without a CTC head (s2s model info says) or by an older s2s, so --text "
                 "cannot search them");
        return -1;
    }
    if (scoring == TEXT_SEARCH_POSTERIORS && num_posteriors == 0) {
        snprintf(err, err_len,
                 "the index has transcripts but no posteriors (indexed by an older s2s); "
                 "index again, or score against the transcripts");
        return -1;
    }
    out->scoring = scoring;
    search_state s = {.options = options, .out = out, .err = err, .err_len = err_len};
    out->num_phrases = num_phrases;
    out->phrases = calloc((size_t)num_phrases + 1, sizeof *out->phrases);
    s.capacity = calloc((size_t)num_phrases + 1, sizeof *s.capacity);
    s.phrases = calloc((size_t)num_phrases + 1, sizeof *s.phrases);
    s.labels = calloc((size_t)num_phrases + 1, sizeof *s.labels);
    s.num_labels = calloc((size_t)num_phrases + 1, sizeof *s.num_labels);
    int rc = 0;
    if (!out->phrases || !s.capacity || !s.phrases || !s.labels || !s.num_labels) {
        snprintf(err, err_len, "out of memory");
        rc = -1;
    }
    for (int p = 0; p < num_phrases && rc == 0; p++) {
        s.num_labels[p] = ctc_text_to_labels(phrases[p], s.labels[p], PHRASE_MAX);
        if (s.num_labels[p] < 0 || phrase_normalise(phrases[p], s.phrases[p], PHRASE_MAX) < 0) {
            snprintf(err, err_len, "phrase too long: %.40s...", phrases[p]);
            rc = -1;
        }
    }
    if (rc == 0 && scoring == TEXT_SEARCH_POSTERIORS) {
        s.spotters = calloc((size_t)num_phrases + 1, sizeof *s.spotters);
        s.found = calloc((size_t)num_phrases + 1, sizeof *s.found);
        s.num_found = calloc((size_t)num_phrases + 1, sizeof *s.num_found);
        s.found_capacity = calloc((size_t)num_phrases + 1, sizeof *s.found_capacity);
        rc = s.spotters && s.found && s.num_found && s.found_capacity ? 0 : -1;
        for (int p = 0; p < num_phrases && rc == 0; p++)
            if (s.num_labels[p] > 0)
                rc = phrase_spotter_init(&s.spotters[p], s.labels[p], s.num_labels[p]);
        if (rc != 0) snprintf(err, err_len, "out of memory");
    }
    if (rc == 0) {
        char list_err[256];
        int listed = scoring == TEXT_SEARCH_POSTERIORS
                         ? index_list_posteriors(db, search_posteriors, &s, list_err, sizeof list_err)
                         : index_list_recordings(db, 0, search_transcript, &s, list_err,
                                                 sizeof list_err);
        if (listed < 0) snprintf(err, err_len, "%s", list_err);
        rc = listed < 0 || s.failed ? -1 : 0;
    }
    for (int p = 0; p < num_phrases && rc == 0; p++) {
        text_search_hits *h = &out->phrases[p];
        if (h->num_hits > 0) qsort(h->hits, (size_t)h->num_hits, sizeof *h->hits, compare_hits);
        if (h->num_hits > options->k) h->num_hits = options->k;
    }
    free(s.capacity);
    free(s.phrases);
    free(s.labels);
    free(s.num_labels);
    free(s.runs);
    free(s.log_probs);
    free(s.spans);
    for (int p = 0; p < num_phrases; p++) {
        if (s.spotters) phrase_spotter_free(&s.spotters[p]);
        if (s.found) free(s.found[p]);
    }
    free(s.spotters);
    free(s.found);
    free(s.num_found);
    free(s.found_capacity);
    if (rc != 0) text_search_free(out);
    return rc;
}

void text_search_free(text_search_result *result) {
    for (int p = 0; result->phrases && p < result->num_phrases; p++) free(result->phrases[p].hits);
    free(result->phrases);
    path_list_free(&result->paths);
    memset(result, 0, sizeof *result);
}

int cli_parse_text_scoring(const char *command, const char *value, text_search_scoring *out) {
    if (!strcmp(value, "auto")) *out = TEXT_SEARCH_AUTO;
    else if (!strcmp(value, "posteriors")) *out = TEXT_SEARCH_POSTERIORS;
    else if (!strcmp(value, "transcripts")) *out = TEXT_SEARCH_TRANSCRIPTS;
    else {
        cli_usage_error(command, "--text-score wants auto, posteriors or transcripts, not '%s'", value);
        return -1;
    }
    return 0;
}
