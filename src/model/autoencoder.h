/* The sequence-to-sequence autoencoder (Audio Word2Vec): the model that turns
 * a segment's normalised feature frames into one unit vector.
 *
 *   encoder:  LSTM stack (unidirectional) over the input frames (T_in, B, D)
 *   vector:   u = normalise(proj([h_top ; c_top]))          (B, V), |u| = 1
 *             where h_top, c_top (B, H) are the top layer's final state
 *   decoder:  LSTM stack whose layer l starts from
 *               h0_l = tanh(dec_init(u))[l, h],  c0_l = tanh(dec_init(u))[l, c]
 *             and reads the previous TARGET frame (teacher forcing; a zero
 *             frame first) or, with decoder_input = AE_DECODER_ZERO, zero
 *             frames only; then a linear layer H -> D rebuilds each frame
 *   loss:     masked MSE over every valid target frame
 *
 * The encoder is unidirectional on purpose: the vector of every prefix of a
 * sequence is read from the same pass (the state after prefix_length steps),
 * which is how the index encodes all windows sharing a start at once.
 *
 * Input and target are separate so that the training variants need no
 * special code here: plain (target = input), denoising (corrupted input) and
 * correspondence (target = another instance of the word, of its own length;
 * the decoder runs for the target's length).
 *
 * An `autoencoder` holds the configuration, the weights (one NnParams set:
 * values, gradients and Adam moments share one layout), the feature settings
 * and normalisation statistics, and the model file's hash.  After
 * autoencoder_load it is read-only and may be shared between threads; every
 * thread brings its own scratch (encoder_state for encoding, autoencoder_work
 * for training).
 *
 * Optional CTC head (ctc_classes > 0): a linear layer H -> C on the top
 * encoder layer's output at every frame, then log-softmax; trained with the
 * CTC loss on transcripts (alone, or added to the reconstruction loss with a
 * weight), it lets the model say what was said.  The head reads the same
 * encoder as the vectors, so joint training shapes both.
 *
 * Tensor names in the model file: enc.l<k>.{W_ih,W_hh,b}, proj.{W,b},
 * dec_init.{W,b}, dec.l<k>.{W_ih,W_hh,b}, out.{W,b}, ctc.{W,b} (with a head);
 * scalars ae.input_dim, ae.hidden_size, ae.num_layers, ae.vector_dim,
 * ae.decoder_input (0 when absent), ae.ctc_classes (0 when absent). */
#ifndef S2S_MODEL_AUTOENCODER_H
#define S2S_MODEL_AUTOENCODER_H
#include "feature_pipeline.h"
#include "model_file.h"
#include "nn_params.h"

enum { AE_MAX_LAYERS = 4 };

/* Architecture.  Defaults (autoencoder_config_default): input_dim 39,
 * hidden_size 256, num_layers 1, vector_dim 128, decoder_input
 * AE_DECODER_ZERO (measured: with teacher forcing the decoder rebuilds each
 * frame from its predecessor and the vector learns next to nothing,
 * same-different AP 0.016 against 0.09 with zero input, 1-hour corpus).  Encoder and decoder have
 * the same hidden_size and num_layers. */
typedef struct {
    int input_dim;   /* D: values per frame */
    int hidden_size; /* H: LSTM state size */
    int num_layers;  /* L: LSTM layers in the encoder and in the decoder */
    int vector_dim;  /* V: size of the segment vector */
    int decoder_input; /* AE_DECODER_ZERO (default) or AE_DECODER_PREVIOUS */
    int ctc_classes;   /* C: classes of the CTC head (blank included); 0: no head */
    int ctc_hidden;    /* units of the head's backward LSTM; 0: a linear head (ctc_head.h) */
} autoencoder_config;

/* What the decoder reads at each step: the previous target frame (teacher
 * forcing, a zero frame first; the PyTorch peer's choice) or always a zero
 * frame, so that everything it rebuilds must come from the vector. */
enum { AE_DECODER_PREVIOUS = 0, AE_DECODER_ZERO = 1 };

autoencoder_config autoencoder_config_default(void);

/* Returns 0 when every field is in range (D 1..FEATURES_MAX_DIM, H 1..4096,
 * L 1..AE_MAX_LAYERS, V 1..4096, C 0 or 2..256), else -1 with err. */
int autoencoder_config_check(const autoencoder_config *config, char *err, int err_len);

typedef struct autoencoder autoencoder; /* loaded weights, read-only after load: shareable */

/* A new model with weights initialised from seed (deterministic), default
 * feature settings and identity normalisation (mean 0, stddev 1).  NULL with
 * err on a bad config or out of memory.  Free with autoencoder_free. */
autoencoder *autoencoder_new(const autoencoder_config *config, uint64_t seed, char *err,
                             int err_len);

/* A copy of m with a new CTC head of `classes` classes initialised from
 * seed (m's other weights, features and statistics kept): how a head is
 * added to a model trained without one.  NULL with err when m already has a
 * head or out of memory. */
autoencoder *autoencoder_add_ctc_head(const autoencoder *m, int classes, int hidden,
                                      uint64_t seed, char *err, int err_len);

/* Reads and checks a model file: container checks (magic, version, CRC),
 * architecture scalars, every tensor's presence and size, feature settings.
 * NULL with a clear err otherwise.  Free with autoencoder_free. */
autoencoder *autoencoder_load(const char *path, char *err, int err_len);

/* Builds a model from an already read model file (autoencoder_load's second
 * half); the hash is copied from the file. NULL with err. */
autoencoder *autoencoder_from_file(const model_file *file, char *err, int err_len);

/* A model file holding this model's architecture, weights, feature settings
 * and statistics; the caller may add records (training state) and writes it
 * with model_file_write.  NULL when out of memory. */
model_file *autoencoder_to_file(const autoencoder *m);

void autoencoder_free(autoencoder *m);

int autoencoder_vector_dim(const autoencoder *m);
const autoencoder_config *autoencoder_get_config(const autoencoder *m);
const feature_options *autoencoder_feature_options(const autoencoder *m);
const feature_stats *autoencoder_feature_stats(const autoencoder *m);
/* Model file hash (16 hex digits): the model's identity in the index.
 * Empty string for a model never read from or written to a file. */
const char *autoencoder_hash(const autoencoder *m);
/* Sets the hash (after the trainer wrote the file). */
void autoencoder_set_hash(autoencoder *m, const char *hash);
/* Replaces the feature settings / statistics (training computes them). */
void autoencoder_set_features(autoencoder *m, const feature_options *options,
                              const feature_stats *stats);

/* The weights, for training (mutable) and for inspection.  The set's
 * gradients and Adam moments are the trainer's to use. */
NnParams *autoencoder_params(autoencoder *m);
const NnParams *autoencoder_params_const(const autoencoder *m);

/* ---- encoding (inference) ---- */

typedef struct encoder_state encoder_state; /* per-thread scratch, allocated once */

/* Scratch for batches of up to max_batch sequences of up to max_frames
 * frames (memory is O(max_batch * H), independent of max_frames except for
 * the frame limit check).  NULL when out of memory or a size is not
 * positive.  Free with encoder_state_free. */
encoder_state *encoder_state_new(const autoencoder *m, int max_batch, int max_frames);
void encoder_state_free(encoder_state *s);

/* Encodes a batch of B sequences given time-major (T, B, D) normalised frames
 * with per-sequence lengths (B); for each sequence b and each p <
 * num_prefixes with 0 < prefix_lengths[p] <= lengths[b], writes the unit
 * vector of the sequence's first prefix_lengths[p] frames to
 * out[(b * num_prefixes + p) * V]; other slots are zeroed.  Prefix lengths
 * need not be sorted.  Returns 0, or -1 when B, T or num_prefixes exceed
 * what the state was built for (num_prefixes up to max_frames). */
int autoencoder_encode_prefixes(const autoencoder *m, encoder_state *s, const float *frames,
                                const int *lengths, int T, int B, const int *prefix_lengths,
                                int num_prefixes, float *out);

/* The unit vector of each of B whole sequences (time-major (T, B, D)
 * normalised frames, lengths (B) each 1..T) to out (B, V): what
 * autoencoder_encode gives for each alone, in one pass.  Returns 0, or -1
 * when B or T exceed what the state was built for. */
int autoencoder_encode_batch(const autoencoder *m, encoder_state *s, const float *frames,
                             const int *lengths, int T, int B, float *out);

/* With unnormalised 1, the encoder writes each vector as the projection's
 * output z, before it is scaled to unit length (0, the default: unit
 * vectors).  What a fit of the vector space needs: the projection is linear
 * in z, so an affine map of z folds into it (autoencoder_fold_affine). */
void encoder_state_set_unnormalised(encoder_state *s, int unnormalised);

/* Convenience: one segment (num_frames, D) row-major -> unit vector out (V).
 * Returns 0, or -1 when num_frames is not in 1..max_frames. */
int autoencoder_encode(const autoencoder *m, encoder_state *s, const float *frames,
                       int num_frames, float *out);

/* Folds the affine map z -> transform (z - mean) of the projection's output
 * into the projection (transform V x V row-major, mean V): afterwards the
 * model's unnormalised vector is transform (z - mean), z being the one
 * before, and its unit vector that normalised.  The encoder, the decoder and
 * the head are untouched; the hash is cleared (another model until written).
 * Returns 0, or -1 when out of memory (the model then unchanged). */
int autoencoder_fold_affine(autoencoder *m, const float *transform, const float *mean);

/* The whitening folded into the projection (s2s train --variant whiten;
 * trainer_whiten.h), kept with the model so that fitting it again replaces
 * it instead of compounding it.  autoencoder_set_whitening records that
 * transform (V, V) and mean (V), already folded in with
 * autoencoder_fold_affine, are the model's whitening, fitted with that cap
 * on that many windows (transform NULL: none); 0, or -1 when out of memory.
 * The model file keeps it (whiten.* records) and so does training.
 * autoencoder_whitening returns the transform and fills the rest (each may
 * be NULL), or NULL when there is none. */
int autoencoder_set_whitening(autoencoder *m, const float *transform, const float *mean, float cap,
                              long windows);
const float *autoencoder_whitening(const autoencoder *m, const float **mean, float *cap,
                                   long *windows);

/* Whether the model has a CTC head, and its number of classes (0 without). */
int autoencoder_ctc_classes(const autoencoder *m);

/* The CTC head's log-probabilities (num_frames, C) of one sequence of
 * (num_frames, D) normalised frames, the encoder starting from a zero state.
 * The state keeps the head's scratch, grown to the longest sequence asked
 * for, so one state serves a recording's regions without reallocating.
 * Returns 0, or -1 when the model has no head, num_frames is not in
 * 1..max_frames of the state, or memory ran out. */
int autoencoder_frame_log_probs(const autoencoder *m, encoder_state *s, const float *frames,
                                int num_frames, float *log_probs);

/* The same for a batch: B sequences of time-major (T, B, D) frames, sequence
 * b lengths[b] <= T frames long; writes (T, B, C) log-probabilities (those
 * of frames beyond a sequence's length are meaningless).  Sequences decoded
 * together take one product per step for all of them, where one at a time
 * takes B matrix-vector products.  Returns as above (B in 1..max_batch). */
int autoencoder_frame_log_probs_batch(const autoencoder *m, encoder_state *s,
                                      const float *frames, const int *lengths, int T, int B,
                                      float *log_probs);

/* ---- training (forward + backward) ---- */

typedef struct autoencoder_work autoencoder_work; /* per-thread training scratch */

/* Scratch for batches of up to max_batch sequences, inputs up to max_in
 * frames and targets up to max_out frames.  NULL when out of memory. */
autoencoder_work *autoencoder_work_new(const autoencoder *m, int max_batch, int max_in,
                                       int max_out);
void autoencoder_work_free(autoencoder_work *w);

/* One training batch.  Frames are time-major.  Either part may be absent:
 * target NULL skips the decoder (a CTC-only batch, e.g. whole utterances too
 * long to rebuild), labels NULL skips the CTC head (the model must have one
 * when labels are given). */
typedef struct {
    const float *in;          /* (T_in, B, D) */
    const int *in_lengths;    /* (B), each 1..T_in */
    int T_in, B;
    const float *target;      /* (T_out, B, D) frames to rebuild, or NULL */
    const int *tgt_lengths;   /* (B), each 1..T_out */
    int T_out;
    const int *labels;        /* concatenated label sequences, or NULL */
    const int *label_offsets; /* (B) where sequence b's labels start */
    const int *label_lengths; /* (B); 0: no transcript (no CTC term) */
    float ctc_weight;         /* weight of the CTC loss in the total */
    int encoder_fixed;        /* 1: no gradient reaches the encoder (the head or the
                                 projection trained on a fixed encoder) */
    /* A loss on the batch's unit vectors u (B, V) beside the reconstruction
     * (a contrastive one, say), or NULL: returns its value and writes its
     * gradient (B, V) into d_u, both already weighted as the caller wants
     * them in the total (loss_weight does not scale them).  Only with target:
     * the vectors are computed on the way to the decoder. */
    float (*vector_loss)(void *ctx, const float *u, int B, int V, float *d_u);
    void *vector_loss_ctx;
} ae_batch;

/* What one batch cost: the masked MSE, the CTC loss per label character over
 * the sequences that had a finite one, and how many did, and the vector
 * loss. */
typedef struct {
    float mse, ctc, vector;
    int ctc_sequences, ctc_infinite;
} ae_losses;

/* Forward, and backward when grads is not NULL, over one batch: the loss is
 * mse + ctc_weight * ctc + the vector loss (each term absent when its part
 * is).  Returns that loss (NAN when a size exceeds the work's capacity or
 * labels are given to a model without a head) and fills losses when not
 * NULL.  Gradients are ADDED
 * into grads scaled by loss_weight, as in autoencoder_forward_backward. */
float autoencoder_train_batch(const autoencoder *m, autoencoder_work *w, const ae_batch *batch,
                              float loss_weight, float *grads, ae_losses *losses);

/* Forward (and backward when grads is not NULL) over one batch:
 * in (T_in, B, D) with in_lengths (B), target (T_out, B, D) with
 * tgt_lengths (B); every length >= 1.  Returns the masked MSE of the batch
 * (mean over its valid target frames and D).  When grads is not NULL
 * (num_params floats, the parameter set's layout), ADDS loss_weight * the
 * gradient of that loss into it; loss_weight lets data-parallel workers
 * each weigh their part of a batch by its share of the frames.  Uses the
 * model's current values; does not modify the model. */
float autoencoder_forward_backward(const autoencoder *m, autoencoder_work *w, const float *in,
                                   const int *in_lengths, int T_in, const float *target,
                                   const int *tgt_lengths, int T_out, int B, float loss_weight,
                                   float *grads);

/* The unit vectors (B, V) of the last autoencoder_forward_backward on w
 * (what autoencoder_encode gives for the same inputs). */
const float *autoencoder_work_vectors(const autoencoder_work *w);

/* Floating-point operations (2 per multiply-add) of one forward+backward
 * step on a batch of B sequences of T frames each way, matrix products only
 * (backward counted as twice the forward). */
double autoencoder_train_flops(const autoencoder_config *config, int B, int T);

#endif
