/* Written-phrase queries (s2s query --text, s2s eval --text) against what
 * the index stores of the CTC head's output, read once for all phrases:
 *  - posteriors (the default when the index has them): each phrase's
 *    characters are spotted in every recording's pruned frame posteriors
 *    (phrase_spot.h; score exp(log-ratio / characters), in (0, 1]), each
 *    local maximum over end frames a candidate;
 *  - transcripts: each phrase is fuzzy-matched against every transcript
 *    (phrase_match.h: best run of words ending at each word, score 1 -
 *    edit distance / phrase length).
 * Overlapping candidates of a recording are merged as spoken hits are, and
 * the best k of all recordings are kept. Needs no model and no audio: only
 * the index. Posteriors rank better (README: Text queries). */
#ifndef S2S_TEXT_SEARCH_H
#define S2S_TEXT_SEARCH_H
#include "index_search.h"
#include "path_list.h"

/* The hits of one phrase, best first (ties: recordings in path order, then
 * earlier), their paths owned by the text_search_result. */
typedef struct {
    index_hit *hits;
    int num_hits;
} text_search_hits;

typedef enum {
    TEXT_SEARCH_AUTO,        /* posteriors when the index has them, else transcripts */
    TEXT_SEARCH_POSTERIORS,
    TEXT_SEARCH_TRANSCRIPTS,
} text_search_scoring;

typedef struct {
    text_search_scoring scoring; /* what was searched */
    int num_phrases;
    text_search_hits *phrases;  /* (num_phrases) */
    path_list paths;            /* recordings with a hit */
    int64_t num_searched;       /* recordings searched */
} text_search_result;

/* Searches db for each of phrases (raw text; normalised here). options: k,
 * per_file and threshold as for spoken queries; only candidates scoring
 * above 0 are hits. A phrase with nothing left after normalisation gets no
 * hits. Returns 0 (free *out with text_search_free), or -1 with err: out of
 * memory, damaged stored data, an index without transcripts ("... has no
 * transcripts ..."), or posteriors asked of an index without them. */
int text_search_run(index_db *db, const char *const *phrases, int num_phrases,
                    const index_search_options *options, text_search_scoring scoring,
                    text_search_result *out, char *err, int err_len);
void text_search_free(text_search_result *result);

/* Parses --text-score's value (auto, posteriors, transcripts); 0, or -1
 * after a usage error naming command. */
int cli_parse_text_scoring(const char *command, const char *value, text_search_scoring *out);
#endif
