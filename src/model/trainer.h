/* Training the autoencoder: the training segments (from word times or cut
 * from the detected speech), normalisation statistics, batching by length,
 * data-parallel forward/backward over threads, Adam with gradient clipping,
 * validation, checkpoints and resuming.
 *
 * Data: each audio file's frames are computed once (frontend, unnormalised),
 * the segments' frames are copied into one pool and the file's frames
 * dropped, so memory is the segments' frames (39 floats = 156 bytes per 10 ms
 * of speech: 10 hours of speech is about 560 MB).
 *
 * Determinism: the held-out split, each epoch's batch order and the
 * denoising masks come from generators seeded by the seed (and the epoch),
 * and each batch is split over the threads in a fixed way with the
 * gradients summed in thread order, so the same data, seed and thread count
 * give a bit-identical model, resumed or not.
 *
 * Checkpoints are model files (autoencoder_to_file) with the training state
 * added: train.epoch (epochs completed), train.step (batches done in the
 * next epoch), train.adam_steps and the Adam moments train.adam_m /
 * train.adam_v.  The final model, written after the last epoch, has no Adam
 * moments (a third of the size); rerunning with more epochs continues from
 * it with fresh moments. */
#ifndef S2S_MODEL_TRAINER_H
#define S2S_MODEL_TRAINER_H
#include "autoencoder.h"

enum { TRAINER_MAX_WARPS = 8 };

typedef enum {
    TRAINER_PLAIN,      /* rebuild the input */
    TRAINER_DENOISE,    /* rebuild the input from a copy with values masked to zero */
    TRAINER_CORRESPOND, /* rebuild another instance of the same word by another speaker */
} trainer_variant;

typedef struct {
    autoencoder_config config;  /* architecture of a new model */
    int epochs;                 /* 10 */
    int batch_size;             /* 64 segments */
    float learning_rate;        /* 1e-3 */
    float clip_norm;            /* 5: global gradient norm bound */
    int num_threads;            /* 1 */
    uint64_t seed;              /* 1 */
    trainer_variant variant;    /* TRAINER_PLAIN */
    float denoise_prob;         /* 0.2: share of input values masked (denoise) */
    float time_mask;            /* 0; else about this share of every training input's
                                   frames is set to 0 (the mean) in spans of 1-10 frames
                                   (SpecAugment's time masks, Park et al. 2019); targets,
                                   labels and validation stay whole */
    float validation_fraction;  /* 0.05 of the segments held out */
    int min_window_frames;      /* 20: windows cut from speech (no word times) */
    int max_window_frames;      /* 100 */
    int max_segment_frames;     /* 200: longer word segments are skipped */
    int progress_every;         /* 20 steps between progress reports */
    int max_validation;         /* 1024: validation segments evaluated at most */
    const char *transcripts_path; /* NULL, or transcripts for the CTC head (see trainer_data_load) */
    float ctc_weight;           /* 1: weight of the CTC loss beside reconstruction */
    float contrast_weight;      /* 0; else, with partners (the correspondence variant),
                                   the weight of a contrastive loss beside reconstruction:
                                   each input's vector is told its partner's from the
                                   other partners of its batch (InfoNCE; loss.h) */
    float contrast_temperature; /* 0.1: the softmax's temperature on cosines */
    int max_utterance_frames;   /* 1500: longer transcribed utterances are cut between
                                   words (word-time files) or skipped */
    int head_only;              /* 0; 1: train only the CTC head, on every transcribed
                                   segment; the encoder, decoder and vectors stay */
    int projection_only;        /* 0; 1: train only the projection from the encoder's
                                   final state to the vector (a linear map of the
                                   vector space); encoder, decoder and head stay */
    int num_vtlp_warps;         /* 0; else each file also enters the data once per factor
                                   of vtlp_warps, its mel filters warped by it (vocal tract
                                   length perturbation, Jaitly & Hinton 2013): same words,
                                   same speaker, another vocal tract */
    float vtlp_warps[TRAINER_MAX_WARPS];
    int num_speeds;             /* 0; else each file also enters the data once per factor
                                   of speeds, its audio played that much faster (speed
                                   perturbation: tempo, pitch and formants together);
                                   word times are scaled to match */
    float speeds[TRAINER_MAX_WARPS];
    const char *init_path;      /* NULL, or a model to start from (its weights and statistics) */
    const char *out_path;       /* "s2s.model" */
} trainer_options;

trainer_options trainer_defaults(void);
const char *trainer_variant_name(trainer_variant v);
/* Parses "plain", "denoise", "correspond"; 0 or -1. */
int trainer_variant_parse(const char *name, trainer_variant *out);

/* What the trainer reports (through trainer_callbacks.progress). */
typedef struct {
    int epoch, num_epochs;       /* 1-based epoch in progress */
    long step, steps_per_epoch;  /* batches done in this epoch */
    float loss;                  /* mean training loss since the last report */
    float validation_loss;       /* last validation loss, NAN before the first */
    double frames_per_s;         /* training frames (input + target) per second */
    double elapsed_s, remaining_s;
    int end_of_epoch;            /* 1 on the report after an epoch's validation */
} trainer_progress;

/* Callbacks from the library to the CLI (any may be NULL). */
typedef struct {
    void (*progress)(void *ctx, const trainer_progress *p);
    void (*file_failed)(void *ctx, const char *path, const char *message);
    void (*note)(void *ctx, const char *message);
    void *ctx;
} trainer_callbacks;

typedef struct trainer_data trainer_data;

/* Loads the training segments.  With words_path (file<TAB>start<TAB>end<TAB>word,
 * seconds, paths relative to the word file's folder), the word spans of the
 * files it names, each labelled with its word for a CTC head; else windows
 * of min..max_window_frames cut from the detected speech of each of the
 * num_files files.  With opts->transcripts_path, also one CTC-only segment
 * per transcribed file (not rebuilt by the decoder): lines
 * file<TAB>text give the file's speech (first to last speech frame) and
 * its text; a word-time file gives each file's span from its first word's
 * start to its last word's end and the words joined by spaces.  A file that cannot be read
 * is reported through file_failed and skipped.  The speaker of a file is its
 * base name without extension after the first '_' (the corpus names files
 * uNNNNNN_SPEAKER.wav), or the whole base name when there is no '_'.
 * Returns NULL with err when nothing usable is left (or out of memory). */
trainer_data *trainer_data_load(const trainer_options *opts, const feature_options *features,
                                const char *const *files, int num_files, const char *words_path,
                                const trainer_callbacks *cb, char *err, int err_len);
void trainer_data_free(trainer_data *data);
/* A training segment named by the caller rather than by a word-time file. */
typedef struct {
    const char *file;      /* audio path */
    double start_s, end_s; /* the word's span, seconds */
    const char *word;      /* segments of one word (by other speakers) are partners */
    const char *speaker;   /* NULL: the file's, as for a word-time file */
} trainer_word;

/* trainer_data_load with the segments of words[0..num_words) in place of a
 * word-time file: the same reading (each file once), the same labels (each
 * segment's word, for a CTC head) and opts->transcripts_path. */
trainer_data *trainer_data_load_word_list(const trainer_options *opts,
                                          const feature_options *features,
                                          const trainer_word *words, long num_words,
                                          const trainer_callbacks *cb, char *err, int err_len);

/* Segments, frames and files loaded, for the CLI's summary. */
void trainer_data_summary(const trainer_data *data, long *num_segments, long *num_frames,
                          int *num_files, int *num_words);

/* Requests a stop at the next step boundary (async-signal-safe: it only
 * sets a flag).  trainer_run then saves a checkpoint and returns 1. */
void trainer_request_stop(void);

/* Trains and writes opts->out_path.  When out_path holds a checkpoint of an
 * unfinished run, continues from it (its architecture and statistics); else
 * starts from init_path's model, or a new one with opts->config.
 * Normalisation statistics are computed over the data unless the model came
 * from init_path or a checkpoint.  Returns 0 when all epochs are done, 1 when
 * stopped by trainer_request_stop (checkpoint written), -1 with err on
 * failure (diverged: the last good checkpoint is kept). */
int trainer_run(const trainer_options *opts, trainer_data *data, const trainer_callbacks *cb,
                char *err, int err_len);

/* Benchmark: training steps on random data (B sequences of T frames,
 * plain variant) with num_threads workers; returns frames/s of training
 * (input frames) and, in *encode_fps, frames/s of the inference encoder
 * (one thread, batch B); *gflops gets the training step's GFLOP/s. */
double trainer_bench(const autoencoder_config *config, int B, int T, int num_threads,
                     int num_steps, double *encode_fps, double *gflops);

/* Single-precision GEMM GFLOP/s reached by OpenBLAS on n x n matrices with
 * num_threads threads (the machine's practical peak). */
double trainer_sgemm_gflops(int n, int num_threads);
#endif
