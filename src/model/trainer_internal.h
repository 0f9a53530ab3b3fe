/* What the trainer's files share (not part of the public API): the pooled
 * training segments, small helpers and the data-parallel step.
 * trainer_data.c loads the data, trainer_step.c runs a batch over worker
 * threads, trainer.c trains on it, trainer_bench.c times the step. */
#ifndef S2S_TRAINER_INTERNAL_H
#define S2S_TRAINER_INTERNAL_H
#include "trainer.h"

#include <stdint.h>

/* One training segment: its frames in the pool, its word and speaker, and
 * its transcript for the CTC head. */
typedef struct {
    long offset; /* first float of its frames in the pool */
    int length;  /* frames */
    int word;    /* word id, -1 without word times */
    int speaker; /* speaker id */
    long label_offset; /* first label in the label pool */
    int num_labels;    /* 0: no transcript */
    int rebuild;       /* 1: the decoder rebuilds it; 0: CTC only (a whole utterance) */
} segment;

/* Strings to dense ids (open addressing on FNV-1a). */
typedef struct {
    char **names;   /* (num) by id */
    int num, cap;
    int *slots;     /* (num_slots) id + 1, 0 empty */
    int num_slots;
} intern_table;

struct trainer_data {
    int dim;               /* D */
    float *pool;           /* (pool_len) frames of all segments, row-major (frames, D) */
    long pool_len, pool_cap;
    segment *segs;
    long num_segs, seg_cap;
    int num_files;
    intern_table words, speakers;
    int max_length;        /* longest segment */
    int *labels;           /* (num_labels) CTC labels of all segments */
    long num_labels, labels_cap;
    long num_utterances;   /* CTC-only segments */
};

/* Deterministic random numbers (splitmix64), shared so that the same seed
 * gives the same split, order and pairs whatever the file doing it. */
static inline uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
/* Uniform integer in [0, n). */
static inline long rand_below(uint64_t *state, long n) { return (long)(splitmix64(state) % (uint64_t)n); }
static inline double rand_unit(uint64_t *state) { return (splitmix64(state) >> 11) * (1.0 / 9007199254740992.0); }

/* Copies of every training file: 1 + the warps + the speeds. */
static inline int trainer_num_copies(const trainer_options *opts) {
    return 1 + opts->num_vtlp_warps + opts->num_speeds;
}

/* Reads the frames of path in copy `copy` of the data (0: as the model
 * reads them; then one copy per opts->vtlp_warps, mel filters warped, then
 * one per opts->speeds, the audio sped up or slowed down), unnormalised,
 * into *out (free with features_free), and sets *frame_s (unless NULL) to the seconds of
 * the file's own time each frame advances (the frame shift times the
 * speed: what converts word times to frames in this copy).  Returns 0, or
 * -1 when the file cannot be read, which copy 0 reports through
 * cb->file_failed (a file is named once, and its other copies are not
 * tried). */
int trainer_read_copy(const trainer_options *opts, const feature_options *fo, const char *path,
                      int copy, const trainer_callbacks *cb, feature_matrix *out,
                      double *frame_s);

/* Appends a segment of length frames, copied from frames + start * dim, to
 * the pool. Returns 0, or -1 when out of memory. */
int trainer_add_segment(trainer_data *d, const float *frames, long start, int length, int word,
                        int speaker);

/* Gives the last added segment the labels of text (normalised, see
 * ctc_text.h).  Returns 0, or -1 when out of memory. */
int trainer_label_last_segment(trainer_data *d, const char *text);

/* The speaker id of a file: its base name without extension after the first
 * '_' (the corpus names files uNNNNNN_SPEAKER.wav). -1 when out of memory. */
int trainer_speaker_of(trainer_data *d, const char *path);

/* Splits line in place at tabs into at most max_fields fields (the last
 * keeps any further tabs); returns how many. */
int trainer_split_tabs(char *line, char **fields, int max_fields);

/* out = path of `field` as written in list_path: as is when absolute, else
 * relative to list_path's folder. */
void trainer_resolve_path(const char *list_path, const char *field, char *out, size_t out_len);

/* Reads opts->transcripts_path and adds its CTC-only utterance segments. */
int trainer_load_transcripts(trainer_data *d, const trainer_options *opts,
                             const feature_options *fo, const trainer_callbacks *cb, char *err,
                             int err_len);
/* The id of word (added when new), or -1 when out of memory. */
int trainer_intern_word(trainer_data *d, const char *word);

/* Segment ids grouped by word (trainer_batches.c). */
typedef struct {
    long *by_word;    /* (num_segs) segment ids sorted by word */
    long *word_start; /* (num_words + 1) where each word's ids start */
} trainer_word_groups;

/* Fills g (malloc'ed arrays, the caller frees both) from d's word ids;
 * 0, or -1 when out of memory. */
int trainer_word_groups_build(const trainer_data *d, trainer_word_groups *g);

/* A random partner of segment i for the correspondence variant: a segment
 * of the same word by another speaker with allowed[j] set, or -1. */
long trainer_pick_partner(const trainer_data *d, const trainer_word_groups *g,
                          const unsigned char *allowed, long i, uint64_t *rng);

/* A segment as the epoch's sort sees it. */
typedef struct {
    long id;
    int length;
    int rebuild;
    long rank;
} trainer_sort_item;

/* This epoch's order of the n items: shuffled, sorted by kind (rebuilt
 * first) and length, cut into batches of one kind (up to B rebuilt
 * segments, up to utt_batch CTC-only utterances), batches shuffled.
 * Writes order (n) and batch_start (batches + 1, room for n + 2); scratch
 * (n) and batch_perm (n + 1) are the caller's.  Returns the number of
 * batches, -1 when out of memory. */
long trainer_epoch_order(const trainer_data *d, const long *items, long n, int B, int utt_batch,
                         uint64_t seed, int epoch, trainer_sort_item *scratch, long *order,
                         long *batch_start, long *batch_perm);

/* Mean and standard deviation of every dimension over all pooled frames. */
void trainer_compute_stats(const trainer_data *d, feature_stats *st);

/* Monotonic clock, seconds. */
double trainer_now_s(void);

/* Passes a formatted message to the caller's note callback, if any. */
void trainer_note(const trainer_callbacks *cb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* ------------------------------------------- the data-parallel step (trainer_step.c) */

enum { TRAINER_MAX_THREADS = 64 };

/* What corrupts the inputs of a training batch (never its targets or labels). */
typedef struct {
    float value_drop; /* share of input values set to 0 (the denoise variant); 0: none */
    float time_mask;  /* share of each input's frames set to 0 in spans; 0: none */
} trainer_input_noise;

enum { TRAINER_MASK_MAX_SPAN = 10 }; /* frames: 100 ms, a phone or two */

/* Sets spans of 1..TRAINER_MASK_MAX_SPAN frames of each of the B sequences
 * of x (T, B, D; time-major) to 0, the normalised features' mean: about
 * share of its lengths[b] frames (spans may overlap), never past its end,
 * padding untouched.  The number of spans is share * length / the mean span,
 * rounded at random, so short segments are masked as often on average. */
void trainer_mask_time_spans(float *x, const int *lengths, int T, int B, int D, float share,
                             uint64_t *rng);

/* The contrastive term of batches of pairs (trainer_run_batch): every
 * partner's vector, the candidates each input's vector is told its own
 * partner's from, and the word (pair) each belongs to.  One for all the
 * workers, the trainer's. */
typedef struct {
    float weight;
    float temperature;
    float *candidates;  /* (room, V) */
    int *classes;       /* (room) */
    int room, n;        /* capacity; this batch's number of pairs */
} trainer_contrast;

/* Room for batches of up to room pairs of vector_dim vectors; 0, or -1
 * when out of memory (free it with trainer_contrast_free either way). */
int trainer_contrast_init(trainer_contrast *c, float weight, float temperature, int room,
                          int vector_dim);
void trainer_contrast_free(trainer_contrast *c);

/* One thread's share of a batch and its scratch. */
typedef struct {
    const autoencoder *m;
    const trainer_data *d;
    autoencoder_work *work;      /* batches the decoder rebuilds */
    autoencoder_work *utt_work;  /* CTC-only batches of whole utterances, or NULL */
    int max_batch;               /* room of in_len, tgt_len, label_off, label_len */
    float *in, *clean, *tgt;     /* (T, B, D) each, for the larger of the two batch kinds */
    int *in_len, *tgt_len;       /* (max_batch) */
    int *labels;                 /* the batch's transcripts, concatenated */
    int *label_off, *label_len;  /* (max_batch) */
    float ctc_weight;            /* 0: no CTC term */
    int head_only;               /* CTC only, no gradient into the encoder */
    int encoder_fixed;           /* no gradient into the encoder (head or projection only) */
    float *grads;                /* (num_params) this worker's gradient */
    encoder_state *encoder;      /* the partners' vectors (contrastive term only) */
    int *anchor_class, *own;     /* (max_batch) its inputs' words and partners' rows */
    trainer_contrast *contrast;  /* shared, or NULL: no contrastive term */
    /* the job */
    const long *items;           /* (n) input segments */
    const long *partners;        /* (n) target segments, or NULL: the input itself */
    int n;
    int first;                   /* index of items[0] in the whole batch */
    trainer_input_noise noise;
    uint64_t rng;
    float weight;                /* share of the batch's target frames */
    int backward;
    float loss;                  /* out */
} trainer_worker;

/* What the worker scratch must hold: batches of up to max_batch segments of
 * up to max_frames frames (rebuilt), batches of up to utt_batch utterances
 * of up to utt_frames frames (CTC only; utt_batch 0: none), max_labels
 * labels per segment. */
typedef struct {
    int max_batch, max_frames, utt_batch, utt_frames, max_labels;
} trainer_worker_sizes;

/* Allocates w's scratch for batches of sz's sizes; 0, or -1 when out of
 * memory (free w with trainer_worker_free either way).  With contrast (NULL:
 * none; shared by all the workers of a batch, its room at least their whole
 * batch), batches with partners add contrast->weight times the contrastive
 * loss (loss.h) of each input's vector against the vectors of the batch's
 * partners, its own partner the positive. */
int trainer_worker_init(trainer_worker *w, const autoencoder *m, const trainer_data *d,
                        const trainer_worker_sizes *sz, float ctc_weight,
                        trainer_contrast *contrast);

void trainer_worker_free(trainer_worker *w);

/* Runs one batch (segments items, rebuilding partners or, when NULL, the
 * inputs themselves) split over num_threads workers, its inputs corrupted
 * by noise (NULL: none); returns its mean loss, with the contrastive term
 * when the workers have one and there are partners.  With backward, the
 * summed gradient is left in the model's gradient block. */
float trainer_run_batch(autoencoder *m, trainer_worker *workers, int num_threads,
                        const trainer_data *d, const long *items, const long *partners, int n,
                        const trainer_input_noise *noise, uint64_t rng_seed, int backward);

#endif
