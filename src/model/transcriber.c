/* Transcription: VAD regions -> chunks of at most CHUNK_FRAMES -> encoder +
 * CTC head log-probabilities, BATCH chunks at a time -> greedy or beam
 * decoding -> words. */
#include "transcriber.h"
#include "ctc_decode.h"
#include "ctc_head.h"
#include "ctc_text.h"
#include "recording_embedder.h"
#include "vad.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest stretch decoded at once, and how far back from it a cut may go;
 * how many stretches go through the network together. */
enum { CHUNK_FRAMES = CTC_HEAD_MAX_FRAMES, CHUNK_SEARCH = 500, BATCH = 8 };

static const float BEAM_PRUNE = 10.0f; /* classes below e^-10 at a frame are not tried */

void transcript_free(transcript *t) {
    free(t->words);
    t->words = NULL;
    t->num_words = 0;
}

size_t transcript_text(const transcript *t, char *out, size_t out_len) {
    size_t n = 0;
    for (int i = 0; i < t->num_words; i++) {
        const char *w = t->words[i].text;
        for (const char *p = i ? " " : ""; *p; p++, n++)
            if (n + 1 < out_len)
                out[n] = *p;
        for (; *w; w++, n++)
            if (n + 1 < out_len)
                out[n] = *w;
    }
    if (out_len > 0)
        out[n < out_len ? n : out_len - 1] = 0;
    return n;
}

/* Appends a word; -1 when out of memory. */
static int add_word(transcript *t, int *capacity, const char *text, int len, double start_s,
                    double end_s) {
    if (t->num_words == *capacity) {
        int grown = *capacity ? 2 * *capacity : 64;
        transcript_word *words = realloc(t->words, sizeof *words * grown);
        if (!words)
            return -1;
        t->words = words, *capacity = grown;
    }
    transcript_word *w = &t->words[t->num_words++];
    if (len >= TRANSCRIPT_WORD_MAX)
        len = TRANSCRIPT_WORD_MAX - 1;
    memcpy(w->text, text, len);
    w->text[len] = 0;
    w->start_s = start_s, w->end_s = end_s;
    return 0;
}

/* Turns tokens (frames relative to first_frame) into words split at spaces. */
static int tokens_to_words(const ctc_token *tokens, int n, long first_frame,
                           const feature_options *fo, transcript *t, int *capacity) {
    char word[TRANSCRIPT_WORD_MAX];
    int len = 0;
    long start = 0, last = 0;
    for (int i = 0; i <= n; i++) {
        if (i == n || tokens[i].label == CTC_SPACE) {
            if (len > 0 && add_word(t, capacity, word, len,
                                    embedder_frame_start_s(fo, first_frame + start),
                                    embedder_window_end_s(fo, first_frame + last, 1)) != 0)
                return -1;
            len = 0;
            continue;
        }
        if (len == 0)
            start = tokens[i].frame;
        last = tokens[i].frame;
        if (len < TRANSCRIPT_WORD_MAX - 1)
            word[len++] = ctc_class_char(tokens[i].label);
    }
    return 0;
}

/* Where to end a chunk of the region [start, end): at end when it fits, else
 * at the quietest frame among the last CHUNK_SEARCH of the allowed length. */
static long chunk_end(const feature_matrix *frames, long start, long end) {
    if (end - start <= CHUNK_FRAMES)
        return end;
    long best = start + CHUNK_FRAMES;
    for (long t = start + CHUNK_FRAMES - CHUNK_SEARCH; t < start + CHUNK_FRAMES; t++)
        if (frames->log_energy[t] < frames->log_energy[best])
            best = t;
    return best;
}

int transcribe_frames(const autoencoder *model, const feature_matrix *frames,
                      const transcribe_options *opt, transcript *out, char *err, int err_len) {
    return transcribe_frames_each(model, frames, opt, out, NULL, NULL, err, err_len);
}

/* The stretches decoded at once: each speech region cut into chunks of at
 * most CHUNK_FRAMES (chunk_end), in time order; *chunks to free().  Returns
 * how many, or -1 when out of memory. */
static long speech_chunks(const feature_matrix *frames, const vad_region *regions, long num_regions,
                          vad_region **chunks) {
    long num = 0, cap = 0;
    *chunks = NULL;
    for (long r = 0; r < num_regions; r++) {
        for (long start = regions[r].start_frame, end; start < regions[r].end_frame; start = end) {
            end = chunk_end(frames, start, regions[r].end_frame);
            if (num == cap) {
                cap = cap ? 2 * cap : 64;
                vad_region *grown = realloc(*chunks, sizeof *grown * cap);
                if (!grown)
                    return -1;
                *chunks = grown;
            }
            (*chunks)[num++] = (vad_region){.start_frame = start, .end_frame = end};
        }
    }
    return num;
}

int transcribe_frames_each(const autoencoder *model, const feature_matrix *frames,
                           const transcribe_options *opt, transcript *out,
                           transcribe_chunk_fn on_chunk, void *user, char *err, int err_len) {
    memset(out, 0, sizeof *out);
    const int C = autoencoder_ctc_classes(model), D = frames->dim;
    if (C == 0) {
        snprintf(err, err_len, "the model has no CTC head (train one with s2s train --transcripts)");
        return -1;
    }
    const feature_options *fo = autoencoder_feature_options(model);
    const vad_options vad = vad_defaults();
    vad_region *regions, *chunks = NULL;
    long num_regions = features_speech_regions(frames, fo, &vad, &regions);
    if (num_regions <= 0)
        return num_regions < 0 ? (snprintf(err, err_len, "out of memory"), -1) : 0;
    long num_chunks = speech_chunks(frames, regions, num_regions, &chunks);
    free(regions);
    encoder_state *state = encoder_state_new(model, BATCH, CHUNK_FRAMES);
    float *in = malloc(sizeof(float) * CHUNK_FRAMES * BATCH * D);
    float *batch_log_probs = malloc(sizeof(float) * CHUNK_FRAMES * BATCH * C);
    float *log_probs = malloc(sizeof(float) * CHUNK_FRAMES * C);
    ctc_token *tokens = malloc(sizeof(ctc_token) * CHUNK_FRAMES);
    int rc = num_chunks >= 0 && state && in && batch_log_probs && log_probs && tokens ? 0 : -1;
    int capacity = 0;
    const int greedy = opt->beam_width <= 1 && !opt->lexicon && !opt->lm;
    const ctc_beam_options beam = {.beam_width = opt->beam_width > 1 ? opt->beam_width : 1,
                                   .prune = BEAM_PRUNE,
                                   .lexicon = opt->lexicon,
                                   .separator = CTC_SPACE,
                                   .lm = opt->lm,
                                   .lm_weight = opt->lm_weight,
                                   .label_bonus = opt->label_bonus};
    for (long first = 0; first < num_chunks && rc == 0; first += BATCH) {
        // up to BATCH chunks through the network together, time-major and
        // zero-padded to the longest, then each decoded in time order
        int B = num_chunks - first < BATCH ? (int)(num_chunks - first) : BATCH, T = 0;
        int lengths[BATCH];
        for (int b = 0; b < B; b++) {
            lengths[b] = (int)(chunks[first + b].end_frame - chunks[first + b].start_frame);
            if (lengths[b] > T)
                T = lengths[b];
        }
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++) {
                float *row = in + ((size_t)t * B + b) * D;
                if (t < lengths[b])
                    memcpy(row, frames->data + (chunks[first + b].start_frame + t) * D,
                           sizeof(float) * D);
                else
                    memset(row, 0, sizeof(float) * D);
            }
        rc = autoencoder_frame_log_probs_batch(model, state, in, lengths, T, B, batch_log_probs);
        for (int b = 0; b < B && rc == 0; b++) {
            const int n = lengths[b];
            const long start = chunks[first + b].start_frame;
            for (int t = 0; t < n; t++)
                memcpy(log_probs + (size_t)t * C, batch_log_probs + ((size_t)t * B + b) * C,
                       sizeof(float) * C);
            if (on_chunk)
                rc = on_chunk(user, start, log_probs, n, C);
            int num_tokens =
                rc != 0  ? -1
                : greedy ? ctc_decode_greedy(log_probs, n, C, CTC_BLANK, tokens)
                         : ctc_decode_beam(log_probs, n, C, CTC_BLANK, &beam, tokens, NULL);
            rc = num_tokens < 0 ? -1
                                : tokens_to_words(tokens, num_tokens, start, fo, out, &capacity);
        }
    }
    if (rc != 0) {
        snprintf(err, err_len, "out of memory");
        transcript_free(out);
    }
    free(chunks);
    encoder_state_free(state);
    free(in);
    free(batch_log_probs);
    free(log_probs);
    free(tokens);
    return rc;
}
