/* One LSTM layer over a batch of B sequences of different lengths.
 *
 * I = input_size, H = hidden_size in the shape comments.
 * Input is time-major (T, B, I): frame t of sequence b is in[(t * B + b) * I].
 * Gates follow PyTorch's order i, f, g, o with weights W_ih (4H, I), W_hh
 * (4H, H) and a single bias b (4H) (PyTorch's b_ih + b_hh):
 *     i = sigmoid(x W_ih[i]^T + h W_hh[i]^T + b[i])   (likewise f, o)
 *     g = tanh(...);  c' = f * c + i * g;  h' = o * tanh(c')
 * Sequence b is valid for steps t < lengths[b]; at later steps its h and c
 * are left unchanged and its output is zero, so the final state of a
 * sequence is its state after its last valid step, whatever the padding.
 *
 * Speed: the input projection of all T * B frames is one product, the
 * recurrent projection one product per step, the rest simple elementwise
 * loops.  Products go through nn_gemm (gemm.h): OpenBLAS sgemm in fp32, or
 * the bf16 kernel in bf16 precision, where the weights are packed once per
 * call and each step's input and recurrent products are one product.
 * Everything backward needs lives in an LstmCache built once (lstm_cache_build)
 * for the largest T and B it will see; forward and backward allocate nothing.
 *
 * Reverse direction / bidirectional: run the same layer on the sequences
 * reversed within their lengths (nn_reverse_sequences on the input), and
 * reverse its output the same way.  In backward, reverse d_out, run
 * lstm_backward, and reverse the resulting d_in.  A bidirectional layer is a
 * forward and a reversed layer with separate weights and caches. */
#ifndef S2S_NN_LSTM_H
#define S2S_NN_LSTM_H
#include "nn_params.h"

typedef struct {
    int max_steps, max_batch;     /* capacity the cache was built for */
    int input_size, hidden_size;  /* I, H */
    int num_steps, batch_size;    /* T, B of the last lstm_forward */
    int *lengths;   /* (max_batch) lengths of the last forward */
    float *gates;   /* (T, B, 4H) activated gates i, f, g, o; zero at padding */
    float *h;       /* (T + 1, B, H) hidden state before step t (h[0] = h0) */
    float *c;       /* (T + 1, B, H) cell state before step t (c[0] = c0) */
    float *tanh_c;  /* (T, B, H) tanh of the cell state after step t */
    float *d_gates; /* (T, B, 4H) backward: gradient of the gate pre-activations */
    float *dh;      /* (B, H) backward: gradient of the running h */
    float *dc;      /* (B, H) backward: gradient of the running c */
    float *memory;  /* the one allocation behind all float arrays above */
    /* bf16 precision only (nn_gemm_precision; NULL in fp32): packed operands */
    uint16_t *w_packed;  /* [W_ih | W_hh]^T (I + H, 4H): forward's step product */
    uint16_t *w_hh_packed_t; /* W_hh (4H, H) for backward's dh */
    uint16_t *scratch;      /* operands of the other products (nn_gemm scratch) */
} LstmCache;

/* Number of floats an LstmCache for (max_steps, max_batch, I, H) allocates;
 * lets a caller budget memory before building. */
size_t lstm_cache_size(int max_steps, int max_batch, int input_size, int hidden_size);

/* Allocates a cache for sequences of up to max_steps steps in batches of up
 * to max_batch, with the bf16 buffers when the precision in effect at this
 * call is bf16 (forward and backward then multiply in bf16).  Returns 0, or -1 if out of memory or a size is not positive
 * (the cache is then empty and safe to free).  Release with lstm_cache_free. */
int lstm_cache_build(LstmCache *cache, int max_steps, int max_batch, int input_size,
                     int hidden_size);
void lstm_cache_free(LstmCache *cache);

/* Runs the layer over in (T, B, I), T <= max_steps, B <= max_batch; in
 * NULL means all-zero input (a decoder fed nothing), whose product is
 * skipped.
 * lengths (B): 0 <= lengths[b] <= T, or NULL for all T.  h0, c0 (B, H): the
 * initial state, NULL for zeros.  Writes out (T, B, H) (zero at padded steps;
 * may be NULL), and the final state h_final, c_final (B, H) (each may be
 * NULL).  W_ih, W_hh and b are required.  Fills the cache for lstm_backward. */
void lstm_forward(float *out, float *h_final, float *c_final, LstmCache *cache,
                  const float *in, const int *lengths, const float *h0, const float *c0,
                  const float *W_ih, const float *W_hh, const float *b, int T, int B);

/* Backward of the last lstm_forward on this cache; `in`, W_ih and W_hh must
 * be the arrays that forward used.  Upstream gradients: d_out (T, B, H),
 * d_h_final, d_c_final (B, H); any may be NULL (no gradient from there).
 * ADDS into: d_in (T, B, I), d_h0, d_c0 (B, H) (each skipped when NULL),
 * dW_ih (4H, I), dW_hh (4H, H), db (4H).  d_out at padded steps is ignored
 * (those outputs are constant zero).  The cache's forward data are kept, so
 * backward may be called again with other upstream gradients.  `in` NULL
 * (as forward's: all zero) leaves dW_ih unchanged, its gradient being zero. */
void lstm_backward(float *d_in, float *d_h0, float *d_c0,
                   float *dW_ih, float *dW_hh, float *db,
                   const float *d_out, const float *d_h_final, const float *d_c_final,
                   LstmCache *cache, const float *in, const float *W_ih, const float *W_hh);

/* Declares "<prefix>.W_ih" (4H, I), "<prefix>.W_hh" (4H, H) and "<prefix>.b"
 * (4H, 1), initialised like PyTorch (uniform +-1/sqrt(H)) except the forget
 * gate bias, which starts at 1.  Returns the index of W_ih (the others follow
 * it), or -1 as nn_params_add does. */
int lstm_params_add(NnParams *set, const char *prefix, int input_size, int hidden_size);

/* out (T, B, D) = each sequence of in (T, B, D) reversed within its length:
 * out[t][b] = in[lengths[b] - 1 - t][b] for t < lengths[b], zero after.
 * lengths NULL means all T.  out must not overlap in. */
void nn_reverse_sequences(float *out, const float *in, const int *lengths, int T, int B,
                          int D);

/* One LSTM cell step for one sequence: gates (4H) holds the pre-activations
 * i, f, g, o (input and recurrent products plus bias) and receives the
 * activations; writes c_next = f * c_prev + i * g, tanh_c = tanh(c_next) and
 * h_next = o * tanh_c (each H values). Shared by lstm_forward and by code
 * that runs the recurrence itself (the encoder's prefix pass). */
void lstm_cell_forward(float *gates, const float *c_prev, float *c_next, float *tanh_c,
                       float *h_next, int H);

#endif
