/* Transcript <-> text (see transcript_format.h for the format). */
#include "transcript_format.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *transcript_format(const transcript *t) {
    /* Each line: two times of at most 24 characters each, the word, 3 separators. */
    size_t cap = 1;
    for (int i = 0; i < t->num_words; i++)
        cap += strlen(t->words[i].text) + 2 * 24 + 3;
    char *out = malloc(cap), *p = out;
    if (!out)
        return NULL;
    *p = 0;
    for (int i = 0; i < t->num_words; i++) {
        const transcript_word *w = &t->words[i];
        p += snprintf(p, cap - (size_t)(p - out), "%.2f\t%.2f\t%s\n", w->start_s, w->end_s,
                      w->text);
    }
    return out;
}

/* Reads a time ending at a tab; NULL when it is not a finite number. */
static const char *parse_time(const char *p, double *value) {
    char *end;
    *value = strtod(p, &end);
    if (end == p || *end != '\t' || !isfinite(*value))
        return NULL;
    return end + 1;
}

int transcript_parse(const char *text, transcript *out, char *err, int err_len) {
    memset(out, 0, sizeof *out);
    int capacity = 0, line = 0;
    for (const char *p = text; *p;) {
        line++;
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        double start_s, end_s;
        const char *word = parse_time(p, &start_s);
        if (word)
            word = parse_time(word, &end_s);
        size_t word_len = word ? len - (size_t)(word - p) : 0;
        if (!word || word > p + len || word_len == 0 || word_len >= TRANSCRIPT_WORD_MAX ||
            memchr(word, '\t', word_len) || start_s > end_s) {
            snprintf(err, err_len, "transcript line %d is not start<TAB>end<TAB>word", line);
            transcript_free(out);
            return -1;
        }
        if (out->num_words == capacity) {
            int grown = capacity ? 2 * capacity : 64;
            transcript_word *words = realloc(out->words, sizeof *words * grown);
            if (!words) {
                snprintf(err, err_len, "out of memory");
                transcript_free(out);
                return -1;
            }
            out->words = words, capacity = grown;
        }
        transcript_word *w = &out->words[out->num_words++];
        memcpy(w->text, word, word_len);
        w->text[word_len] = 0;
        w->start_s = start_s, w->end_s = end_s;
        p += len + (eol != NULL);
    }
    return 0;
}
