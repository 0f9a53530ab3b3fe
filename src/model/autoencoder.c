/* The autoencoder: its parameters, file I/O, the lean inference encoder (all
 * prefixes of a batch in one pass) and the training forward/backward.  See
 * autoencoder.h for the architecture.  Shapes: D input_dim, H hidden_size,
 * L num_layers, V vector_dim, B batch, T steps. */
#include "autoencoder.h"
#include "ctc_head.h"
#include "gemm.h"
#include "linear.h"
#include "loss.h"
#include "lstm.h"
#include <cblas.h>
#undef I /* complex.h's imaginary unit, pulled in by cblas.h */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct autoencoder {
    autoencoder_config cfg;
    NnParams params;
    int enc[AE_MAX_LAYERS]; /* tensor index of enc.l<k>.W_ih (W_hh, b follow) */
    int dec[AE_MAX_LAYERS]; /* likewise for the decoder */
    int proj;               /* proj.W (2H -> V), b follows */
    int init;               /* dec_init.W (V -> 2LH), b follows */
    int out;                /* out.W (H -> D), b follows */
    ctc_head head;          /* CTC head (head.classes 0: none) */
    feature_options fopts;
    feature_stats stats;
    char hash[17];
    /* The whitening folded into the projection (autoencoder_set_whitening):
     * transform (V, V) then mean (V) in one allocation, NULL when none */
    float *whitening;
    float whitening_cap;
    long whitening_windows;
};

static const float *val(const autoencoder *m, int idx) { return m->params.tensors[idx].value; }
static float *grd(const autoencoder *m, float *grads, int idx) {
    return grads + m->params.tensors[idx].offset;
}

autoencoder_config autoencoder_config_default(void) {
    autoencoder_config c = {.input_dim = 39, .hidden_size = 256, .num_layers = 1, .vector_dim = 128,
                            .decoder_input = AE_DECODER_ZERO};
    return c;
}

int autoencoder_config_check(const autoencoder_config *c, char *err, int err_len) {
    if (c->input_dim < 1 || c->input_dim > FEATURES_MAX_DIM)
        snprintf(err, err_len, "input_dim %d out of range 1..%d", c->input_dim, FEATURES_MAX_DIM);
    else if (c->hidden_size < 1 || c->hidden_size > 4096)
        snprintf(err, err_len, "hidden_size %d out of range 1..4096", c->hidden_size);
    else if (c->num_layers < 1 || c->num_layers > AE_MAX_LAYERS)
        snprintf(err, err_len, "num_layers %d out of range 1..%d", c->num_layers, AE_MAX_LAYERS);
    else if (c->vector_dim < 1 || c->vector_dim > 4096)
        snprintf(err, err_len, "vector_dim %d out of range 1..4096", c->vector_dim);
    else if (c->decoder_input != AE_DECODER_PREVIOUS && c->decoder_input != AE_DECODER_ZERO)
        snprintf(err, err_len, "decoder_input %d is neither 0 (previous frame) nor 1 (zero)",
                 c->decoder_input);
    else if (c->ctc_classes != 0 && (c->ctc_classes < 2 || c->ctc_classes > 256))
        snprintf(err, err_len, "ctc_classes %d is neither 0 (no head) nor in 2..256",
                 c->ctc_classes);
    else if (c->ctc_hidden < 0 || c->ctc_hidden > 4096)
        snprintf(err, err_len, "ctc_hidden %d out of range 0..4096", c->ctc_hidden);
    else
        return 0;
    return -1;
}

autoencoder *autoencoder_new(const autoencoder_config *config, uint64_t seed, char *err,
                             int err_len) {
    if (autoencoder_config_check(config, err, err_len) != 0)
        return NULL;
    autoencoder *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    m->cfg = *config;
    int D = config->input_dim, H = config->hidden_size, L = config->num_layers,
        V = config->vector_dim;
    NnParams *p = &m->params;
    nn_params_init(p);
    char name[NN_TENSOR_NAME_MAX];
    int ok = 1;
    for (int l = 0; l < L; l++) {
        snprintf(name, sizeof name, "enc.l%d", l);
        ok &= (m->enc[l] = lstm_params_add(p, name, l == 0 ? D : H, H)) >= 0;
    }
    ok &= (m->proj = linear_params_add(p, "proj", 2 * H, V)) >= 0;
    ok &= (m->init = linear_params_add(p, "dec_init", V, 2 * L * H)) >= 0;
    for (int l = 0; l < L; l++) {
        snprintf(name, sizeof name, "dec.l%d", l);
        ok &= (m->dec[l] = lstm_params_add(p, name, l == 0 ? D : H, H)) >= 0;
    }
    ok &= (m->out = linear_params_add(p, "out", H, D)) >= 0;
    ok &= ctc_head_declare(&m->head, p, H, config->ctc_classes, config->ctc_hidden) == 0;
    if (!ok || nn_params_alloc(p) != 0) {
        snprintf(err, err_len, "out of memory");
        autoencoder_free(m);
        return NULL;
    }
    nn_params_init_values(p, seed);
    m->fopts = features_model_defaults();
    m->stats.dim = D;
    for (int d = 0; d < D; d++)
        m->stats.mean[d] = 0.0f, m->stats.stddev[d] = 1.0f;
    return m;
}

autoencoder *autoencoder_add_ctc_head(const autoencoder *m, int classes, int hidden,
                                      uint64_t seed, char *err, int err_len) {
    if (m->head.classes > 0) {
        snprintf(err, err_len, "the model already has a CTC head");
        return NULL;
    }
    autoencoder_config c = m->cfg;
    c.ctc_classes = classes;
    c.ctc_hidden = hidden;
    autoencoder *out = autoencoder_new(&c, seed, err, err_len);
    if (!out)
        return NULL;
    for (int i = 0; i < m->params.num_tensors; i++) {
        const NnTensor *t = &m->params.tensors[i];
        memcpy(nn_params_get(&out->params, t->name), t->value, sizeof(float) * t->num_elems);
    }
    out->fopts = m->fopts;
    out->stats = m->stats;
    const float *mean;
    const float *transform = autoencoder_whitening(m, &mean, NULL, NULL);
    if (transform && autoencoder_set_whitening(out, transform, mean, m->whitening_cap,
                                               m->whitening_windows) != 0) {
        snprintf(err, err_len, "out of memory");
        autoencoder_free(out);
        return NULL;
    }
    return out;
}

void autoencoder_free(autoencoder *m) {
    if (!m)
        return;
    nn_params_free(&m->params);
    free(m->whitening);
    free(m);
}

model_file *autoencoder_to_file(const autoencoder *m) {
    model_file *f = model_file_new();
    if (!f)
        return NULL;
    int rc = 0;
    rc |= model_file_add_scalar(f, "ae.input_dim", (float)m->cfg.input_dim);
    rc |= model_file_add_scalar(f, "ae.hidden_size", (float)m->cfg.hidden_size);
    rc |= model_file_add_scalar(f, "ae.num_layers", (float)m->cfg.num_layers);
    rc |= model_file_add_scalar(f, "ae.vector_dim", (float)m->cfg.vector_dim);
    rc |= model_file_add_scalar(f, "ae.decoder_input", (float)m->cfg.decoder_input);
    if (m->cfg.ctc_classes > 0)
        rc |= model_file_add_scalar(f, "ae.ctc_classes", (float)m->cfg.ctc_classes);
    if (m->cfg.ctc_hidden > 0)
        rc |= model_file_add_scalar(f, "ae.ctc_hidden", (float)m->cfg.ctc_hidden);
    for (int i = 0; i < m->params.num_tensors && rc == 0; i++) {
        const NnTensor *t = &m->params.tensors[i];
        uint32_t dims[2] = {(uint32_t)t->num_rows, (uint32_t)t->num_cols};
        rc |= model_file_add(f, t->name, MODEL_DTYPE_F32, t->value, 2, dims);
    }
    if (rc == 0)
        rc |= model_file_put_features(f, &m->fopts, &m->stats);
    if (rc == 0 && m->whitening) {
        uint32_t V = (uint32_t)m->cfg.vector_dim, square[2] = {V, V}, vector[1] = {V};
        rc |= model_file_add(f, "whiten.transform", MODEL_DTYPE_F32, m->whitening, 2, square);
        rc |= model_file_add(f, "whiten.mean", MODEL_DTYPE_F32, m->whitening + V * V, 1, vector);
        rc |= model_file_add_scalar(f, "whiten.cap", m->whitening_cap);
        rc |= model_file_add_scalar(f, "whiten.windows", (float)m->whitening_windows);
    }
    if (rc != 0) {
        model_file_free(f);
        return NULL;
    }
    return f;
}

static int read_int_scalar(const model_file *f, const char *name, int *out, char *err,
                           int err_len) {
    float v;
    if (model_file_scalar(f, name, &v, err, err_len) != 0)
        return -1;
    if (!(v >= 0 && v <= 1e6f) || v != floorf(v)) {
        snprintf(err, err_len, "model record %s: %g is not a valid size", name, v);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* Reads the optional whitening records (autoencoder_to_file writes them). */
static int read_whitening(const model_file *f, autoencoder *m, char *err, int err_len) {
    const long V = m->cfg.vector_dim;
    const float *transform = model_file_f32(f, "whiten.transform", V * V, err, err_len);
    const float *mean = transform ? model_file_f32(f, "whiten.mean", V, err, err_len) : NULL;
    float cap = 0, windows = 0;
    if (!mean || model_file_scalar(f, "whiten.cap", &cap, err, err_len) != 0 ||
        model_file_scalar(f, "whiten.windows", &windows, err, err_len) != 0)
        return -1;
    for (long k = 0; k < V * V + V; k++)
        if (!isfinite(k < V * V ? transform[k] : mean[k - V * V])) {
            snprintf(err, err_len, "model record whiten: value %ld is not finite", k);
            return -1;
        }
    if (autoencoder_set_whitening(m, transform, mean, cap, (long)windows) != 0) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    return 0;
}

autoencoder *autoencoder_from_file(const model_file *f, char *err, int err_len) {
    autoencoder_config c;
    char sub[256];
    if (read_int_scalar(f, "ae.input_dim", &c.input_dim, sub, sizeof sub) ||
        read_int_scalar(f, "ae.hidden_size", &c.hidden_size, sub, sizeof sub) ||
        read_int_scalar(f, "ae.num_layers", &c.num_layers, sub, sizeof sub) ||
        read_int_scalar(f, "ae.vector_dim", &c.vector_dim, sub, sizeof sub)) {
        snprintf(err, err_len, "not an s2s autoencoder model (%s)", sub);
        return NULL;
    }
    c.decoder_input = AE_DECODER_PREVIOUS;
    if (model_file_find(f, "ae.decoder_input") &&
        read_int_scalar(f, "ae.decoder_input", &c.decoder_input, err, err_len) != 0)
        return NULL;
    c.ctc_classes = c.ctc_hidden = 0;
    if ((model_file_find(f, "ae.ctc_classes") &&
         read_int_scalar(f, "ae.ctc_classes", &c.ctc_classes, err, err_len) != 0) ||
        (model_file_find(f, "ae.ctc_hidden") &&
         read_int_scalar(f, "ae.ctc_hidden", &c.ctc_hidden, err, err_len) != 0))
        return NULL;
    if (autoencoder_config_check(&c, sub, sizeof sub) != 0) {
        snprintf(err, err_len, "bad model architecture: %s", sub);
        return NULL;
    }
    autoencoder *m = autoencoder_new(&c, 0, err, err_len);
    if (!m)
        return NULL;
    for (int i = 0; i < m->params.num_tensors; i++) {
        NnTensor *t = &m->params.tensors[i];
        const float *data = model_file_f32(f, t->name, (long)t->num_elems, err, err_len);
        if (!data)
            goto fail;
        const model_record *r = model_file_find(f, t->name);
        if (r->ndim != 2 || r->dims[0] != (uint32_t)t->num_rows ||
            r->dims[1] != (uint32_t)t->num_cols) {
            snprintf(err, err_len, "model record %s: shape does not match (%d, %d)", t->name,
                     t->num_rows, t->num_cols);
            goto fail;
        }
        for (size_t k = 0; k < t->num_elems; k++)
            if (!isfinite(data[k])) {
                snprintf(err, err_len, "model record %s: value %zu is not finite", t->name, k);
                goto fail;
            }
        memcpy(t->value, data, t->num_elems * sizeof(float));
    }
    if (model_file_get_features(f, &m->fopts, &m->stats, err, err_len) != 0)
        goto fail;
    if (features_dim(&m->fopts) != c.input_dim || m->stats.dim != c.input_dim) {
        snprintf(err, err_len, "model's feature settings give %d values a frame, its network reads %d",
                 features_dim(&m->fopts), c.input_dim);
        goto fail;
    }
    for (int d = 0; d < c.input_dim; d++)
        if (!isfinite(m->stats.mean[d]) || !(m->stats.stddev[d] > 0) ||
            !isfinite(m->stats.stddev[d])) {
            snprintf(err, err_len, "model's normalisation statistics are invalid (dim %d)", d);
            goto fail;
        }
    if (model_file_find(f, "whiten.transform") && read_whitening(f, m, err, err_len) != 0)
        goto fail;
    memcpy(m->hash, f->hash, sizeof m->hash);
    m->hash[16] = 0;
    return m;
fail:
    autoencoder_free(m);
    return NULL;
}

autoencoder *autoencoder_load(const char *path, char *err, int err_len) {
    model_file *f = model_file_read(path, err, err_len);
    if (!f)
        return NULL;
    autoencoder *m = autoencoder_from_file(f, err, err_len);
    model_file_free(f);
    return m;
}

int autoencoder_vector_dim(const autoencoder *m) { return m->cfg.vector_dim; }
const autoencoder_config *autoencoder_get_config(const autoencoder *m) { return &m->cfg; }
const feature_options *autoencoder_feature_options(const autoencoder *m) { return &m->fopts; }
const feature_stats *autoencoder_feature_stats(const autoencoder *m) { return &m->stats; }
const char *autoencoder_hash(const autoencoder *m) { return m->hash; }
void autoencoder_set_hash(autoencoder *m, const char *hash) {
    snprintf(m->hash, sizeof m->hash, "%s", hash);
}
void autoencoder_set_features(autoencoder *m, const feature_options *options,
                              const feature_stats *stats) {
    if (options)
        m->fopts = *options;
    if (stats)
        m->stats = *stats;
}
NnParams *autoencoder_params(autoencoder *m) { return &m->params; }
const NnParams *autoencoder_params_const(const autoencoder *m) { return &m->params; }

/* u (n) = z / |z|; returns |z| (guarded against 0). */
static float normalise(float *u, const float *z, int n) {
    double s = 0.0;
    for (int k = 0; k < n; k++)
        s += (double)z[k] * z[k];
    float norm = (float)sqrt(s + 1e-12);
    for (int k = 0; k < n; k++)
        u[k] = z[k] / norm;
    return norm;
}

/* ---------------------------------------------------------------- encoding */

enum { ENC_CHUNK = 16 }; /* steps whose input projection is one sgemm */

struct encoder_state {
    int max_batch, max_frames;
    float *xproj;                /* (CHUNK, B, 4H) input projections + bias, then gates */
    float *chunk_out[2];         /* (CHUNK, B, H) a layer's outputs over the chunk (ping-pong) */
    float *h[AE_MAX_LAYERS];     /* (B, H) running state per layer */
    float *c[AE_MAX_LAYERS];     /* (B, H) */
    float *proj_in;              /* (B, 2H) [h_top ; c_top] */
    float *z;                    /* (B, V) projected vector */
    int unnormalised;            /* 1: vectors are written as z, not z / |z| */
    float *tanh_c;               /* (H) cell scratch */
    float *memory;
    /* bf16 precision only (NULL in fp32): each layer's [W_ih | W_hh],
     * packed at the start of each call, and a step's [x_t | h] (B rows):
     * a step's input and recurrent products are then one product */
    uint16_t *w_bf16[AE_MAX_LAYERS];
    uint16_t *a_bf16;
    /* CTC head (autoencoder_frame_log_probs), made on first use and grown
     * to the longest sequence seen, so a recording's regions reuse it */
    float *head_in;              /* (head_frames, head_batch, H) the top layer's outputs */
    ctc_head_work *head_work;
    int head_frames, head_batch;
};

encoder_state *encoder_state_new(const autoencoder *m, int max_batch, int max_frames) {
    if (max_batch <= 0 || max_frames <= 0)
        return NULL;
    encoder_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    size_t B = (size_t)max_batch, H = (size_t)m->cfg.hidden_size, L = (size_t)m->cfg.num_layers,
           V = (size_t)m->cfg.vector_dim;
    size_t n = ENC_CHUNK * B * 4 * H + 2 * ENC_CHUNK * B * H + 2 * L * B * H + B * 2 * H + B * V + H;
    s->memory = calloc(n, sizeof(float));
    if (!s->memory) {
        free(s);
        return NULL;
    }
    s->max_batch = max_batch;
    s->max_frames = max_frames;
    float *p = s->memory;
    s->xproj = p, p += ENC_CHUNK * B * 4 * H;
    s->chunk_out[0] = p, p += ENC_CHUNK * B * H;
    s->chunk_out[1] = p, p += ENC_CHUNK * B * H;
    for (size_t l = 0; l < L; l++) {
        s->h[l] = p, p += B * H;
        s->c[l] = p, p += B * H;
    }
    s->proj_in = p, p += B * 2 * H;
    s->z = p, p += B * V;
    s->tanh_c = p;
    if (nn_gemm_precision() == NN_PRECISION_BF16) {
        int D = m->cfg.input_dim, Hi = (int)H, G = 4 * Hi;
        int K_max = (D > Hi ? D + 1 : Hi + 1) + Hi + 1; /* [x | h], each rounded to even */
        int ok = (s->a_bf16 = malloc(sizeof(uint16_t) * nn_gemm_bf16_a_size(max_batch, K_max))) != NULL;
        for (size_t l = 0; l < L; l++) {
            s->w_bf16[l] = malloc(sizeof(uint16_t) * (nn_gemm_bf16_b_size(l ? Hi : D, G) +
                                                      nn_gemm_bf16_b_size(Hi, G)));
            ok = ok && s->w_bf16[l];
        }
        if (!ok) {
            encoder_state_free(s);
            return NULL;
        }
    }
    return s;
}

void encoder_state_free(encoder_state *s) {
    if (!s)
        return;
    for (int l = 0; l < AE_MAX_LAYERS; l++)
        free(s->w_bf16[l]);
    free(s->a_bf16);
    free(s->head_in);
    ctc_head_work_free(s->head_work);
    free(s->memory);
    free(s);
}

enum { WHOLE_SEQUENCES = -1 }; /* encode_pass's num_prefixes: one vector per sequence */

/* The encoder's one pass over a batch (autoencoder_encode_prefixes'
 * contract; num_prefixes WHOLE_SEQUENCES: autoencoder_encode_batch's), which also
 * writes the top layer's outputs (T, B, H) of every step up to the longest
 * sequence when top_out is not NULL. */
static int encode_pass(const autoencoder *m, encoder_state *s, const float *frames,
                       const int *lengths, int T, int B, const int *prefix_lengths,
                       int num_prefixes, float *out, float *top_out) {
    const int whole = num_prefixes == WHOLE_SEQUENCES; /* one vector per sequence, at its end */
    if (B < 1 || B > s->max_batch || T < 0 || T > s->max_frames ||
        (num_prefixes < 0 && !whole) || num_prefixes > s->max_frames)
        return -1;
    const int D = m->cfg.input_dim, H = m->cfg.hidden_size, L = m->cfg.num_layers,
              V = m->cfg.vector_dim, G = 4 * H, P = whole ? 1 : num_prefixes;
    if (P > 0)
        memset(out, 0, sizeof(float) * (size_t)B * P * V);
    int max_len = 0;
    for (int b = 0; b < B; b++)
        if (lengths[b] > max_len)
            max_len = lengths[b] < T ? lengths[b] : T;
    int max_prefix = 0;
    for (int p = 0; p < P && !whole; p++)
        if (prefix_lengths[p] > max_prefix)
            max_prefix = prefix_lengths[p];
    int steps = max_len < max_prefix ? max_len : max_prefix; /* no step beyond is needed */
    if (top_out || whole)
        steps = max_len;
    for (int l = 0; l < L; l++) {
        memset(s->h[l], 0, sizeof(float) * B * H);
        memset(s->c[l], 0, sizeof(float) * B * H);
    }
    const float *W_proj = val(m, m->proj), *b_proj = val(m, m->proj + 1);
    if (s->a_bf16 && steps > 0)
        for (int l = 0; l < L; l++) { /* [W_ih | W_hh]^T: K = I (even) + H (even) */
            int I = l ? H : D;
            nn_gemm_bf16_pack_b(s->w_bf16[l], val(m, m->enc[l]), I, 1, I, G);
            nn_gemm_bf16_pack_b(s->w_bf16[l] + nn_gemm_bf16_b_size(I, G), val(m, m->enc[l] + 1),
                                H, 1, H, G);
        }
    for (int t0 = 0; t0 < steps; t0 += ENC_CHUNK) {
        int tc = steps - t0 < ENC_CHUNK ? steps - t0 : ENC_CHUNK;
        const float *x = frames + (size_t)t0 * B * D; /* (tc, B, I) input of layer 0 */
        int in_size = D;
        for (int l = 0; l < L; l++) {
            const float *W_ih = val(m, m->enc[l]), *W_hh = val(m, m->enc[l] + 1),
                        *bias = val(m, m->enc[l] + 2);
            float *y = s->chunk_out[l & 1]; /* (tc, B, H) this layer's outputs */
            // fp32: xproj (tc*B, 4H) = x (tc*B, I) . W_ih^T + b for the chunk
            if (!s->a_bf16) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, tc * B, G, in_size, 1.0f,
                            x, in_size, W_ih, in_size, 0.0f, s->xproj, G);
                for (int r = 0; r < tc * B; r++) {
                    float *row = s->xproj + (size_t)r * G;
                    for (int k = 0; k < G; k++)
                        row[k] += bias[k];
                }
            }
            float *h = s->h[l], *c = s->c[l];
            for (int tt = 0; tt < tc; tt++) {
                int t = t0 + tt;
                float *gates = s->xproj + (size_t)tt * B * G; /* (B, 4H) */
                if (s->a_bf16) {
                    // gates = b + [x_t | h] (B, I + H) . [W_ih | W_hh]^T
                    const float *xt = x + (size_t)tt * B * in_size;
                    for (int b = 0; b < B; b++)
                        memcpy(gates + (size_t)b * G, bias, sizeof(float) * G);
                    if (t == 0) { /* h = 0: x_0 . W_ih^T, the first rows of the packing */
                        nn_gemm_bf16_pack_a(s->a_bf16, xt, in_size, 0, B, in_size);
                        nn_gemm_bf16(gates, G, s->a_bf16, 0, s->w_bf16[l], B, G, in_size);
                    } else {
                        nn_gemm_bf16_pack_a_concat(s->a_bf16, xt, in_size, in_size, h, H, H, B);
                        nn_gemm_bf16(gates, G, s->a_bf16, 0, s->w_bf16[l], B, G,
                                     (in_size + 1) / 2 * 2 + (H + 1) / 2 * 2);
                    }
                } else {
                    // gates += h (B, H) . W_hh^T
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, G, H, 1.0f, h, H,
                                W_hh, H, 1.0f, gates, G);
                }
                for (int b = 0; b < B; b++) {
                    float *yb = y + ((size_t)tt * B + b) * H;
                    float *hb = h + (size_t)b * H, *cb = c + (size_t)b * H;
                    if (t < lengths[b]) /* else past its end: state kept */
                        lstm_cell_forward(gates + (size_t)b * G, cb, cb, s->tanh_c, hb, H);
                    memcpy(yb, hb, sizeof(float) * H);
                }
                if (l != L - 1)
                    continue;
                // Top layer: vectors of the prefixes that end after step t
                // (whole sequences: after the last step, every state being
                // kept past its sequence's end).
                int have_proj = 0;
                for (int p = 0; p < P; p++) {
                    if (whole ? t + 1 != steps : prefix_lengths[p] != t + 1)
                        continue;
                    if (!have_proj) {
                        for (int b = 0; b < B; b++) {
                            memcpy(s->proj_in + (size_t)b * 2 * H, h + (size_t)b * H,
                                   sizeof(float) * H);
                            memcpy(s->proj_in + (size_t)b * 2 * H + H, c + (size_t)b * H,
                                   sizeof(float) * H);
                        }
                        // z (B, V) = proj_in (B, 2H) . W_proj^T + b
                        linear_forward(s->z, s->proj_in, W_proj, b_proj, B, 2 * H, V);
                        have_proj = 1;
                    }
                    for (int b = 0; b < B; b++) {
                        if (whole ? lengths[b] < 1 : prefix_lengths[p] > lengths[b])
                            continue;
                        float *dst = out + ((size_t)b * P + p) * V;
                        if (s->unnormalised)
                            memcpy(dst, s->z + (size_t)b * V, sizeof(float) * V);
                        else
                            normalise(dst, s->z + (size_t)b * V, V);
                    }
                }
            }
            if (top_out && l == L - 1)
                memcpy(top_out + (size_t)t0 * B * H, y, sizeof(float) * tc * B * H);
            x = y;
            in_size = H;
        }
    }
    return 0;
}

void encoder_state_set_unnormalised(encoder_state *s, int unnormalised) {
    s->unnormalised = unnormalised;
}

int autoencoder_encode_prefixes(const autoencoder *m, encoder_state *s, const float *frames,
                                const int *lengths, int T, int B, const int *prefix_lengths,
                                int num_prefixes, float *out) {
    return encode_pass(m, s, frames, lengths, T, B, prefix_lengths, num_prefixes, out, NULL);
}

int autoencoder_encode_batch(const autoencoder *m, encoder_state *s, const float *frames,
                             const int *lengths, int T, int B, float *out) {
    return encode_pass(m, s, frames, lengths, T, B, NULL, WHOLE_SEQUENCES, out, NULL);
}

int autoencoder_ctc_classes(const autoencoder *m) { return m->cfg.ctc_classes; }

int autoencoder_frame_log_probs_batch(const autoencoder *m, encoder_state *s,
                                      const float *frames, const int *lengths, int T, int B,
                                      float *log_probs) {
    if (T < 1 || T > s->max_frames || B < 1 || B > s->max_batch || m->head.classes == 0)
        return -1;
    if (T > s->head_frames || B > s->head_batch) {
        int frames_room = T > s->head_frames ? T : s->head_frames;
        int batch_room = B > s->head_batch ? B : s->head_batch;
        free(s->head_in);
        ctc_head_work_free(s->head_work);
        s->head_in = malloc(sizeof(float) * frames_room * batch_room * m->cfg.hidden_size);
        s->head_work = ctc_head_work_new(&m->head, frames_room, batch_room);
        int ok = s->head_in && s->head_work;
        s->head_frames = ok ? frames_room : 0;
        s->head_batch = ok ? batch_room : 0;
        if (!ok)
            return -1;
    }
    if (encode_pass(m, s, frames, lengths, T, B, NULL, 0, NULL, s->head_in) != 0)
        return -1;
    memcpy(log_probs, ctc_head_forward(&m->head, &m->params, s->head_work, s->head_in, lengths, T, B),
           sizeof(float) * T * B * m->head.classes);
    return 0;
}

int autoencoder_frame_log_probs(const autoencoder *m, encoder_state *s, const float *frames,
                                int num_frames, float *log_probs) {
    return autoencoder_frame_log_probs_batch(m, s, frames, &num_frames, num_frames, 1, log_probs);
}

int autoencoder_encode(const autoencoder *m, encoder_state *s, const float *frames,
                       int num_frames, float *out) {
    if (num_frames < 1 || num_frames > s->max_frames)
        return -1;
    return autoencoder_encode_prefixes(m, s, frames, &num_frames, num_frames, 1, &num_frames, 1,
                                       out);
}

/* ---------------------------------------------------------------- training */

struct autoencoder_work {
    int max_batch, max_in, max_out;
    LstmCache enc_cache[AE_MAX_LAYERS], dec_cache[AE_MAX_LAYERS];
    float *enc_out[AE_MAX_LAYERS]; /* (T_in, B, H) outputs of encoder layer l (l < L-1) */
    float *dec_out[AE_MAX_LAYERS]; /* (T_out, B, H) outputs of decoder layer l */
    float *h_fin, *c_fin;          /* (B, H) top encoder layer's final state */
    float *proj_in;                /* (B, 2H) [h_fin ; c_fin] */
    float *z, *u;                  /* (B, V) projection, unit vector */
    float *znorm;                  /* (B) |z| */
    float *init;                   /* (B, 2LH) tanh(dec_init(u)): per layer [h0 ; c0] */
    float *h0[AE_MAX_LAYERS], *c0[AE_MAX_LAYERS]; /* (B, H) decoder initial states */
    float *dec_in;                 /* (T_out, B, D) shifted target, zero frame first (teacher forcing only) */
    float *pred;                   /* (T_out, B, D) rebuilt frames */
    float *d_pred;                 /* (T_out, B, D) */
    float *d_seq[2];               /* (max(T_in, T_out), B, H) ping-pong sequence gradients */
    float *d_h0[AE_MAX_LAYERS], *d_c0[AE_MAX_LAYERS]; /* (B, H) */
    float *d_init;                 /* (B, 2LH) gradient of dec_init's pre-activation */
    float *d_u, *d_z;              /* (B, V) */
    float *d_vec;                  /* (B, V) the batch's vector loss's gradient on u */
    float *d_proj_in;              /* (B, 2H) */
    float *d_h_fin, *d_c_fin;      /* (B, H) */
    /* CTC head (NULL without one) */
    ctc_head_work *head_work;
    float *enc_top;                /* (T_in, B, H) top encoder layer's outputs */
    float *d_top;                  /* (T_in, B, H) */
    float *memory;
};

autoencoder_work *autoencoder_work_new(const autoencoder *m, int max_batch, int max_in,
                                       int max_out) {
    if (max_batch <= 0 || max_in <= 0 || max_out <= 0)
        return NULL;
    autoencoder_work *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->max_batch = max_batch, w->max_in = max_in, w->max_out = max_out;
    size_t B = max_batch, Ti = max_in, To = max_out, D = m->cfg.input_dim,
           H = m->cfg.hidden_size, L = m->cfg.num_layers, V = m->cfg.vector_dim,
           C = m->cfg.ctc_classes;
    size_t Tm = Ti > To ? Ti : To;
    for (size_t l = 0; l < L; l++)
        if (lstm_cache_build(&w->enc_cache[l], max_in, max_batch, l ? H : D, H) != 0 ||
            lstm_cache_build(&w->dec_cache[l], max_out, max_batch, l ? H : D, H) != 0)
            goto fail;
    size_t n = L * Ti * B * H + L * To * B * H + 2 * B * H + 2 * B * H + 2 * B * V + B +
               2 * L * B * H + 2 * L * B * H + 3 * To * B * D + 2 * Tm * B * H +
               2 * L * B * H + 2 * L * B * H + 3 * B * V + 2 * B * H + 2 * B * H +
               (C ? 2 * Ti * B * H : 0);
    w->memory = calloc(n, sizeof(float));
    if (!w->memory)
        goto fail;
    float *p = w->memory;
    for (size_t l = 0; l < L; l++) {
        w->enc_out[l] = p, p += Ti * B * H;
        w->dec_out[l] = p, p += To * B * H;
        w->h0[l] = p, p += B * H;
        w->c0[l] = p, p += B * H;
        w->d_h0[l] = p, p += B * H;
        w->d_c0[l] = p, p += B * H;
    }
    w->h_fin = p, p += B * H;
    w->c_fin = p, p += B * H;
    w->proj_in = p, p += 2 * B * H;
    w->z = p, p += B * V;
    w->u = p, p += B * V;
    w->znorm = p, p += B;
    w->init = p, p += 2 * L * B * H;
    w->dec_in = p, p += To * B * D;
    w->pred = p, p += To * B * D;
    w->d_pred = p, p += To * B * D;
    w->d_seq[0] = p, p += Tm * B * H;
    w->d_seq[1] = p, p += Tm * B * H;
    w->d_init = p, p += 2 * L * B * H;
    w->d_u = p, p += B * V;
    w->d_z = p, p += B * V;
    w->d_vec = p, p += B * V;
    w->d_proj_in = p, p += 2 * B * H;
    w->d_h_fin = p, p += B * H;
    w->d_c_fin = p, p += B * H;
    if (C) {
        w->enc_top = p, p += Ti * B * H;
        w->d_top = p, p += Ti * B * H;
        if (!(w->head_work = ctc_head_work_new(&m->head, max_in, max_batch)))
            goto fail;
    }
    return w;
fail:
    autoencoder_work_free(w);
    return NULL;
}

void autoencoder_work_free(autoencoder_work *w) {
    if (!w)
        return;
    ctc_head_work_free(w->head_work);
    for (int l = 0; l < AE_MAX_LAYERS; l++) {
        lstm_cache_free(&w->enc_cache[l]);
        lstm_cache_free(&w->dec_cache[l]);
    }
    free(w->memory);
    free(w);
}

/* Backward from the reconstruction loss through the output layer, the
 * decoder, dec_init, the normalisation and the projection, down to the top
 * encoder layer's final state: fills w->d_h_fin and w->d_c_fin (B, H) and
 * adds the weights' gradients (scaled by loss_weight) into grads. */
static void decoder_backward(const autoencoder *m, autoencoder_work *w, const float *target,
                             const int *tgt_lengths, int T_out, int B, float loss_weight,
                             const float *d_vec, float *grads) {
    const int D = m->cfg.input_dim, H = m->cfg.hidden_size, L = m->cfg.num_layers,
              V = m->cfg.vector_dim, K = 2 * L * H;
    const size_t BH = (size_t)B * H;
    size_t n_pred = (size_t)T_out * B * D;
    memset(w->d_pred, 0, sizeof(float) * n_pred);
    mse_backward(w->d_pred, w->pred, target, tgt_lengths, T_out, B, D, loss_weight);
    float *d_a = w->d_seq[0], *d_b = w->d_seq[1];
    memset(d_a, 0, sizeof(float) * T_out * BH);
    linear_backward(d_a, grd(m, grads, m->out), grd(m, grads, m->out + 1), w->d_pred,
                    w->dec_out[L - 1], val(m, m->out), T_out * B, H, D);
    for (int l = L - 1; l >= 0; l--) {
        memset(w->d_h0[l], 0, sizeof(float) * BH);
        memset(w->d_c0[l], 0, sizeof(float) * BH);
        float *d_in = NULL;
        if (l > 0) {
            d_in = d_b;
            memset(d_in, 0, sizeof(float) * T_out * BH);
        }
        lstm_backward(d_in, w->d_h0[l], w->d_c0[l], grd(m, grads, m->dec[l]),
                      grd(m, grads, m->dec[l] + 1), grd(m, grads, m->dec[l] + 2), d_a, NULL, NULL,
                      &w->dec_cache[l],
                      l > 0 ? w->dec_out[l - 1]
                            : m->cfg.decoder_input == AE_DECODER_ZERO ? NULL : w->dec_in,
                      val(m, m->dec[l]), val(m, m->dec[l] + 1));
        float *t = d_a;
        d_a = d_b, d_b = t;
    }
    // d_init (B, 2LH): through tanh
    for (int l = 0; l < L; l++)
        for (int b = 0; b < B; b++)
            for (int j = 0; j < H; j++) {
                size_t kh = (size_t)b * K + 2 * l * H + j, kc = kh + H;
                w->d_init[kh] = w->d_h0[l][(size_t)b * H + j] * (1.0f - w->init[kh] * w->init[kh]);
                w->d_init[kc] = w->d_c0[l][(size_t)b * H + j] * (1.0f - w->init[kc] * w->init[kc]);
            }
    memset(w->d_u, 0, sizeof(float) * B * V);
    linear_backward(w->d_u, grd(m, grads, m->init), grd(m, grads, m->init + 1), w->d_init, w->u,
                    val(m, m->init), B, V, K);
    if (d_vec) /* a loss on the vectors themselves, already weighted */
        for (size_t k = 0; k < (size_t)B * V; k++)
            w->d_u[k] += d_vec[k];
    // d_z = (d_u - u (u . d_u)) / |z|
    for (int b = 0; b < B; b++) {
        const float *u = w->u + (size_t)b * V, *du = w->d_u + (size_t)b * V;
        float *dz = w->d_z + (size_t)b * V;
        double dot = 0.0;
        for (int k = 0; k < V; k++)
            dot += (double)u[k] * du[k];
        for (int k = 0; k < V; k++)
            dz[k] = (du[k] - u[k] * (float)dot) / w->znorm[b];
    }
    memset(w->d_proj_in, 0, sizeof(float) * 2 * BH);
    linear_backward(w->d_proj_in, grd(m, grads, m->proj), grd(m, grads, m->proj + 1), w->d_z,
                    w->proj_in, val(m, m->proj), B, 2 * H, V);
    for (int b = 0; b < B; b++) {
        memcpy(w->d_h_fin + (size_t)b * H, w->d_proj_in + (size_t)b * 2 * H, sizeof(float) * H);
        memcpy(w->d_c_fin + (size_t)b * H, w->d_proj_in + (size_t)b * 2 * H + H,
               sizeof(float) * H);
    }
}

/* Forward from the top encoder layer's final state (w->h_fin, w->c_fin)
 * through the projection, the normalisation, dec_init, the decoder and the
 * output layer; returns the masked MSE of the rebuilt frames to target. */
static float decoder_forward(const autoencoder *m, autoencoder_work *w, const float *target,
                             const int *tgt_lengths, int T_out, int B) {
    const int D = m->cfg.input_dim, H = m->cfg.hidden_size, L = m->cfg.num_layers,
              V = m->cfg.vector_dim;
    const float *x;
    // proj_in (B, 2H) = [h_fin ; c_fin];  z (B, V) = proj(proj_in);  u = z / |z|
    for (int b = 0; b < B; b++) {
        memcpy(w->proj_in + (size_t)b * 2 * H, w->h_fin + (size_t)b * H, sizeof(float) * H);
        memcpy(w->proj_in + (size_t)b * 2 * H + H, w->c_fin + (size_t)b * H, sizeof(float) * H);
    }
    linear_forward(w->z, w->proj_in, val(m, m->proj), val(m, m->proj + 1), B, 2 * H, V);
    for (int b = 0; b < B; b++)
        w->znorm[b] = normalise(w->u + (size_t)b * V, w->z + (size_t)b * V, V);
    // init (B, 2LH) = tanh(dec_init(u)); layer l's h0 is [2lH, 2lH + H), c0 the next H
    const int K = 2 * L * H;
    linear_forward(w->init, w->u, val(m, m->init), val(m, m->init + 1), B, V, K);
    for (size_t k = 0; k < (size_t)B * K; k++)
        w->init[k] = tanhf(w->init[k]);
    for (int l = 0; l < L; l++)
        for (int b = 0; b < B; b++) {
            memcpy(w->h0[l] + (size_t)b * H, w->init + (size_t)b * K + 2 * l * H,
                   sizeof(float) * H);
            memcpy(w->c0[l] + (size_t)b * H, w->init + (size_t)b * K + 2 * l * H + H,
                   sizeof(float) * H);
        }
    // The decoder's input: with teacher forcing dec_in (T_out, B, D), a zero
    // frame then the target shifted by one step; a decoder fed zeros gets
    // NULL instead (no input product, no buffer to clear)
    x = NULL;
    if (m->cfg.decoder_input != AE_DECODER_ZERO) {
        memset(w->dec_in, 0, sizeof(float) * B * D);
        if (T_out > 1)
            memcpy(w->dec_in + (size_t)B * D, target, sizeof(float) * (size_t)(T_out - 1) * B * D);
        x = w->dec_in;
    }
    for (int l = 0; l < L; l++) {
        lstm_forward(w->dec_out[l], NULL, NULL, &w->dec_cache[l], x, tgt_lengths, w->h0[l],
                     w->c0[l], val(m, m->dec[l]), val(m, m->dec[l] + 1), val(m, m->dec[l] + 2),
                     T_out, B);
        x = w->dec_out[l];
    }
    // pred (T_out * B, D) = out(dec_out[L-1])
    linear_forward(w->pred, w->dec_out[L - 1], val(m, m->out), val(m, m->out + 1), T_out * B, H,
                   D);
    return mse_forward(w->pred, target, tgt_lengths, T_out, B, D);
}

float autoencoder_train_batch(const autoencoder *m, autoencoder_work *w, const ae_batch *bt,
                              float loss_weight, float *grads, ae_losses *losses_out) {
    const int H = m->cfg.hidden_size, L = m->cfg.num_layers, B = bt->B, T_in = bt->T_in,
              T_out = bt->T_out;
    const float *in = bt->in, *target = bt->target;
    const int *in_lengths = bt->in_lengths, *tgt_lengths = bt->tgt_lengths;
    const int rebuild = target != NULL, transcribe = bt->labels != NULL;
    ae_losses losses = {0};
    if (B > w->max_batch || T_in > w->max_in || (rebuild && T_out > w->max_out) ||
        (transcribe && m->head.classes == 0) || (!rebuild && !transcribe))
        return NAN;
    const size_t BH = (size_t)B * H;

    /* ---- forward ---- */
    // Encoder stack over in (T_in, B, D); the top layer keeps its final state
    // (and its outputs when the CTC head reads them).
    const float *x = in;
    for (int l = 0; l < L; l++) {
        int top = l == L - 1;
        float *outputs = top ? (transcribe ? w->enc_top : NULL) : w->enc_out[l];
        lstm_forward(outputs, top ? w->h_fin : NULL, top ? w->c_fin : NULL, &w->enc_cache[l], x,
                     in_lengths, NULL, NULL, val(m, m->enc[l]), val(m, m->enc[l] + 1),
                     val(m, m->enc[l] + 2), T_in, B);
        x = w->enc_out[l];
    }
    if (transcribe) {
        // the head's gradient reaches the encoder through d_top
        if (grads)
            memset(w->d_top, 0, sizeof(float) * (size_t)T_in * BH);
        ctc_head_forward(&m->head, &m->params, w->head_work, w->enc_top, in_lengths, T_in, B);
        losses.ctc = ctc_head_loss(&m->head, &m->params, w->head_work, in_lengths,
                                   bt->labels, bt->label_offsets, bt->label_lengths,
                                   bt->ctc_weight * loss_weight, grads, w->d_top,
                                   &losses.ctc_sequences, &losses.ctc_infinite);
    }
    if (rebuild)
        losses.mse = decoder_forward(m, w, target, tgt_lengths, T_out, B);
    const int vector_loss = rebuild && bt->vector_loss;
    if (vector_loss)
        losses.vector = bt->vector_loss(bt->vector_loss_ctx, w->u, B, m->cfg.vector_dim, w->d_vec);
    float loss = losses.mse + (transcribe ? bt->ctc_weight * losses.ctc : 0.0f) + losses.vector;
    if (losses_out)
        *losses_out = losses;
    if (!grads)
        return loss;

    /* ---- backward ---- */
    if (rebuild)
        decoder_backward(m, w, target, tgt_lengths, T_out, B, loss_weight,
                         vector_loss ? w->d_vec : NULL, grads);
    if (bt->encoder_fixed)
        return loss;
    // Encoder stack, top down: the top layer gets gradient at its final state
    // (from the vector) and at its outputs (from the CTC head), lower layers
    // through their outputs.
    const float *d_out = NULL;
    float *d_a = w->d_seq[0], *d_b = w->d_seq[1];
    for (int l = L - 1; l >= 0; l--) {
        int top = l == L - 1;
        float *d_in = NULL;
        if (l > 0) {
            d_in = (d_out == d_a) ? d_b : d_a;
            memset(d_in, 0, sizeof(float) * T_in * BH);
        }
        lstm_backward(d_in, NULL, NULL, grd(m, grads, m->enc[l]), grd(m, grads, m->enc[l] + 1),
                      grd(m, grads, m->enc[l] + 2), top ? (transcribe ? w->d_top : NULL) : d_out,
                      top && rebuild ? w->d_h_fin : NULL, top && rebuild ? w->d_c_fin : NULL,
                      &w->enc_cache[l], l > 0 ? w->enc_out[l - 1] : in, val(m, m->enc[l]),
                      val(m, m->enc[l] + 1));
        d_out = d_in;
    }
    return loss;
}

float autoencoder_forward_backward(const autoencoder *m, autoencoder_work *w, const float *in,
                                   const int *in_lengths, int T_in, const float *target,
                                   const int *tgt_lengths, int T_out, int B, float loss_weight,
                                   float *grads) {
    ae_batch bt = {.in = in, .in_lengths = in_lengths, .T_in = T_in, .B = B, .target = target,
                   .tgt_lengths = tgt_lengths, .T_out = T_out};
    return autoencoder_train_batch(m, w, &bt, loss_weight, grads, NULL);
}

const float *autoencoder_work_vectors(const autoencoder_work *w) { return w->u; }

double autoencoder_train_flops(const autoencoder_config *c, int B, int T) {
    double D = c->input_dim, H = c->hidden_size, L = c->num_layers, V = c->vector_dim;
    double lstm = 0.0;
    for (int l = 0; l < c->num_layers; l++)
        lstm += 2.0 * T * B * 4 * H * ((l ? H : D) + H);
    double fwd = 2 * lstm + 2.0 * B * 2 * H * V + 2.0 * B * V * 2 * L * H + 2.0 * T * B * H * D;
    return 3.0 * fwd; /* backward: gradients of inputs and of weights, each ~ forward */
}

int autoencoder_fold_affine(autoencoder *m, const float *transform, const float *mean) {
    const int V = m->cfg.vector_dim, K = 2 * m->cfg.hidden_size;
    float *W = m->params.tensors[m->proj].value, *b = m->params.tensors[m->proj + 1].value;
    float *W_new = malloc(sizeof(float) * V * K), *b_new = malloc(sizeof(float) * V);
    if (!W_new || !b_new) {
        free(W_new);
        free(b_new);
        return -1;
    }
    /* z' = T (W x + b - mean) = (T W) x + T (b - mean) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, V, K, V, 1.0f, transform, V, W, K,
                0.0f, W_new, K);
    for (int i = 0; i < V; i++) {
        double sum = 0;
        for (int j = 0; j < V; j++)
            sum += (double)transform[(size_t)i * V + j] * (b[j] - mean[j]);
        b_new[i] = (float)sum;
    }
    memcpy(W, W_new, sizeof(float) * V * K);
    memcpy(b, b_new, sizeof(float) * V);
    free(W_new);
    free(b_new);
    m->hash[0] = '\0'; /* another model now: its file, when written, names it */
    return 0;
}

int autoencoder_set_whitening(autoencoder *m, const float *transform, const float *mean, float cap,
                              long windows) {
    const size_t V = (size_t)m->cfg.vector_dim;
    free(m->whitening);
    m->whitening = NULL;
    if (!transform)
        return 0;
    if (!(m->whitening = malloc(sizeof(float) * (V * V + V))))
        return -1;
    memcpy(m->whitening, transform, sizeof(float) * V * V);
    memcpy(m->whitening + V * V, mean, sizeof(float) * V);
    m->whitening_cap = cap;
    m->whitening_windows = windows;
    return 0;
}

const float *autoencoder_whitening(const autoencoder *m, const float **mean, float *cap,
                                   long *windows) {
    if (!m->whitening)
        return NULL;
    if (mean) *mean = m->whitening + (size_t)m->cfg.vector_dim * m->cfg.vector_dim;
    if (cap) *cap = m->whitening_cap;
    if (windows) *windows = m->whitening_windows;
    return m->whitening;
}
