/* Training words without labels: the words a model's CTC head heard in two
 * or more recordings.  `s2s train --db` (--variant transcribed) trains the
 * correspondence objective on them: each occurrence of a word is rebuilt
 * from another recording's occurrence of the same word.
 *
 * Why these and not pairs mined from the vectors (pair_miner.h): the
 * vectors' nearest neighbours are mostly one voice saying a word twice, a
 * near copy that teaches no invariance, where the head spells a word the
 * same whoever says it.  On the English evaluation set the words heard in
 * two recordings (5 letters or more) are the same word in 99% of the pairs
 * they make, 82% of them by two voices (README, Retraining).
 *
 * Knows nothing of audio: a transcript is words with times. */
#ifndef S2S_MODEL_REPEATED_WORDS_H
#define S2S_MODEL_REPEATED_WORDS_H

#include "transcriber.h"

typedef struct {
    int min_letters;    /* 5: shorter words are left out (apostrophes do not count):
                           short words are more often misheard, and spelt alike
                           when they are not the same word */
    int min_recordings; /* 2: a word must be heard in this many recordings */
    int num_searched;   /* 0: any recording counts; else a word must also be heard in
                           one of the first num_searched recordings (those of the
                           index, not audio added for training): the collection's
                           own repeated words are what retraining gains from, and
                           other words heard only in added audio lowered MAP */
} repeated_word_options;

repeated_word_options repeated_word_defaults(void);

/* One occurrence of a kept word. */
typedef struct {
    int recording;               /* index into the transcripts given */
    const transcript_word *word; /* points into that transcript */
} repeated_word;

/* Every occurrence of every word of at least o->min_letters letters that
 * is heard in at least o->min_recordings of the num transcripts (one per
 * recording; a transcript may have no words) and, with o->num_searched, in
 * one of the first num_searched.  Writes them into a
 * malloc'ed *out (caller frees; NULL when none), grouped by word in
 * alphabetical order and, within a word, by recording and time; sets
 * *num_distinct to the words kept.  Returns the occurrences, or -1 when
 * out of memory. */
long repeated_words_find(const transcript *transcripts, int num,
                         const repeated_word_options *o, repeated_word **out,
                         int *num_distinct);

#endif
