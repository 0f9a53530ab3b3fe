/* Heard-word training data (see trainer_heard.h): every file's transcript
 * (stored, or made now by the model's head), the words heard in two or
 * more recordings, and their segments, as heard and in an index window,
 * loaded as a word list would be. */
#include "trainer_heard.h"
#include "model_file.h"
#include "segmenter.h"
#include "trainer_internal.h"
#include "transcript_format.h"

#include <stdio.h>
#include <stdlib.h>

static void file_failed(const trainer_callbacks *cb, const char *path, const char *message) {
    if (cb && cb->file_failed)
        cb->file_failed(cb->ctx, path, message);
}

/* Writes words as a word-time file; 0, or -1 with err. */
static int write_words(const char *path, const trainer_word *words, long num, char *err,
                       int err_len) {
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, err_len, "%s: cannot write the words", path);
        return -1;
    }
    for (long k = 0; k < num; k++)
        fprintf(f, "%s\t%.2f\t%.2f\t%s\n", words[k].file, words[k].start_s, words[k].end_s,
                words[k].word);
    if (fclose(f) != 0) {
        snprintf(err, err_len, "%s: cannot write the words", path);
        return -1;
    }
    return 0;
}

/* A heard occurrence as the index holds it: in the shortest of the index's
 * window lengths that covers it (the longest when none does), centred on
 * it, the window's start moved by up to half a hop either way at random, as
 * the index's window starts fall anywhere around a word.  A query is a word
 * trimmed to its speech; what it is searched among is such windows, with a
 * little of the words around it. */
static trainer_word in_index_window(trainer_word heard, double frame_s, uint64_t *rng) {
    const segmenter_options seg = segmenter_defaults();
    double length_s = seg.length_frames[seg.num_lengths - 1] * frame_s;
    for (int k = seg.num_lengths - 1; k >= 0; k--)
        if (seg.length_frames[k] * frame_s >= heard.end_s - heard.start_s)
            length_s = seg.length_frames[k] * frame_s;
    double shift_s = (rand_unit(rng) - 0.5) * seg.hop_frames * frame_s;
    double start_s = heard.start_s - (length_s - (heard.end_s - heard.start_s)) / 2 + shift_s;
    heard.start_s = start_s > 0 ? start_s : 0;
    heard.end_s = heard.start_s + length_s;
    return heard;
}

/* Transcribes path with model; 0, or -1 with err (the file's problem). */
static int transcribe_file(const autoencoder *model, const char *path,
                           const transcribe_options *decode, transcript *out, char *err,
                           int err_len) {
    feature_matrix fm;
    if (features_compute(path, autoencoder_feature_options(model),
                         autoencoder_feature_stats(model), &fm, err, err_len) != 0)
        return -1;
    int rc = transcribe_frames(model, &fm, decode, out, err, err_len);
    features_free(&fm);
    return rc;
}

/* Fills heard[i] for every file: its stored transcript parsed, or one made
 * now.  A file's own problem is reported and leaves heard[i] empty; returns
 * 0, or -1 with err when the model cannot be loaded or has no head. */
static int gather_transcripts(const char *model_path, const char *const *files,
                              const char *const *transcripts, int num_files,
                              const transcribe_options *decode, const trainer_callbacks *cb,
                              transcript *heard, char *err, int err_len) {
    autoencoder *model = NULL;
    int num_missing = 0, done = 0;
    for (int i = 0; i < num_files; i++)
        num_missing += !transcripts || !transcripts[i];
    if (num_missing > 0) {
        if (!(model = autoencoder_load(model_path, err, err_len)))
            return -1;
        if (autoencoder_ctc_classes(model) == 0) {
            snprintf(err, err_len, "%s has no CTC head to transcribe the %d recordings without "
                     "a stored transcript (train with --variant mined)", model_path, num_missing);
            autoencoder_free(model);
            return -1;
        }
        trainer_note(cb, "transcribing %d recordings (no stored transcript)", num_missing);
    }
    char why[512];
    for (int i = 0; i < num_files; i++) {
        if (transcripts && transcripts[i]) {
            if (transcript_parse(transcripts[i], &heard[i], why, sizeof why) != 0) {
                char message[600];
                snprintf(message, sizeof message,
                         "stored transcript unreadable (%s); not trained on", why);
                file_failed(cb, files[i], message);
            }
            continue;
        }
        if (transcribe_file(model, files[i], decode, &heard[i], why, sizeof why) != 0)
            file_failed(cb, files[i], why);
        if (++done % 100 == 0)
            trainer_note(cb, "transcribed %d of %d", done, num_missing);
    }
    autoencoder_free(model);
    return 0;
}

trainer_data *trainer_data_load_heard(const trainer_options *opts, const char *model_path,
                                      const char *const *files,
                                      const char *const *transcripts, int num_files,
                                      const transcribe_options *decode,
                                      const repeated_word_options *words,
                                      const char *words_out, const trainer_callbacks *cb,
                                      int *num_words, long *num_heard, char *err, int err_len) {
    *num_words = 0, *num_heard = 0;
    feature_options fo; /* model_file_load_features fills it, defaults for what files leave unsaid */
    feature_stats stats;
    transcript *heard = calloc(num_files > 0 ? num_files : 1, sizeof *heard);
    repeated_word *found = NULL;
    trainer_word *list = NULL;
    trainer_data *d = NULL;
    if (!heard) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    if (model_file_load_features(model_path, &fo, &stats, err, err_len) != 0 ||
        gather_transcripts(model_path, files, transcripts, num_files, decode, cb, heard, err,
                           err_len) != 0)
        goto cleanup;
    long n = repeated_words_find(heard, num_files, words, &found, num_words);
    if (n < 0) {
        snprintf(err, err_len, "out of memory");
        goto cleanup;
    }
    if (n == 0) {
        char searched[64] = "";
        if (words->num_searched > 0)
            snprintf(searched, sizeof searched, ", one of them among the %d searched",
                     words->num_searched);
        snprintf(err, err_len, "no word of %d letters or more is heard in %d recordings of the "
                 "%d%s (train with --variant mined)", words->min_letters, words->min_recordings,
                 num_files, searched);
        goto cleanup;
    }
    if (!(list = malloc(sizeof *list * 2 * n))) {
        snprintf(err, err_len, "out of memory");
        goto cleanup;
    }
    for (long k = 0; k < n; k++) {
        const char *file = files[found[k].recording];
        /* each recording its own speaker: partners come from other recordings */
        list[k] = (trainer_word){file, found[k].word->start_s, found[k].word->end_s,
                                 found[k].word->text, file};
    }
    if (words_out && write_words(words_out, list, n, err, err_len) != 0)
        goto cleanup;
    trainer_note(cb, "%d words heard in %d or more recordings, %ld times in all; each time "
                 "trained on as heard and in a window of the index's around it", *num_words,
                 words->min_recordings, n);
    *num_heard = n;
    /* Every occurrence also enters as the index holds it (one speaker with
     * its span, so the two are never each other's partner). */
    uint64_t rng = opts->seed;
    for (long k = 0; k < n; k++)
        list[n + k] = in_index_window(list[k], fo.mfcc.frame_shift_ms / 1000.0, &rng);
    d = trainer_data_load_word_list(opts, &fo, list, 2 * n, cb, err, err_len);
cleanup:
    for (int i = 0; i < num_files; i++)
        transcript_free(&heard[i]);
    free(heard);
    free(found);
    free(list);
    return d;
}
