/* Text <-> CTC labels (see ctc_text.h for the classes and the normalisation). */
#include "ctc_text.h"
#include <ctype.h>

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
