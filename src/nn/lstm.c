/* LSTM layer, forward and backward through time with per-sequence lengths.
 * See lstm.h for the equations, the layout and the masking rule. */
#include "lstm.h"
#include <assert.h>
#include <cblas.h>
/* cblas.h includes <complex.h>, whose macro I (the imaginary unit) would
 * clash with the input size I used below. */
#undef I
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activations.h"
#include "gemm.h"

void lstm_cell_forward(float *gates, const float *c_prev, float *c_next, float *tanh_c,
                       float *h_next, int H) {
    float *gi = gates, *gf = gates + H, *gg = gates + 2 * H, *go = gates + 3 * H;
    /* Activations first, over whole gate blocks, so each loop vectorises. */
    nn_sigmoid_array(gi, 2 * H); /* i and f are adjacent */
    nn_tanh_array(gg, H);
    nn_sigmoid_array(go, H);
    for (int j = 0; j < H; j++) c_next[j] = gf[j] * c_prev[j] + gi[j] * gg[j];
    for (int j = 0; j < H; j++) tanh_c[j] = nn_tanh(c_next[j]);
    for (int j = 0; j < H; j++) h_next[j] = go[j] * tanh_c[j];
}

size_t lstm_cache_size(int max_steps, int max_batch, int I, int H) {
    (void)I;
    size_t T = (size_t)max_steps, B = (size_t)max_batch, G = 4 * (size_t)H;
    return T * B * G        /* gates */
           + 2 * (T + 1) * B * H /* h, c */
           + T * B * H      /* tanh_c */
           + T * B * G      /* d_gates */
           + 2 * B * H;     /* dh, dc */
}

int lstm_cache_build(LstmCache *cache, int max_steps, int max_batch, int I, int H) {
    memset(cache, 0, sizeof *cache);
    if (max_steps <= 0 || max_batch <= 0 || I <= 0 || H <= 0)
        return -1;
    size_t T = (size_t)max_steps, B = (size_t)max_batch, G = 4 * (size_t)H;
    float *memory = calloc(lstm_cache_size(max_steps, max_batch, I, H), sizeof(float));
    int *lengths = calloc(B, sizeof(int));
    if (!memory || !lengths) {
        free(memory);
        free(lengths);
        return -1;
    }
    cache->max_steps = max_steps;
    cache->max_batch = max_batch;
    cache->input_size = I;
    cache->hidden_size = H;
    cache->lengths = lengths;
    cache->memory = memory;
    float *p = memory;
    cache->gates = p, p += T * B * G;
    cache->h = p, p += (T + 1) * B * H;
    cache->c = p, p += (T + 1) * B * H;
    cache->tanh_c = p, p += T * B * H;
    cache->d_gates = p, p += T * B * G;
    cache->dh = p, p += B * H;
    cache->dc = p, p += B * H;
    assert((size_t)(p - memory) == lstm_cache_size(max_steps, max_batch, I, H));
    if (nn_gemm_precision() == NN_PRECISION_BF16) {
        const int F = max_steps * max_batch, Gi = 4 * H; /* frames, gates */
        size_t need = nn_gemm_scratch_size(F, Gi, I); /* input projection */
        size_t grads = nn_gemm_bf16_a_size(Gi, F) +  /* d_gates^T, then in or h */
                       nn_gemm_bf16_b_size(F, I > H ? I : H);
        size_t d_in = nn_gemm_scratch_size(F, I, Gi);
        int K_step = (I + 1) / 2 * 2 + (H + 1) / 2 * 2; /* [x_t | h] */
        size_t step = nn_gemm_bf16_a_size(max_batch, Gi > K_step ? Gi : K_step);
        need = need > grads ? need : grads;
        need = need > d_in ? need : d_in;
        need = need > step ? need : step;
        cache->scratch = malloc(need * sizeof(uint16_t));
        cache->w_packed = malloc((nn_gemm_bf16_b_size(I, Gi) + nn_gemm_bf16_b_size(H, Gi)) *
                                    sizeof(uint16_t));
        cache->w_hh_packed_t = malloc(nn_gemm_bf16_b_size(Gi, H) * sizeof(uint16_t));
        if (!cache->scratch || !cache->w_packed || !cache->w_hh_packed_t) {
            lstm_cache_free(cache);
            return -1;
        }
    }
    return 0;
}

void lstm_cache_free(LstmCache *cache) {
    free(cache->memory);
    free(cache->lengths);
    free(cache->scratch);
    free(cache->w_packed);
    free(cache->w_hh_packed_t);
    memset(cache, 0, sizeof *cache);
}

/* Rows [0, result) of the batch hold every sequence still valid at step t;
 * with lengths sorted longest first this is exactly the valid rows, so the
 * recurrent sgemm does no work for finished sequences. */
static int num_rows_active(const int *lengths, int B, int t) {
    int rows = 0;
    for (int b = 0; b < B; b++)
        if (lengths[b] > t)
            rows = b + 1;
    return rows;
}

void lstm_forward(float *out, float *h_final, float *c_final, LstmCache *cache,
                  const float *in, const int *lengths, const float *h0, const float *c0,
                  const float *W_ih, const float *W_hh, const float *b, int T, int B) {
    assert(T >= 0 && T <= cache->max_steps && B >= 0 && B <= cache->max_batch);
    const int I = cache->input_size, H = cache->hidden_size, G = 4 * H;
    const size_t BH = (size_t)B * H;
    cache->num_steps = T;
    cache->batch_size = B;
    for (int s = 0; s < B; s++) {
        cache->lengths[s] = lengths ? lengths[s] : T;
        assert(cache->lengths[s] >= 0 && cache->lengths[s] <= T);
    }
    const int *len = cache->lengths;

    if (h0)
        memcpy(cache->h, h0, BH * sizeof(float));
    else
        memset(cache->h, 0, BH * sizeof(float));
    if (c0)
        memcpy(cache->c, c0, BH * sizeof(float));
    else
        memset(cache->c, 0, BH * sizeof(float));

    // gates (T*B, 4H) = in (T*B, I) · W_ih^T (I, 4H) + b, all steps at once (fp32)
    const int num_frames = T * B;
    for (int r = 0; r < num_frames; r++)
        memcpy(cache->gates + (size_t)r * G, b, (size_t)G * sizeof(float));
    uint16_t *a_bf16 = cache->scratch; /* bf16: [x_t | h_prev], packed each step */
    const int K_step = (I + 1) / 2 * 2 + (H + 1) / 2 * 2;
    if (a_bf16) {
        // bf16: the input product is done with the recurrent one, step by step:
        // gates_t += [x_t | h_prev] · [W_ih | W_hh]^T (one product, no pass
        // over all T*B gates for the input alone)
        nn_gemm_bf16_pack_b(cache->w_packed, W_ih, I, 1, I, G);
        nn_gemm_bf16_pack_b(cache->w_packed + nn_gemm_bf16_b_size(I, G), W_hh, H, 1, H, G);
    } else if (num_frames > 0 && in) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, num_frames, G, I, 1.0f, in, I,
                    W_ih, I, 1.0f, cache->gates, G);
    }

    for (int t = 0; t < T; t++) {
        float *gates_t = cache->gates + (size_t)t * B * G; // (B, 4H)
        const float *h_prev = cache->h + t * BH;           // (B, H)
        const float *c_prev = cache->c + t * BH;           // (B, H)
        float *h_next = cache->h + (t + 1) * BH;           // (B, H)
        float *c_next = cache->c + (t + 1) * BH;           // (B, H)
        float *tanh_c_t = cache->tanh_c + t * BH;          // (B, H)
        float *out_t = out ? out + t * BH : NULL;          // (B, H)

        // gates_t (rows, 4H) += h_prev (rows, H) · W_hh^T (H, 4H) (bf16: with
        // the input product); h_prev is zero at t = 0 without h0, so fp32
        // skips that product.
        int rows = num_rows_active(len, B, t);
        if (a_bf16 && rows > 0) {
            const int h_zero = t == 0 && !h0;
            const float *x_t = in ? in + (size_t)t * B * I : NULL;
            if (x_t && !h_zero) { /* [x_t | h_prev] · [W_ih | W_hh]^T */
                nn_gemm_bf16_pack_a_concat(a_bf16, x_t, I, I, h_prev, H, H, rows);
                nn_gemm_bf16(gates_t, G, a_bf16, 0, cache->w_packed, rows, G, K_step);
            } else if (x_t) { /* h_prev = 0: x_t · W_ih^T, the first rows of the packing */
                nn_gemm_bf16_pack_a(a_bf16, x_t, I, 0, rows, I);
                nn_gemm_bf16(gates_t, G, a_bf16, 0, cache->w_packed, rows, G, I);
            } else if (!h_zero) { /* zero input: h_prev · W_hh^T, the last rows */
                nn_gemm_bf16_pack_a(a_bf16, h_prev, H, 0, rows, H);
                nn_gemm_bf16(gates_t, G, a_bf16, 0, cache->w_packed + nn_gemm_bf16_b_size(I, G),
                             rows, G, H);
            }
        } else if (!a_bf16 && rows > 0 && (t > 0 || h0)) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, G, H, 1.0f, h_prev, H,
                        W_hh, H, 1.0f, gates_t, G);
        }

        for (int s = 0; s < B; s++) {
            float *gi = gates_t + (size_t)s * G;
            const float *cp = c_prev + (size_t)s * H, *hp = h_prev + (size_t)s * H;
            float *cn = c_next + (size_t)s * H, *hn = h_next + (size_t)s * H;
            float *tc = tanh_c_t + (size_t)s * H;
            if (t < len[s]) {
                lstm_cell_forward(gi, cp, cn, tc, hn, H);
                if (out_t)
                    memcpy(out_t + (size_t)s * H, hn, (size_t)H * sizeof(float));
            } else {
                // Padding: state carried over, output and gates zero.
                memset(gi, 0, (size_t)G * sizeof(float));
                memset(tc, 0, (size_t)H * sizeof(float));
                memcpy(cn, cp, (size_t)H * sizeof(float));
                memcpy(hn, hp, (size_t)H * sizeof(float));
                if (out_t)
                    memset(out_t + (size_t)s * H, 0, (size_t)H * sizeof(float));
            }
        }
    }
    if (h_final)
        memcpy(h_final, cache->h + T * BH, BH * sizeof(float));
    if (c_final)
        memcpy(c_final, cache->c + T * BH, BH * sizeof(float));
}

/* One sequence's step backward: from dh (H, the gradient of h after the
 * step, output gradient included) and dc (H, of c after it), writes the
 * gradient of the gate pre-activations d_gates (4H) and replaces dc with the
 * gradient of c before the step, dh with zero (refilled by the recurrent
 * product).  restrict: the arrays never overlap, which lets the compiler
 * vectorise the loop (with eight pointers it would not check overlap). */
static void cell_backward(float *restrict d_gates, float *restrict dh, float *restrict dc,
                          const float *restrict gates, const float *restrict c_prev,
                          const float *restrict tanh_c, int H) {
    const float *gi = gates, *gf = gates + H, *gg = gates + 2 * H, *go = gates + 3 * H;
    float *dgi = d_gates, *dgf = d_gates + H, *dgg = d_gates + 2 * H, *dgo = d_gates + 3 * H;
    for (int j = 0; j < H; j++) {
        float dh_j = dh[j];
        float i = gi[j], f = gf[j], g = gg[j], o = go[j], tc = tanh_c[j];
        float dc_j = dc[j] + dh_j * o * (1.0f - tc * tc);
        dgi[j] = dc_j * g * i * (1.0f - i);
        dgf[j] = dc_j * c_prev[j] * f * (1.0f - f);
        dgg[j] = dc_j * i * (1.0f - g * g);
        dgo[j] = dh_j * tc * o * (1.0f - o);
        dc[j] = dc_j * f;
        dh[j] = 0.0f;
    }
}

void lstm_backward(float *d_in, float *d_h0, float *d_c0,
                   float *dW_ih, float *dW_hh, float *db,
                   const float *d_out, const float *d_h_final, const float *d_c_final,
                   LstmCache *cache, const float *in, const float *W_ih, const float *W_hh) {
    const int T = cache->num_steps, B = cache->batch_size;
    const int I = cache->input_size, H = cache->hidden_size, G = 4 * H;
    const size_t BH = (size_t)B * H;
    const int *len = cache->lengths;
    float *dh = cache->dh, *dc = cache->dc; // (B, H) gradients of the running state

    if (d_h_final)
        memcpy(dh, d_h_final, BH * sizeof(float));
    else
        memset(dh, 0, BH * sizeof(float));
    if (d_c_final)
        memcpy(dc, d_c_final, BH * sizeof(float));
    else
        memset(dc, 0, BH * sizeof(float));
    uint16_t *a_bf16 = cache->scratch; /* bf16: d_gates_t, packed each step */
    if (a_bf16)
        nn_gemm_bf16_pack_b(cache->w_hh_packed_t, W_hh, H, 0, G, H);

    for (int t = T - 1; t >= 0; t--) {
        const float *gates_t = cache->gates + (size_t)t * B * G; // (B, 4H)
        float *d_gates_t = cache->d_gates + (size_t)t * B * G;   // (B, 4H)
        const float *c_prev = cache->c + t * BH;                 // (B, H)
        const float *tanh_c_t = cache->tanh_c + t * BH;          // (B, H)
        const float *d_out_t = d_out ? d_out + t * BH : NULL;    // (B, H)

        for (int s = 0; s < B; s++) {
            float *dgi = d_gates_t + (size_t)s * G;
            if (t >= len[s]) {
                // Padding: h and c were copied through, so dh, dc pass as is.
                memset(dgi, 0, (size_t)G * sizeof(float));
                continue;
            }
            const float *dout = d_out_t ? d_out_t + (size_t)s * H : NULL;
            float *dhs = dh + (size_t)s * H, *dcs = dc + (size_t)s * H;
            if (dout)
                for (int j = 0; j < H; j++)
                    dhs[j] += dout[j];
            cell_backward(dgi, dhs, dcs, gates_t + (size_t)s * G, c_prev + (size_t)s * H,
                          tanh_c_t + (size_t)s * H, H);
        }
        // dh (rows, H) += d_gates_t (rows, 4H) · W_hh (4H, H); rows past the
        // last valid sequence have zero d_gates and keep their dh.
        int rows = num_rows_active(len, B, t);
        if (rows > 0 && (t > 0 || d_h0)) {
            if (a_bf16) {
                nn_gemm_bf16_pack_a(a_bf16, d_gates_t, G, 0, rows, G);
                nn_gemm_bf16(dh, H, a_bf16, 0, cache->w_hh_packed_t, rows, H, G);
            } else {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, H, G, 1.0f,
                            d_gates_t, G, W_hh, H, 1.0f, dh, H);
            }
        }
    }

    const int num_frames = T * B;
    if (num_frames > 0) {
        if (a_bf16) {
            // d_gates^T (4H, T*B) packed once for both weight gradients
            uint16_t *b_bf16 = a_bf16 + nn_gemm_bf16_a_size(G, num_frames);
            nn_gemm_bf16_pack_a(a_bf16, cache->d_gates, G, 1, G, num_frames);
            if (in) {
                nn_gemm_bf16_pack_b(b_bf16, in, I, 0, num_frames, I);
                nn_gemm_bf16(dW_ih, I, a_bf16, 1, b_bf16, G, I, num_frames);
            }
            nn_gemm_bf16_pack_b(b_bf16, cache->h, H, 0, num_frames, H);
            nn_gemm_bf16(dW_hh, H, a_bf16, 1, b_bf16, G, H, num_frames);
        } else {
            // dW_ih (4H, I) += d_gates^T (4H, T*B) · in (T*B, I)
            if (in)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, G, I, num_frames, 1.0f,
                            cache->d_gates, G, in, I, 1.0f, dW_ih, I);
            // dW_hh (4H, H) += d_gates^T (4H, T*B) · h[0 .. T-1] (T*B, H)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, G, H, num_frames, 1.0f,
                        cache->d_gates, G, cache->h, H, 1.0f, dW_hh, H);
        }
        // d_in (T*B, I) += d_gates (T*B, 4H) · W_ih (4H, I)
        if (d_in)
            nn_gemm(0, 0, num_frames, I, G, cache->d_gates, G, W_ih, I, 1.0f, d_in, I,
                    cache->scratch);
        // db (4H) += column sums of d_gates
        for (int r = 0; r < num_frames; r++) {
            const float *row = cache->d_gates + (size_t)r * G;
            for (int k = 0; k < G; k++)
                db[k] += row[k];
        }
    }
    if (d_h0)
        for (size_t k = 0; k < BH; k++)
            d_h0[k] += dh[k];
    if (d_c0)
        for (size_t k = 0; k < BH; k++)
            d_c0[k] += dc[k];
}

int lstm_params_add(NnParams *set, const char *prefix, int I, int H) {
    static const char *const suffixes[3] = {"W_ih", "W_hh", "b"};
    const int num_cols[3] = {I, H, 1};
    const float bound = 1.0f / sqrtf((float)H);
    int first = -1;
    for (int k = 0; k < 3; k++) {
        char name[NN_TENSOR_NAME_MAX];
        if (snprintf(name, sizeof name, "%s.%s", prefix, suffixes[k]) >= (int)sizeof name)
            return -1;
        int index = nn_params_add(set, name, 4 * H, num_cols[k]);
        if (index < 0)
            return -1;
        nn_params_set_init(set, index, k == 2 ? NN_INIT_LSTM_BIAS : NN_INIT_UNIFORM, bound);
        if (k == 0)
            first = index;
    }
    return first;
}

void nn_reverse_sequences(float *out, const float *in, const int *lengths, int T, int B,
                          int D) {
    for (int s = 0; s < B; s++) {
        int length = lengths ? lengths[s] : T;
        for (int t = 0; t < T; t++) {
            float *dst = out + ((size_t)t * B + s) * D;
            if (t < length)
                memcpy(dst, in + ((size_t)(length - 1 - t) * B + s) * D, (size_t)D * sizeof(float));
            else
                memset(dst, 0, (size_t)D * sizeof(float));
        }
    }
}
