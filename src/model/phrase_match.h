/* Finding a written phrase in a transcript: fuzzy matching of the phrase's
 * characters against runs of consecutive transcript words.
 *
 * A run of words i..j reads as those words joined by single spaces; its
 * distance to the phrase is the character edit distance (Levenshtein:
 * insertions, deletions, substitutions, each 1), and its score is
 * 1 - distance / (characters in the phrase). For each word j the best run
 * ending at j is found (the best start i), in one pass of approximate
 * string matching (Sellers, 1980) whose matches may only start at a word's
 * first character and end at a word's last: O(characters of the transcript
 * x characters of the phrase), no run enumerated.
 *
 * Scoring against the 1-best transcript, character by character, is what
 * makes a misspelt recognition ("wite hous") still count, and a missed or an
 * extra space costs one edit, like any other error. */
#ifndef S2S_MODEL_PHRASE_MATCH_H
#define S2S_MODEL_PHRASE_MATCH_H

#include "transcriber.h"

/* One run of words. */
typedef struct {
    int first_word, last_word;
    int distance;  /* edit distance between the phrase and the run */
    float score;   /* 1 - distance / phrase length; may be <= 0 */
} phrase_run;

/* Normalises text as the CTC head's labels read (ctc_text.h: lower case,
 * digits spelt out, other symbols word breaks) into out (out_len bytes);
 * returns its length, 0 when nothing is left, -1 when it does not fit. */
int phrase_normalise(const char *text, char *out, int out_len);

/* For each word j of t, the best run ending at j: runs[j] (room for
 * t->num_words), with the smallest distance (ties: the shortest run).
 * phrase is normalised text (phrase_normalise), non-empty. Returns 0, or -1
 * when out of memory. */
int phrase_best_runs(const char *phrase, const transcript *t, phrase_run *runs);

/* Keeps the best runs that do not overlap in time, as spoken hits are merged
 * (index_search.h: a run is dropped when a better kept run shares more than
 * half of the shorter one's span); with one_only, only the best run. runs
 * (num_runs, as from phrase_best_runs) are reordered: the kept ones come
 * first, best first (ties: earlier first). Runs scoring <= min_score are
 * dropped. Returns how many are kept. */
int phrase_merge_runs(phrase_run *runs, int num_runs, const transcript *t, float min_score,
                      int one_only);

#endif
