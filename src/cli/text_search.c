/* Text queries against stored transcripts (see text_search.h). */
#include "text_search.h"

#include "phrase_match.h"
#include "transcript_format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PHRASE_MAX = 1024 };

typedef struct {
    const index_search_options *options;
    char (*phrases)[PHRASE_MAX]; /* normalised; "" when nothing was left */
    text_search_result *out;
    int *capacity;               /* hits allocated per phrase */
    int path_capacity;
    phrase_run *runs;
    int runs_capacity;
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

/* One recording: parse its transcript, match every phrase, keep its merged
 * runs as hits. */
static int search_recording(const index_recording *rec, void *user) {
    search_state *s = user;
    if (!rec->transcript) return 0;
    s->out->num_transcripts++;
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
            if (!path) { /* the first hit in this recording: keep its path */
                if (s->out->num_paths == s->path_capacity) {
                    int grown = s->path_capacity ? 2 * s->path_capacity : 64;
                    char **paths = realloc(s->out->paths, sizeof *paths * grown);
                    if (paths) s->out->paths = paths, s->path_capacity = grown;
                }
                if (s->out->num_paths < s->path_capacity)
                    path = s->out->paths[s->out->num_paths] = strdup(rec->path);
                if (!path) {
                    transcript_free(&t);
                    return fail(s, "out of memory", NULL);
                }
                s->out->num_paths++;
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
    /* Only the best k of each phrase can be printed: cut the lists now and
     * then, so memory stays O(k) however large the index. */
    for (int p = 0; p < s->out->num_phrases; p++) {
        text_search_hits *h = &s->out->phrases[p];
        if (h->num_hits > 4 * s->options->k + 256) {
            qsort(h->hits, (size_t)h->num_hits, sizeof *h->hits, compare_hits);
            h->num_hits = s->options->k;
        }
    }
    return 0;
}

int text_search_run(index_db *db, const char *const *phrases, int num_phrases,
                    const index_search_options *options, text_search_result *out, char *err,
                    int err_len) {
    memset(out, 0, sizeof *out);
    int64_t num_transcripts = 0;
    if (index_count_transcripts(db, &num_transcripts, NULL, err, err_len) != 0) return -1;
    if (num_transcripts == 0) {
        snprintf(err, err_len,
                 "the index has no transcripts: its recordings were indexed with a model "
                 "without a CTC head (s2s model info says), so --text cannot search them");
        return -1;
    }
    search_state s = {.options = options, .out = out, .err = err, .err_len = err_len};
    out->num_phrases = num_phrases;
    out->phrases = calloc((size_t)num_phrases + 1, sizeof *out->phrases);
    s.capacity = calloc((size_t)num_phrases + 1, sizeof *s.capacity);
    s.phrases = calloc((size_t)num_phrases + 1, sizeof *s.phrases);
    int rc = 0;
    if (!out->phrases || !s.capacity || !s.phrases) {
        snprintf(err, err_len, "out of memory");
        rc = -1;
    }
    for (int p = 0; p < num_phrases && rc == 0; p++)
        if (phrase_normalise(phrases[p], s.phrases[p], PHRASE_MAX) < 0)
            s.phrases[p][0] = 0, rc = (snprintf(err, err_len, "phrase too long: %.40s...", phrases[p]), -1);
    if (rc == 0) {
        char list_err[256];
        int listed = index_list_recordings(db, 0, search_recording, &s, list_err, sizeof list_err);
        if (listed < 0) snprintf(err, err_len, "%s", list_err);
        rc = listed < 0 || s.failed ? -1 : 0;
    }
    for (int p = 0; p < num_phrases && rc == 0; p++) {
        text_search_hits *h = &out->phrases[p];
        qsort(h->hits, (size_t)h->num_hits, sizeof *h->hits, compare_hits);
        if (h->num_hits > options->k) h->num_hits = options->k;
    }
    free(s.capacity);
    free(s.phrases);
    free(s.runs);
    if (rc != 0) text_search_free(out);
    return rc;
}

void text_search_free(text_search_result *result) {
    for (int p = 0; result->phrases && p < result->num_phrases; p++) free(result->phrases[p].hits);
    for (int i = 0; i < result->num_paths; i++) free(result->paths[i]);
    free(result->phrases);
    free(result->paths);
    memset(result, 0, sizeof *result);
}
