/* Text <-> CTC labels (see ctc_text.h for the classes and the normalisation). */
#include "ctc_text.h"
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const digit_names[10] = {"zero", "one", "two",   "three", "four",
                                            "five", "six", "seven", "eight", "nine"};

char ctc_class_char(int label) {
    if (label == CTC_SPACE)
        return ' ';
    if (label == CTC_APOSTROPHE)
        return '\'';
    if (label >= CTC_FIRST_LETTER && label < CTC_NUM_CLASSES)
        return (char)('a' + label - CTC_FIRST_LETTER);
    return '?';
}

/* Appends one label, or a space when a word break is pending and a word has
 * started; -1 when out of room. */
static int put(int *labels, int *n, int max, int label, int *pending_space) {
    if (*pending_space && *n > 0) {
        if (*n >= max)
            return -1;
        labels[(*n)++] = CTC_SPACE;
    }
    *pending_space = 0;
    if (*n >= max)
        return -1;
    labels[(*n)++] = label;
    return 0;
}

int ctc_text_to_labels(const char *text, int *labels, int max_labels) {
    int n = 0, pending_space = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        int c = *p;
        if (c < 0x80 && isalpha(c)) {
            if (put(labels, &n, max_labels, CTC_FIRST_LETTER + tolower(c) - 'a', &pending_space))
                return -1;
        } else if (c == '\'') {
            if (put(labels, &n, max_labels, CTC_APOSTROPHE, &pending_space))
                return -1;
        } else if (c >= '0' && c <= '9') {
            pending_space = 1; /* a spelt-out digit is a word of its own */
            for (const char *d = digit_names[c - '0']; *d; d++)
                if (put(labels, &n, max_labels, CTC_FIRST_LETTER + *d - 'a', &pending_space))
                    return -1;
            pending_space = 1;
        } else {
            pending_space = 1;
        }
    }
    return n;
}

int ctc_labels_to_text(const int *labels, int num_labels, char *out, int out_len) {
    int n = 0;
    for (int i = 0; i < num_labels && n + 1 < out_len; i++)
        out[n++] = ctc_class_char(labels[i]);
    if (out_len > 0)
        out[n] = 0;
    return n;
}

static int has_non_ascii(const char *s) {
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return 1;
    return 0;
}

/* Called with each ASCII line of a text file (a line longer than the buffer
 * comes in pieces) and its labels; returns 0, or -1 when out of memory. */
typedef int (*text_line_fn)(void *ctx, const char *line, const int *labels, int num_labels);

/* Reads the text file at path line by line, skipping lines with a byte
 * outside ASCII (the head cannot spell "Ångström"), and hands each one's
 * labels to on_line.  Returns 0, or -1 with err (what of: "word list",
 * "text") when it cannot be read or on_line failed. */
static int read_text_lines(const char *path, const char *what, text_line_fn on_line, void *ctx,
                           char *err, int err_len) {
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, err_len, "cannot open %s: %s", what, strerror(errno));
        return -1;
    }
    char line[1024];
    int labels[6 * sizeof line], rc = 0; /* room for spelt digits */
    while (rc == 0 && fgets(line, sizeof line, f)) {
        if (has_non_ascii(line))
            continue;
        int n = ctc_text_to_labels(line, labels, (int)(sizeof labels / sizeof *labels));
        rc = on_line(ctx, line, labels, n);
    }
    int read_failed = ferror(f);
    fclose(f);
    if (rc != 0 || read_failed) {
        snprintf(err, err_len, rc != 0 ? "out of memory" : "cannot read %s", what);
        return -1;
    }
    return 0;
}

/* Adds every run of letters between separators as a word ("e-mail": e, mail). */
static int add_line_words(void *ctx, const char *line, const int *labels, int n) {
    (void)line;
    for (int start = 0, i = 0; i <= n; i++) {
        if (i < n && labels[i] != CTC_SPACE)
            continue;
        if (i > start && ctc_lexicon_add(ctx, labels + start, i - start) != 0)
            return -1;
        start = i + 1;
    }
    return 0;
}

ctc_lexicon *ctc_text_load_lexicon(const char *path, char *err, int err_len) {
    ctc_lexicon *lexicon = ctc_lexicon_new();
    if (!lexicon) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    if (read_text_lines(path, "word list", add_line_words, lexicon, err, err_len) != 0) {
        ctc_lexicon_free(lexicon);
        return NULL;
    }
    if (ctc_lexicon_num_words(lexicon) == 0) {
        snprintf(err, err_len, "no words in the word list (one word a line expected)");
        ctc_lexicon_free(lexicon);
        return NULL;
    }
    return lexicon;
}

/* Counts a line's labels, then a word break where the line's text breaks:
 * at its end, unless it is a piece of a longer line cut inside a word. */
static int count_line(void *ctx, const char *line, const int *labels, int n) {
    if (n == 0)
        return 0;
    size_t len = strlen(line);
    int last = len ? (unsigned char)line[len - 1] : ' ';
    const int word_break = CTC_SPACE;
    if (char_lm_add(ctx, labels, n) != 0)
        return -1;
    return !isalnum(last) && last != '\'' ? char_lm_add(ctx, &word_break, 1) : 0;
}

char_lm *ctc_text_load_char_lm(const char *path, int order, char *err, int err_len) {
    char_lm *lm = char_lm_new(order, CTC_NUM_CLASSES, CTC_SPACE);
    if (!lm) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    if (read_text_lines(path, "text", count_line, lm, err, err_len) != 0) {
        char_lm_free(lm);
        return NULL;
    }
    if (char_lm_num_labels_seen(lm) == 0) {
        snprintf(err, err_len, "no letters in the text to learn spelling from");
        char_lm_free(lm);
        return NULL;
    }
    return lm;
}
