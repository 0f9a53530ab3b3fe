/* Words heard in several recordings (see repeated_words.h): every long
 * enough word of every transcript is listed, the list is sorted by
 * spelling, and each run of one spelling is kept when it spans enough
 * recordings (one of them searched, when that is asked). */
#include "repeated_words.h"

#include <stdlib.h>
#include <string.h>

repeated_word_options repeated_word_defaults(void) {
    return (repeated_word_options){.min_letters = 5, .min_recordings = 2, .num_searched = 0};
}

static int letters(const char *word) {
    int n = 0;
    for (; *word; word++)
        n += *word != '\'';
    return n;
}

/* By spelling, then recording, then time (the order of a transcript). */
static int compare_occurrences(const void *a, const void *b) {
    const repeated_word *x = a, *y = b;
    int c = strcmp(x->word->text, y->word->text);
    if (c) return c;
    if (x->recording != y->recording) return x->recording < y->recording ? -1 : 1;
    return (x->word > y->word) - (x->word < y->word);
}

long repeated_words_find(const transcript *transcripts, int num,
                         const repeated_word_options *o, repeated_word **out,
                         int *num_distinct) {
    *out = NULL;
    *num_distinct = 0;
    long total = 0;
    for (int r = 0; r < num; r++)
        total += transcripts[r].num_words;
    if (total == 0) return 0;
    repeated_word *all = malloc(sizeof *all * total);
    if (!all) return -1;
    long n = 0;
    for (int r = 0; r < num; r++)
        for (int w = 0; w < transcripts[r].num_words; w++)
            if (letters(transcripts[r].words[w].text) >= o->min_letters)
                all[n++] = (repeated_word){r, &transcripts[r].words[w]};
    qsort(all, n, sizeof *all, compare_occurrences);
    long kept = 0;
    for (long i = 0; i < n;) {
        long j = i + 1;
        int recordings = 1;
        for (; j < n && !strcmp(all[j].word->text, all[i].word->text); j++)
            recordings += all[j].recording != all[j - 1].recording;
        /* recordings ascend within a word: the first is the lowest */
        int searched = o->num_searched == 0 || all[i].recording < o->num_searched;
        if (recordings >= o->min_recordings && searched) {
            memmove(all + kept, all + i, sizeof *all * (j - i));
            kept += j - i;
            (*num_distinct)++;
        }
        i = j;
    }
    if (kept == 0) {
        free(all);
        return 0;
    }
    *out = all;
    return kept;
}
