/* The CTC head the autoencoder may carry: per-frame character scores read
 * from the encoder's top-layer outputs x (T, B, I), trained with the CTC loss.
 *
 *   hidden == 0:  log_softmax(ctc.W x + ctc.b)
 *   hidden > 0:   log_softmax(ctc.W r + ctc.b), r = an LSTM of `hidden` units
 *                 run over x backwards in time (ctc_rnn.*), so each frame's
 *                 scores also see what follows it: the encoder is
 *                 unidirectional (its vectors must be prefix states), and a
 *                 character is often only certain once the next sounds are
 *                 heard.
 *
 * The head's tensors live in the model's parameter set (declared by
 * ctc_head_declare); the head itself holds only their indices and sizes,
 * and per-thread scratch lives in a ctc_head_work. */
#ifndef S2S_MODEL_CTC_HEAD_H
#define S2S_MODEL_CTC_HEAD_H

#include "nn_params.h"

/* The longest stretch of frames (15 s) the head is trained on by default
 * (trainer's max_utterance_frames) and decodes at once (the transcriber
 * cuts longer speech), so the encoder never runs far beyond what it saw. */
enum { CTC_HEAD_MAX_FRAMES = 1500 };

typedef struct {
    int input_size; /* I: the encoder's hidden size */
    int classes;    /* C, blank included; 0: no head */
    int hidden;     /* Hc of the backward LSTM; 0: linear head */
    int rnn;        /* tensor index of ctc_rnn.W_ih (W_hh, b follow), -1 without */
    int linear;     /* tensor index of ctc.W (b follows), -1 without a head */
} ctc_head;

/* Declares the head's tensors in p (before nn_params_alloc).  classes 0
 * declares nothing (no head).  Returns 0, or -1 as nn_params_add does. */
int ctc_head_declare(ctc_head *h, NnParams *p, int input_size, int classes, int hidden);

typedef struct ctc_head_work ctc_head_work;

/* Scratch for batches of up to max_batch sequences of up to max_steps
 * frames.  NULL when out of memory. */
ctc_head_work *ctc_head_work_new(const ctc_head *h, int max_steps, int max_batch);
void ctc_head_work_free(ctc_head_work *w);

/* Log-probabilities (T, B, C) of x (T, B, I) with lengths (B); the array
 * belongs to w and stays valid until the next forward. */
const float *ctc_head_forward(const ctc_head *h, const NnParams *p, ctc_head_work *w,
                              const float *x, const int *lengths, int T, int B);

/* After ctc_head_forward on w (and before any other call on w): the CTC loss of the batch's transcribed
 * sequences (label_lengths[b] > 0; labels of b at labels + offsets[b]),
 * mean over them of loss / characters, an impossible one counting zero.
 * Adds how many were finite / impossible to *num_finite / *num_infinite.
 * With grads not NULL, adds weight * the gradient into grads (the
 * parameter set's layout) and into d_x (T, B, I), which must be zeroed or
 * hold other gradients to add to. */
float ctc_head_loss(const ctc_head *h, const NnParams *p, ctc_head_work *w, const int *lengths,
                    const int *labels, const int *offsets, const int *label_lengths,
                    float weight, float *grads, float *d_x, int *num_finite, int *num_infinite);

#endif
