/* Packed CTC posteriors (see posteriorgram.h). */
#include "posteriorgram.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { HEADER_BYTES = 16, CHUNK_HEADER_BYTES = 8, MAX_RUN = 128 };

static int reserve(posteriorgram_writer *w, size_t more) {
    if (w->size + more <= w->capacity) return 0;
    size_t grown = w->capacity ? 2 * w->capacity : 4096;
    while (grown < w->size + more) grown *= 2;
    uint8_t *data = realloc(w->data, grown);
    if (!data) return -1;
    w->data = data, w->capacity = grown;
    return 0;
}

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int posteriorgram_writer_init(posteriorgram_writer *w, int num_classes, float floor,
                              int frame_shift_ms, int frame_length_ms) {
    memset(w, 0, sizeof *w);
    if (num_classes < 1 || num_classes > 255 || !(floor < 0 && floor >= -8) ||
        frame_shift_ms < 1 || frame_shift_ms > 255 || frame_length_ms < 1 || frame_length_ms > 255)
        return -1;
    w->num_classes = num_classes;
    w->floor = floor;
    if (reserve(w, HEADER_BYTES) != 0) return -1;
    memcpy(w->data, "S2PG", 4);
    w->data[4] = 1;
    w->data[5] = (uint8_t)num_classes;
    w->data[6] = (uint8_t)(int8_t)lroundf(floor * 16);
    w->data[7] = (uint8_t)frame_shift_ms;
    w->data[8] = (uint8_t)frame_length_ms;
    memset(w->data + 9, 0, 3);
    put_u32(w->data + 12, 0);
    w->size = HEADER_BYTES;
    return 0;
}

int posteriorgram_add_chunk(posteriorgram_writer *w, long start_frame, const float *log_probs,
                            int num_frames) {
    const int C = w->num_classes;
    if (reserve(w, CHUNK_HEADER_BYTES + (size_t)num_frames * (1 + 2 * C)) != 0) return -1;
    put_u32(w->data + w->size, (uint32_t)start_frame);
    put_u32(w->data + w->size + 4, (uint32_t)num_frames);
    w->size += CHUNK_HEADER_BYTES;
    int floor_q = (int8_t)lroundf(w->floor * 16);
    size_t run_at = 0; /* where the current run of blank frames is counted */
    int run = 0;
    for (int t = 0; t < num_frames; t++) {
        const float *f = log_probs + (size_t)t * C;
        uint8_t *count = w->data + w->size;
        int kept = 0, blank_only = 1;
        for (int c = 0; c < C; c++) {
            int q = (int)lroundf(f[c] * 16);
            if (q < floor_q || !(f[c] >= w->floor)) continue;
            if (q > 0) q = 0;
            count[1 + 2 * kept] = (uint8_t)c;
            count[2 + 2 * kept] = (uint8_t)(int8_t)q;
            kept++;
            if (c != 0) blank_only = 0;
        }
        if (blank_only) { /* blank kept alone, or nothing kept: a blank frame */
            if (run > 0 && run < MAX_RUN) {
                w->data[run_at] = (uint8_t)(0x80 | run);
                run++;
            } else {
                run_at = w->size;
                w->data[w->size++] = 0x80;
                run = 1;
            }
            continue;
        }
        run = 0;
        *count = (uint8_t)kept;
        w->size += 1 + 2 * (size_t)kept;
    }
    put_u32(w->data + 12, ++w->num_chunks);
    return 0;
}

void posteriorgram_writer_free(posteriorgram_writer *w) {
    free(w->data);
    memset(w, 0, sizeof *w);
}

static int damaged(char *err, int err_len, const char *what) {
    snprintf(err, err_len, "stored posteriors are damaged (%s)", what);
    return -1;
}

int posteriorgram_reader_init(posteriorgram_reader *r, const void *data, size_t size, char *err,
                              int err_len) {
    memset(r, 0, sizeof *r);
    const uint8_t *p = data;
    if (size < HEADER_BYTES || memcmp(p, "S2PG", 4) != 0) return damaged(err, err_len, "no header");
    if (p[4] != 1) return damaged(err, err_len, "unknown version");
    r->data = p;
    r->p = p + HEADER_BYTES;
    r->end = p + size;
    r->num_classes = p[5];
    r->floor = (int8_t)p[6] / 16.0f;
    r->frame_shift_ms = p[7];
    r->frame_length_ms = p[8];
    r->num_chunks = get_u32(p + 12);
    if (r->num_classes < 1 || !(r->floor < 0) || r->frame_shift_ms < 1)
        return damaged(err, err_len, "bad header");
    return 0;
}

long posteriorgram_peek_frames(const posteriorgram_reader *r) {
    if (r->chunks_read == r->num_chunks) return 0;
    if (r->end - r->p < CHUNK_HEADER_BYTES) return -1;
    return get_u32(r->p + 4);
}

int posteriorgram_next_chunk(posteriorgram_reader *r, long *start_frame, int *num_frames,
                             float *log_probs, int max_frames, char *err, int err_len) {
    if (r->chunks_read == r->num_chunks) return r->p == r->end ? 0 : damaged(err, err_len, "trailing bytes");
    if (r->end - r->p < CHUNK_HEADER_BYTES) return damaged(err, err_len, "cut short");
    *start_frame = get_u32(r->p);
    uint32_t n = get_u32(r->p + 4);
    r->p += CHUNK_HEADER_BYTES;
    if (n > (uint32_t)max_frames) return damaged(err, err_len, "chunk too long");
    *num_frames = (int)n;
    const int C = r->num_classes;
    for (uint32_t t = 0; t < n;) {
        if (r->p >= r->end) return damaged(err, err_len, "cut short");
        uint8_t b = *r->p++;
        if (b & 0x80) {
            uint32_t run = (uint32_t)(b & 0x7f) + 1;
            if (t + run > n) return damaged(err, err_len, "run too long");
            for (uint32_t k = 0; log_probs && k < run; k++) {
                float *f = log_probs + (size_t)(t + k) * C;
                for (int c = 0; c < C; c++) f[c] = r->floor;
                f[0] = 0;
            }
            t += run;
            continue;
        }
        if (b < 1 || b > C || r->end - r->p < 2 * b) return damaged(err, err_len, "bad frame");
        float *f = log_probs ? log_probs + (size_t)t * C : NULL;
        for (int c = 0; f && c < C; c++) f[c] = r->floor;
        for (int k = 0; k < b; k++, r->p += 2) {
            if (r->p[0] >= C) return damaged(err, err_len, "bad class");
            if (f) f[r->p[0]] = (int8_t)r->p[1] / 16.0f;
        }
        t++;
    }
    r->chunks_read++;
    return 1;
}
