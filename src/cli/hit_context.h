/* The words around a hit, from the transcript the index stores for its
 * recording (s2s query's context column): the words that overlap the hit's
 * span widened by HIT_CONTEXT_MARGIN_S on each side, the hit's own words
 * (those whose middle lies inside the span) in brackets:
 * "the [white house] was". */
#ifndef S2S_HIT_CONTEXT_H
#define S2S_HIT_CONTEXT_H
#include "index_search.h"
#include "transcriber.h"

#define HIT_CONTEXT_MARGIN_S 1.0

typedef struct {
    index_db *db;
    int has_transcripts;     /* some recording of the index has one */
    int64_t cached_id;       /* the recording whose transcript is parsed below */
    int cached_has;
    transcript cached;
} hit_context;

/* Prepares to read db's transcripts (db stays the caller's); sets
 * has_transcripts. Returns 0, or -1 with err. */
int hit_context_open(hit_context *c, index_db *db, char *err, int err_len);
void hit_context_close(hit_context *c);

/* Fills context (the words around the hit, own words bracketed) and own
 * (the hit's own words, space-joined); both "" when the hit's recording has
 * no transcript or no word near the hit; cut to their lengths. Returns 0, or
 * -1 with err (a damaged transcript, a failed read). */
int hit_context_get(hit_context *c, const index_hit *hit, char *context, size_t context_len,
                    char *own, size_t own_len, char *err, int err_len);
#endif
