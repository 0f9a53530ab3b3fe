/* The CTC head's frame posteriors of a recording, pruned and packed for the
 * index (table posteriors, see index_store.h), so that a written phrase can
 * be scored against them at query time (phrase_spot.h) without the audio.
 *
 * Only what can matter is kept: at each frame the classes whose
 * log-probability is at least floor (e.g. -5), each rounded to 1/16 (int8);
 * the others read back as floor. A frame where only blank is kept (most of
 * them: CTC heads emit a letter in a frame or two and blank elsewhere) reads
 * back as blank = 0, the others floor, and runs of such frames cost one byte
 * per 128. Measured on the evaluation set: ~1.4 MB per hour of speech at
 * floor -5, against 42 MB for the float32 posteriors (README, Text queries).
 *
 * Layout (bytes, integers little-endian):
 *   "S2PG", version 1, num_classes, floor * 16 (int8), frame_shift_ms,
 *   frame_length_ms, 3 reserved, num_chunks (u32);
 *   per chunk: start_frame (u32, in the recording), num_frames (u32), then
 *   for each frame a byte b: b >= 0x80: (b & 0x7f) + 1 blank frames; else b
 *   classes kept (1..num_classes), each as class (u8) and log-prob * 16
 *   (int8, floor*16..0).
 * A chunk is a stretch decoded in one pass (transcriber.h); a phrase is
 * never matched across two. */
#ifndef S2S_MODEL_POSTERIORGRAM_H
#define S2S_MODEL_POSTERIORGRAM_H
#include <stddef.h>
#include <stdint.h>

/* A packed posteriorgram being written. */
typedef struct {
    uint8_t *data;
    size_t size, capacity;
    int num_classes;
    float floor;
    uint32_t num_chunks;
} posteriorgram_writer;

/* Starts an empty posteriorgram of num_classes (<= 255) with floor (< 0,
 * >= -8). Returns 0, or -1 when out of memory or the arguments are out of
 * range. */
int posteriorgram_writer_init(posteriorgram_writer *w, int num_classes, float floor,
                              int frame_shift_ms, int frame_length_ms);

/* Appends a chunk: num_frames frames of num_classes log-probabilities
 * (frame t at log_probs + t * num_classes) starting at start_frame of the
 * recording. Returns 0, or -1 when out of memory. */
int posteriorgram_add_chunk(posteriorgram_writer *w, long start_frame, const float *log_probs,
                            int num_frames);

/* Frees the writer's buffer (not needed when the caller took w->data). */
void posteriorgram_writer_free(posteriorgram_writer *w);

/* Reads a packed posteriorgram chunk by chunk. */
typedef struct {
    const uint8_t *data, *p, *end;
    int num_classes;
    float floor;
    int frame_shift_ms, frame_length_ms;
    uint32_t num_chunks, chunks_read;
} posteriorgram_reader;

/* Checks the header. Returns 0, or -1 with err when data is not a packed
 * posteriorgram of this version. */
int posteriorgram_reader_init(posteriorgram_reader *r, const void *data, size_t size, char *err,
                              int err_len);

/* Frames in the next chunk (0 at the end, -1 when damaged), without
 * reading it. */
long posteriorgram_peek_frames(const posteriorgram_reader *r);

/* The next chunk's frames, unpacked: *start_frame and *num_frames, and when
 * log_probs is not NULL its num_frames x num_classes log-probabilities (room
 * for max_frames frames; a longer chunk is an error). Returns 1 with a
 * chunk, 0 at the end, -1 with err when the data is damaged. */
int posteriorgram_next_chunk(posteriorgram_reader *r, long *start_frame, int *num_frames,
                             float *log_probs, int max_frames, char *err, int err_len);
#endif
