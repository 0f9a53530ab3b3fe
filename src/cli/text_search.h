/* Written-phrase queries (s2s query --text, s2s eval --text) against the
 * transcripts the index stores: each phrase is normalised like the CTC
 * head's text, every transcript is read once and fuzzy-matched against every
 * phrase (phrase_match.h: best run of words ending at each word, score 1 -
 * edit distance / phrase length), overlapping runs of a recording are merged
 * as spoken hits are, and the best k of all recordings are kept. Needs no
 * model and no audio: only the index. */
#ifndef S2S_TEXT_SEARCH_H
#define S2S_TEXT_SEARCH_H
#include "index_search.h"

/* The hits of one phrase, best first (ties: recordings in path order, then
 * earlier), their paths owned by the text_search_result. */
typedef struct {
    index_hit *hits;
    int num_hits;
} text_search_hits;

typedef struct {
    int num_phrases;
    text_search_hits *phrases;  /* (num_phrases) */
    char **paths;               /* recordings with a hit, owned */
    int num_paths;
    int64_t num_transcripts;    /* recordings searched */
} text_search_result;

/* Searches db's transcripts for each of phrases (raw text; normalised here).
 * options: k, per_file and threshold as for spoken queries; only runs
 * scoring above 0 are hits. A phrase with nothing left after normalisation
 * gets no hits. Returns 0 (free *out with text_search_free), or -1 with err:
 * out of memory, a damaged transcript, or an index without transcripts
 * ("... has no transcripts ..."). */
int text_search_run(index_db *db, const char *const *phrases, int num_phrases,
                    const index_search_options *options, text_search_result *out, char *err,
                    int err_len);
void text_search_free(text_search_result *result);
#endif
