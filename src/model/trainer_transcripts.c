/* Transcribed utterances for the CTC head: one CTC-only training segment per
 * file of a transcript list, either `file<TAB>text` (the file's detected
 * speech) or a word-time file `file<TAB>start<TAB>end<TAB>word` (the span of
 * its words, their text joined by spaces).  Whole utterances teach the head
 * what word segments alone cannot: the spaces between words and how words
 * run into each other. */
#include "trainer_internal.h"
#include "vad.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *file;            /* resolved path, owned */
    char *text;            /* owned */
    double start_s, end_s; /* word span; start_s < 0: the file's speech */
    long order;            /* line number */
} transcript_line;

static int compare_lines(const void *a, const void *b) {
    const transcript_line *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    if (c)
        return c;
    if (x->start_s != y->start_s)
        return x->start_s < y->start_s ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

static int read_lines(const char *path, transcript_line **out, long *num_out, char *err,
                      int err_len) {
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, err_len, "%s: cannot open transcript file", path);
        return -1;
    }
    transcript_line *lines = NULL;
    long num = 0, cap = 0, line_no = 0;
    char line[16384], resolved[8192];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        line_no++;
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#')
            continue;
        char *fields[4], *end1 = NULL, *end2 = NULL;
        int nf = trainer_split_tabs(line, fields, 4);
        transcript_line t = {.start_s = -1.0, .order = line_no};
        if (nf == 4) {
            t.start_s = strtod(fields[1], &end1);
            t.end_s = strtod(fields[2], &end2);
        }
        if (!(nf == 2 || (nf == 4 && !*end1 && !*end2 && t.end_s > t.start_s && t.start_s >= 0))) {
            snprintf(err, err_len,
                     "%s:%ld: expected file<TAB>text or file<TAB>start<TAB>end<TAB>word", path,
                     line_no);
            rc = -1;
            break;
        }
        if (num == cap) {
            cap = cap ? 2 * cap : 1024;
            transcript_line *grown = realloc(lines, cap * sizeof *grown);
            if (!grown) {
                rc = -1;
                break;
            }
            lines = grown;
        }
        trainer_resolve_path(path, fields[0], resolved, sizeof resolved);
        t.file = strdup(resolved);
        t.text = strdup(fields[nf - 1]);
        lines[num++] = t;
        if (!t.file || !t.text)
            rc = -1;
    }
    fclose(f);
    if (rc != 0 && !err[0])
        snprintf(err, err_len, "out of memory");
    *out = lines, *num_out = num;
    return rc;
}

/* Frames [*start, *end) of the file's speech: the first to the last speech
 * frame, with the VAD's padding.  0, or -1 when no speech is found. */
static int speech_span(const feature_matrix *fm, const feature_options *fo, long *start,
                       long *end) {
    const vad_options vo = vad_defaults();
    vad_region *regions;
    long num = features_speech_regions(fm, fo, &vo, &regions);
    if (num <= 0)
        return -1;
    *start = regions[0].start_frame, *end = regions[num - 1].end_frame;
    free(regions);
    return 0;
}

/* Adds frames [start, end) of fm, labelled with the texts of lines [i, j)
 * joined by spaces, as one CTC-only segment; one longer than the head
 * trains on is counted in *num_too_long instead.  -1 when out of memory. */
static int add_span(trainer_data *d, const trainer_options *opts, const feature_matrix *fm,
                    const transcript_line *lines, long i, long j, long start, long end,
                    long *num_too_long) {
    if (start < 0)
        start = 0;
    if (end > fm->num_frames)
        end = fm->num_frames;
    if (end - start < 3)
        return 0;
    if (end - start > opts->max_utterance_frames) {
        (*num_too_long)++;
        return 0;
    }
    size_t text_len = 1;
    for (long k = i; k < j; k++)
        text_len += strlen(lines[k].text) + 1;
    char *text = malloc(text_len);
    if (!text)
        return -1;
    text[0] = 0;
    for (long k = i; k < j; k++) {
        if (k > i)
            strcat(text, " ");
        strcat(text, lines[k].text);
    }
    int rc = 0;
    if (trainer_add_segment(d, fm->data, start, (int)(end - start), -1,
                            trainer_speaker_of(d, lines[i].file)) != 0 ||
        trainer_label_last_segment(d, text) != 0) {
        rc = -1;
    } else if (d->segs[d->num_segs - 1].num_labels == 0) {
        d->num_segs--; /* nothing to learn from an empty text */
        d->pool_len -= (long)(end - start) * d->dim;
    } else {
        d->segs[d->num_segs - 1].rebuild = 0;
        d->num_utterances++;
    }
    free(text);
    return rc;
}

/* Adds the utterances of lines [i, j) (one file) to d, once per copy of
 * the data (trainer_num_copies): the file's speech with its text, or its
 * words, in runs of consecutive words as long as the head trains on (a long
 * recording with word times is cut between words, not left out).  A file
 * that cannot be read is reported and skipped; returns -1 only when out of
 * memory. */
static int add_utterance(trainer_data *d, const trainer_options *opts, const feature_options *fo,
                         const transcript_line *lines, long i, long j, const trainer_callbacks *cb,
                         long *num_too_long) {
    const long pad = 5; /* frames of context around a word span */
    int rc = 0;
    for (int copy = 0; copy < trainer_num_copies(opts) && rc == 0; copy++) {
        feature_matrix fm;
        double shift_s;
        if (trainer_read_copy(opts, fo, lines[i].file, copy, cb, &fm, &shift_s) != 0)
            return 0;
        long too_long = 0;
        if (lines[i].start_s < 0) {
            long start, end;
            if (speech_span(&fm, fo, &start, &end) == 0)
                rc = add_span(d, opts, &fm, lines, i, j, start, end, &too_long);
        } else {
            for (long a = i, b; a < j && rc == 0; a = b) {
                long start = lround(lines[a].start_s / shift_s) - pad;
                for (b = a + 1; b < j; b++)
                    if (lround(lines[b].end_s / shift_s) + pad - start > opts->max_utterance_frames)
                        break;
                rc = add_span(d, opts, &fm, lines, a, b, start,
                              lround(lines[b - 1].end_s / shift_s) + pad, &too_long);
            }
        }
        if (copy == 0) /* the same spans in every copy: counted once */
            *num_too_long += too_long;
        features_free(&fm);
    }
    return rc;
}

int trainer_load_transcripts(trainer_data *d, const trainer_options *opts,
                             const feature_options *fo, const trainer_callbacks *cb, char *err,
                             int err_len) {
    transcript_line *lines = NULL;
    long num = 0, num_too_long = 0;
    err[0] = 0;
    int rc = read_lines(opts->transcripts_path, &lines, &num, err, err_len);
    if (rc == 0) {
        qsort(lines, num, sizeof *lines, compare_lines);
        for (long i = 0, j; i < num && rc == 0; i = j) {
            for (j = i; j < num && !strcmp(lines[j].file, lines[i].file); j++)
                ;
            rc = add_utterance(d, opts, fo, lines, i, j, cb, &num_too_long);
        }
        if (rc != 0)
            snprintf(err, err_len, "out of memory");
    }
    if (num_too_long > 0)
        trainer_note(cb, "%ld transcribed files longer than %d frames left out", num_too_long,
                     opts->max_utterance_frames);
    trainer_note(cb, "%ld transcribed utterances for the CTC head", d->num_utterances);
    for (long i = 0; i < num; i++)
        free(lines[i].file), free(lines[i].text);
    free(lines);
    return rc;
}
