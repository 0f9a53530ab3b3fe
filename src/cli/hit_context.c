/* Words around hits (see hit_context.h). */
#include "hit_context.h"

#include "transcript_format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hit_context_open(hit_context *c, index_db *db, char *err, int err_len) {
    memset(c, 0, sizeof *c);
    c->db = db;
    c->cached_id = -1;
    int64_t num = 0;
    if (index_count_transcripts(db, &num, NULL, err, err_len) != 0) return -1;
    c->has_transcripts = num > 0;
    return 0;
}

void hit_context_close(hit_context *c) {
    transcript_free(&c->cached);
    c->cached_id = -1;
}

/* Parses the transcript of recording id into the cache (hits of one query
 * often share recordings). */
static int load(hit_context *c, int64_t id, char *err, int err_len) {
    if (c->cached_id == id) return 0;
    transcript_free(&c->cached);
    c->cached_id = -1;
    char *text = NULL;
    if (index_get_transcript(c->db, id, &text, err, err_len) != 0) return -1;
    c->cached_has = text != NULL;
    int rc = text ? transcript_parse(text, &c->cached, err, err_len) : 0;
    free(text);
    if (rc == 0) c->cached_id = id;
    return rc;
}

/* Appends s to out (room for len bytes, *n used), cutting it short. */
static void append(char *out, size_t len, size_t *n, const char *s) {
    for (; *s && *n + 1 < len; s++) out[(*n)++] = *s;
    out[*n] = 0;
}

int hit_context_get(hit_context *c, const index_hit *hit, char *context, size_t context_len,
                    char *own, size_t own_len, char *err, int err_len) {
    size_t n = 0, n_own = 0;
    context[0] = own[0] = 0;
    if (!c->has_transcripts) return 0;
    if (load(c, hit->recording_id, err, err_len) != 0) return -1;
    const transcript *t = &c->cached;
    double from = hit->start_s - HIT_CONTEXT_MARGIN_S, to = hit->end_s + HIT_CONTEXT_MARGIN_S;
    int in_hit = 0, first = 1;
    for (int i = 0; i < t->num_words; i++) {
        const transcript_word *w = &t->words[i];
        if (w->end_s < from || w->start_s > to) continue;
        double middle = 0.5 * (w->start_s + w->end_s);
        int own_word = middle >= hit->start_s && middle <= hit->end_s;
        if (!first) append(context, context_len, &n, " ");
        if (own_word && !in_hit) append(context, context_len, &n, "[");
        if (!own_word && in_hit) {
            n -= n > 0 && context[n - 1] == ' '; /* "[white house] was" */
            append(context, context_len, &n, "] ");
        }
        append(context, context_len, &n, w->text);
        if (own_word) {
            if (n_own) append(own, own_len, &n_own, " ");
            append(own, own_len, &n_own, w->text);
        }
        in_hit = own_word;
        first = 0;
    }
    if (in_hit) append(context, context_len, &n, "]");
    return 0;
}
