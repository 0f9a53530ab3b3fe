/* Training data: the segments the autoencoder learns from, as frames in one
 * pool: word (or phrase) spans from a word-time file, or windows cut from the
 * detected speech of audio files; word and speaker ids for the
 * correspondence variant. See trainer.h for the contract. */
#include "trainer_internal.h"
#include "ctc_text.h"
#include "vad.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t fnv1a(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int intern(intern_table *t, const char *s) {
    if (t->num * 2 >= t->num_slots) {
        int ns = t->num_slots ? 2 * t->num_slots : 1024;
        int *slots = calloc(ns, sizeof(int));
        if (!slots)
            return -1;
        for (int i = 0; i < t->num; i++) {
            size_t k = fnv1a(t->names[i]) & (ns - 1);
            while (slots[k])
                k = (k + 1) & (ns - 1);
            slots[k] = i + 1;
        }
        free(t->slots);
        t->slots = slots, t->num_slots = ns;
    }
    size_t k = fnv1a(s) & (t->num_slots - 1);
    while (t->slots[k]) {
        if (!strcmp(t->names[t->slots[k] - 1], s))
            return t->slots[k] - 1;
        k = (k + 1) & (t->num_slots - 1);
    }
    if (t->num == t->cap) {
        int nc = t->cap ? 2 * t->cap : 256;
        char **names = realloc(t->names, nc * sizeof(char *));
        if (!names)
            return -1;
        t->names = names, t->cap = nc;
    }
    if (!(t->names[t->num] = strdup(s)))
        return -1;
    t->slots[k] = ++t->num;
    return t->num - 1;
}

int trainer_intern_word(trainer_data *d, const char *word) { return intern(&d->words, word); }

static void intern_free(intern_table *t) {
    for (int i = 0; i < t->num; i++)
        free(t->names[i]);
    free(t->names);
    free(t->slots);
    memset(t, 0, sizeof *t);
}



void trainer_data_free(trainer_data *d) {
    if (!d)
        return;
    free(d->pool);
    free(d->segs);
    intern_free(&d->words);
    intern_free(&d->speakers);
    free(d->labels);
    free(d);
}

void trainer_data_summary(const trainer_data *d, long *num_segments, long *num_frames,
                          int *num_files, int *num_words) {
    *num_segments = d->num_segs;
    *num_frames = d->pool_len / d->dim;
    *num_files = d->num_files;
    *num_words = d->words.num;
}

/* Copies frames [start, start + length) of one file's matrix into the pool
 * as a new segment.  Returns 0 or -1 (out of memory). */
int trainer_add_segment(trainer_data *d, const float *frames, long start, int length, int word,
                        int speaker) {
    long need = d->pool_len + (long)length * d->dim;
    if (need > d->pool_cap) {
        long cap = d->pool_cap ? d->pool_cap : 1 << 20;
        while (cap < need)
            cap *= 2;
        float *pool = realloc(d->pool, cap * sizeof(float));
        if (!pool)
            return -1;
        d->pool = pool, d->pool_cap = cap;
    }
    if (d->num_segs == d->seg_cap) {
        long cap = d->seg_cap ? 2 * d->seg_cap : 4096;
        segment *segs = realloc(d->segs, cap * sizeof(segment));
        if (!segs)
            return -1;
        d->segs = segs, d->seg_cap = cap;
    }
    memcpy(d->pool + d->pool_len, frames + start * d->dim, sizeof(float) * length * d->dim);
    d->segs[d->num_segs++] = (segment){.offset = d->pool_len, .length = length, .word = word,
                                       .speaker = speaker, .rebuild = 1};
    d->pool_len = need;
    if (length > d->max_length)
        d->max_length = length;
    return 0;
}

int trainer_label_last_segment(trainer_data *d, const char *text) {
    size_t room = strlen(text) * 6 + 1; /* a digit spells out to at most 6 labels */
    if (d->num_labels + (long)room > d->labels_cap) {
        long cap = d->labels_cap ? d->labels_cap : 1 << 16;
        while (cap < d->num_labels + (long)room)
            cap *= 2;
        int *labels = realloc(d->labels, cap * sizeof(int));
        if (!labels)
            return -1;
        d->labels = labels, d->labels_cap = cap;
    }
    segment *s = &d->segs[d->num_segs - 1];
    int n = ctc_text_to_labels(text, d->labels + d->num_labels, (int)room);
    s->label_offset = d->num_labels;
    s->num_labels = n > 0 ? n : 0;
    d->num_labels += s->num_labels;
    return 0;
}

int trainer_split_tabs(char *line, char **fields, int max_fields) {
    int n = 0;
    for (char *p = line; p && n < max_fields; n++) {
        fields[n] = p;
        p = strchr(p, '\t');
        if (p)
            *p++ = 0;
    }
    return n;
}

void trainer_resolve_path(const char *list_path, const char *field, char *out, size_t out_len) {
    const char *slash = strrchr(list_path, '/');
    int dir_len = field[0] == '/' || !slash ? 0 : (int)(slash - list_path + 1);
    if (snprintf(out, out_len, "%.*s%s", dir_len, list_path, field) >= (int)out_len)
        out[0] = 0; /* too long: no file will be found, and the reader says so */
}

int trainer_speaker_of(trainer_data *d, const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char name[512];
    snprintf(name, sizeof name, "%s", base);
    char *dot = strrchr(name, '.');
    if (dot && dot != name)
        *dot = 0;
    char *us = strchr(name, '_');
    return intern(&d->speakers, us && us[1] ? us + 1 : name);
}

int trainer_read_copy(const trainer_options *opts, const feature_options *fo, const char *path,
                      int copy, const trainer_callbacks *cb, feature_matrix *out,
                      double *frame_s) {
    feature_options perturbed = *fo;
    if (copy > 0 && copy <= opts->num_vtlp_warps)
        perturbed.mfcc.vtln_warp = opts->vtlp_warps[copy - 1];
    else if (copy > opts->num_vtlp_warps)
        perturbed.mfcc.speed = opts->speeds[copy - 1 - opts->num_vtlp_warps];
    if (frame_s)
        *frame_s = 0.001 * fo->mfcc.frame_shift_ms *
                   (perturbed.mfcc.speed > 0 ? perturbed.mfcc.speed : 1.0f);
    char err[512];
    if (features_compute(path, &perturbed, NULL, out, err, sizeof err) == 0)
        return 0;
    if (copy == 0 && cb && cb->file_failed)
        cb->file_failed(cb->ctx, path, err);
    return -1;
}

typedef struct {
    char *file; /* owned */
    double start_s, end_s;
    int word;
    int speaker; /* -1: the file's (trainer_speaker_of) */
    long order;  /* position in the input, keeps the sort stable */
} word_entry;

static int compare_entries(const void *a, const void *b) {
    const word_entry *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    return c ? c : (x->order < y->order ? -1 : x->order > y->order);
}

/* A growable list of word entries. */
typedef struct {
    word_entry *items;
    long num, cap;
} entry_list;

/* Appends an entry owning a copy of file; 0, or -1 when out of memory. */
static int entry_add(entry_list *l, const char *file, double start_s, double end_s, int word,
                     int speaker) {
    if (word < 0) return -1;
    if (l->num == l->cap) {
        long cap = l->cap ? 2 * l->cap : 4096;
        word_entry *e = realloc(l->items, cap * sizeof *e);
        if (!e) return -1;
        l->items = e, l->cap = cap;
    }
    char *copy = strdup(file);
    if (!copy) return -1;
    l->items[l->num] = (word_entry){copy, start_s, end_s, word, speaker, l->num};
    l->num++;
    return 0;
}

static void entries_free(entry_list *l) {
    for (long i = 0; i < l->num; i++)
        free(l->items[i].file);
    free(l->items);
}

/* Reads words_path's lines into l (words interned in d); 0, or -1 with err. */
static int parse_word_file(trainer_data *d, const char *words_path, entry_list *l, char *err,
                           int err_len) {
    FILE *f = fopen(words_path, "r");
    if (!f) {
        snprintf(err, err_len, "%s: cannot open word-time file", words_path);
        return -1;
    }
    long line_no = 0;
    char line[8192];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        line_no++;
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#')
            continue;
        char *fields[4];
        int nf = trainer_split_tabs(line, fields, 4);
        char *end1, *end2;
        double start = nf == 4 ? strtod(fields[1], &end1) : 0, stop = nf == 4 ? strtod(fields[2], &end2) : 0;
        if (nf != 4 || *end1 || *end2 || !(stop > start) || start < 0) {
            snprintf(err, err_len, "%s:%ld: expected file<TAB>start<TAB>end<TAB>word (seconds)",
                     words_path, line_no);
            rc = -1;
            break;
        }
        char path[8192];
        trainer_resolve_path(words_path, fields[0], path, sizeof path);
        if (entry_add(l, path, start, stop, intern(&d->words, fields[3]), -1) != 0) {
            snprintf(err, err_len, "out of memory");
            rc = -1;
        }
    }
    fclose(f);
    return rc;
}

/* Adds the segments of l's entries, file by file (each file's frames are
 * read once per copy of the data), each labelled with its word for the CTC
 * head; 0, or -1 with err (out of memory). */
static int load_entries(trainer_data *d, const trainer_options *opts, const feature_options *fo,
                        entry_list *l, const trainer_callbacks *cb, char *err, int err_len) {
    word_entry *entries = l->items;
    const long num = l->num;
    qsort(entries, num, sizeof *entries, compare_entries);
    long done_files = 0;
    for (long i = 0; i < num;) {
        long j = i;
        while (j < num && !strcmp(entries[j].file, entries[i].file))
            j++;
        int file_speaker = -1, file_speaker_known = 0; /* interned once, when an entry names none */
        for (int copy = 0; copy < trainer_num_copies(opts); copy++) {
            feature_matrix fm;
            double shift_s;
            if (trainer_read_copy(opts, fo, entries[i].file, copy, cb, &fm, &shift_s) != 0)
                break;
            d->num_files += copy == 0;
            for (long k = i; k < j; k++) {
                long s = lround(entries[k].start_s / shift_s), e = lround(entries[k].end_s / shift_s);
                if (e > fm.num_frames)
                    e = fm.num_frames;
                if (e - s < 3 || e - s > opts->max_segment_frames)
                    continue;
                int speaker = entries[k].speaker;
                if (speaker < 0 && !file_speaker_known)
                    file_speaker = trainer_speaker_of(d, entries[i].file), file_speaker_known = 1;
                if (speaker < 0)
                    speaker = file_speaker;
                if (speaker < 0 ||
                    trainer_add_segment(d, fm.data, s, (int)(e - s), entries[k].word, speaker) != 0 ||
                    trainer_label_last_segment(d, d->words.names[entries[k].word]) != 0) {
                    features_free(&fm);
                    snprintf(err, err_len, "out of memory");
                    return -1;
                }
            }
            features_free(&fm);
        }
        if (++done_files % 500 == 0)
            trainer_note(cb, "loaded %ld files, %ld segments", done_files, d->num_segs);
        i = j;
    }
    return 0;
}

static int load_words(trainer_data *d, const trainer_options *opts, const feature_options *fo,
                      const char *words_path, const trainer_callbacks *cb, char *err,
                      int err_len) {
    entry_list l = {0};
    int rc = parse_word_file(d, words_path, &l, err, err_len);
    if (rc == 0)
        rc = load_entries(d, opts, fo, &l, cb, err, err_len);
    entries_free(&l);
    return rc;
}

/* Cuts the speech of fm into windows of random lengths in [min_window,
 * max_window] frames and adds them; 0, or -1 when out of memory. */
static int add_windows(trainer_data *d, const trainer_options *opts, const feature_matrix *fm,
                       const feature_options *fo, int speaker, uint64_t *rng) {
    const vad_options vo = vad_defaults();
    int lo = opts->min_window_frames, hi = opts->max_window_frames;
    vad_region *regions;
    long num = features_speech_regions(fm, fo, &vo, &regions);
    if (num < 0)
        return -1;
    int rc = 0;
    for (long r = 0; r < num && rc == 0; r++) {
        long pos = regions[r].start_frame, end = regions[r].end_frame;
        while (end - pos >= lo && rc == 0) {
            long len = lo + rand_below(rng, hi - lo + 1);
            if (len > end - pos)
                len = end - pos;
            rc = trainer_add_segment(d, fm->data, pos, (int)len, -1, speaker);
            pos += len;
        }
    }
    free(regions);
    return rc;
}

static int load_windows(trainer_data *d, const trainer_options *opts, const feature_options *fo,
                        const char *const *files, int num_files, const trainer_callbacks *cb,
                        char *err, int err_len) {
    uint64_t rng = opts->seed ^ 0x5eedf00dull;
    for (int i = 0; i < num_files; i++) {
        int speaker = trainer_speaker_of(d, files[i]);
        for (int copy = 0; copy < trainer_num_copies(opts); copy++) {
            feature_matrix fm;
            /* windows are cut from the copy's own frames: no times to convert */
            if (trainer_read_copy(opts, fo, files[i], copy, cb, &fm, NULL) != 0)
                break;
            d->num_files += copy == 0;
            int rc = add_windows(d, opts, &fm, fo, speaker, &rng);
            features_free(&fm);
            if (rc != 0) {
                snprintf(err, err_len, "out of memory");
                return -1;
            }
        }
        if ((i + 1) % 500 == 0)
            trainer_note(cb, "loaded %d of %d files, %ld segments", i + 1, num_files, d->num_segs);
    }
    return 0;
}

/* What every loader ends with: the CTC-only utterances of
 * opts->transcripts_path, and the check that something was loaded.  Takes
 * rc, the loading's status so far; returns d, or NULL (d freed) with err. */
static trainer_data *finish_load(trainer_data *d, int rc, const trainer_options *opts,
                                 const feature_options *features, const char *no_speech,
                                 const trainer_callbacks *cb, char *err, int err_len) {
    if (rc == 0 && opts->transcripts_path)
        rc = trainer_load_transcripts(d, opts, features, cb, err, err_len);
    if (rc == 0 && d->num_segs == 0) {
        snprintf(err, err_len, "no training segments (%d files read%s)", d->num_files, no_speech);
        rc = -1;
    }
    if (rc != 0) {
        trainer_data_free(d);
        return NULL;
    }
    return d;
}

trainer_data *trainer_data_load(const trainer_options *opts, const feature_options *features,
                                const char *const *files, int num_files, const char *words_path,
                                const trainer_callbacks *cb, char *err, int err_len) {
    trainer_data *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    d->dim = features_dim(features);
    int rc = words_path ? load_words(d, opts, features, words_path, cb, err, err_len)
                        : load_windows(d, opts, features, files, num_files, cb, err, err_len);
    return finish_load(d, rc, opts, features, words_path ? "" : ", no speech detected", cb, err,
                       err_len);
}

trainer_data *trainer_data_load_word_list(const trainer_options *opts,
                                          const feature_options *features,
                                          const trainer_word *words, long num_words,
                                          const trainer_callbacks *cb, char *err, int err_len) {
    trainer_data *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    d->dim = features_dim(features);
    entry_list l = {0};
    int rc = 0;
    for (long i = 0; i < num_words && rc == 0; i++) {
        int speaker = words[i].speaker ? intern(&d->speakers, words[i].speaker) : -1;
        if ((words[i].speaker && speaker < 0) ||
            entry_add(&l, words[i].file, words[i].start_s, words[i].end_s,
                      intern(&d->words, words[i].word), speaker) != 0) {
            snprintf(err, err_len, "out of memory");
            rc = -1;
        }
    }
    if (rc == 0)
        rc = load_entries(d, opts, features, &l, cb, err, err_len);
    entries_free(&l);
    return finish_load(d, rc, opts, features, "", cb, err, err_len);
}

/* Mean and standard deviation of every dimension over all pooled frames. */
void trainer_compute_stats(const trainer_data *d, feature_stats *st) {
    int D = d->dim;
    double sum[FEATURES_MAX_DIM] = {0}, sq[FEATURES_MAX_DIM] = {0};
    long n = d->pool_len / D;
    for (long t = 0; t < n; t++)
        for (int k = 0; k < D; k++) {
            double v = d->pool[t * D + k];
            sum[k] += v, sq[k] += v * v;
        }
    st->dim = D;
    for (int k = 0; k < D; k++) {
        double mean = sum[k] / (n ? n : 1), var = sq[k] / (n ? n : 1) - mean * mean;
        st->mean[k] = (float)mean;
        st->stddev[k] = (float)(var > 1e-8 ? sqrt(var) : 1e-4);
    }
}

