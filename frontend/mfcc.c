/* MFCC of one frame, Kaldi's recipe (feat/feature-mfcc.cc, feature-window.cc):
 * DC removal, raw log energy, pre-emphasis, Povey window, zero padding to a
 * power of two, power spectrum, triangular mel filters on 1127 ln(1 + f/700),
 * log floored at FLT_EPSILON, orthonormal DCT-II, cepstral lifter, and the
 * log energy in place of C0 when use_energy is set. Everything that depends
 * only on the options is built once in mfcc_build. */
#include "mfcc.h"

#include <float.h>
#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FFTW's planner (plan creation and destruction) is not thread-safe, while
 * executing a plan is: computers built by several threads take this lock. */
static pthread_mutex_t fftw_planner_lock = PTHREAD_MUTEX_INITIALIZER;

struct mfcc_computer {
    mfcc_options options;
    int frame_length;     /* samples in a frame (400 at 16 kHz) */
    int frame_shift;      /* samples between frame starts (160) */
    int fft_size;         /* frame_length rounded up to a power of two (512) */
    int num_fft_bins;     /* fft_size / 2: bins the mel filters see (Kaldi drops Nyquist) */
    float *window;        /* (frame_length) Povey window */
    float *mel_weights;   /* (num_mel_bins, num_fft_bins), mostly zero */
    int *mel_first_bin;   /* (num_mel_bins) first non-zero bin of each filter */
    int *mel_num_bins;    /* (num_mel_bins) number of non-zero bins */
    float *dct;           /* (num_ceps, num_mel_bins) orthonormal DCT-II rows */
    float *lifter;        /* (num_ceps) */
    float *fft_in;        /* (fft_size) scratch, FFTW-aligned */
    fftwf_complex *fft_out; /* (fft_size / 2 + 1) scratch */
    float *mel_energies;  /* (num_mel_bins) scratch */
    fftwf_plan plan;
};

mfcc_options mfcc_kaldi_defaults(void) {
    mfcc_options options = {
        .sample_rate_hz = 16000,
        .frame_length_ms = 25.0f,
        .frame_shift_ms = 10.0f,
        .preemphasis = 0.97f,
        .num_mel_bins = 23,
        .low_freq_hz = 20.0f,
        .high_freq_hz = 0.0f,
        .num_ceps = 13,
        .cepstral_lifter = 22.0f,
        .use_energy = 1,
        .vtln_warp = 1.0f,
        .speed = 1.0f,
    };
    return options;
}

mfcc_options mfcc_model_defaults(void) {
    mfcc_options options = mfcc_kaldi_defaults();
    options.low_freq_hz = 300.0f;
    options.high_freq_hz = 3400.0f;
    options.use_energy = 0;
    return options;
}

static double mel_scale(double freq_hz) { return 1127.0 * log(1.0 + freq_hz / 700.0); }

/* Kaldi's VtlnWarpFreq: frequencies in [low_hz, high_hz] map piecewise
 * linearly so that the middle of the band scales by 1 / warp and the band's
 * ends stay where they are (the cut-offs are those of Kaldi's defaults moved
 * inside a narrow band: 100 Hz above the low end, 500 Hz below the high end,
 * as a share of the band when it is narrower).  Outside the band: unchanged. */
static double vtln_warp_hz(double freq_hz, double low_hz, double high_hz, double warp) {
    if (freq_hz < low_hz || freq_hz > high_hz)
        return freq_hz;
    double band = high_hz - low_hz;
    double low_cut = low_hz + fmin(100.0, 0.1 * band), high_cut = high_hz - fmin(500.0, 0.2 * band);
    double l = low_cut * fmax(1.0, warp), h = high_cut * fmin(1.0, warp);
    double scale = 1.0 / warp, fl = scale * l, fh = scale * h;
    if (freq_hz < l)
        return low_hz + (fl - low_hz) / (l - low_hz) * (freq_hz - low_hz);
    if (freq_hz < h)
        return scale * freq_hz;
    return high_hz + (high_hz - fh) / (high_hz - h) * (freq_hz - high_hz);
}

static double inverse_mel_scale(double mel) { return 700.0 * (exp(mel / 1127.0) - 1.0); }

/* Kaldi's MelBanks: filters equally spaced on the mel scale between low and
 * high frequency, evaluated at the FFT bin centres; with vtln_warp, each
 * filter's left, centre and right edge is warped (VtlnWarpMelFreq). */
static int build_mel_filters(mfcc_computer *m, char *err, int err_len) {
    const mfcc_options *o = &m->options;
    double nyquist_hz = 0.5 * o->sample_rate_hz;
    double high_hz = o->high_freq_hz > 0 ? o->high_freq_hz : nyquist_hz + o->high_freq_hz;
    if (o->low_freq_hz < 0 || high_hz <= o->low_freq_hz || high_hz > nyquist_hz) {
        snprintf(err, err_len, "mel band %.0f-%.0f Hz does not fit a %d Hz sample rate",
                 o->low_freq_hz, high_hz, o->sample_rate_hz);
        return -1;
    }
    double fft_bin_width_hz = (double)o->sample_rate_hz / m->fft_size;
    double mel_low = mel_scale(o->low_freq_hz), mel_high = mel_scale(high_hz);
    double mel_delta = (mel_high - mel_low) / (o->num_mel_bins + 1);
    for (int bin = 0; bin < o->num_mel_bins; bin++) {
        double left = mel_low + bin * mel_delta;
        double center = left + mel_delta, right = center + mel_delta;
        if (o->vtln_warp > 0 && o->vtln_warp != 1.0f) {
            double edges[3] = {left, center, right};
            for (int k = 0; k < 3; k++)
                edges[k] = mel_scale(vtln_warp_hz(inverse_mel_scale(edges[k]), o->low_freq_hz,
                                                  high_hz, o->vtln_warp));
            left = edges[0], center = edges[1], right = edges[2];
        }
        float *weights = m->mel_weights + (size_t)bin * m->num_fft_bins;
        int first = -1, last = -1;
        for (int i = 0; i < m->num_fft_bins; i++) {
            double mel = mel_scale(fft_bin_width_hz * i);
            if (mel > left && mel < right) {
                weights[i] = (float)(mel <= center ? (mel - left) / (center - left)
                                                   : (right - mel) / (right - center));
                if (first < 0) first = i;
                last = i;
            }
        }
        if (first < 0) {
            snprintf(err, err_len, "mel filter %d is empty: too many mel bins (%d) for the band",
                     bin, o->num_mel_bins);
            return -1;
        }
        m->mel_first_bin[bin] = first;
        m->mel_num_bins[bin] = last - first + 1;
    }
    return 0;
}

mfcc_computer *mfcc_build(const mfcc_options *options, char *err, int err_len) {
    if (options->sample_rate_hz <= 0 || options->num_mel_bins <= 0 || options->num_ceps <= 0 ||
        options->num_ceps > options->num_mel_bins || options->frame_shift_ms <= 0 ||
        options->frame_length_ms <= 0 ||
        (options->vtln_warp != 0 && (options->vtln_warp < 0.5f || options->vtln_warp > 2.0f)) ||
        (options->speed != 0 && (options->speed < 0.5f || options->speed > 2.0f))) {
        snprintf(err, err_len, "invalid MFCC options");
        return NULL;
    }
    mfcc_computer *m = calloc(1, sizeof *m);
    if (!m) goto out_of_memory;
    m->options = *options;
    m->frame_length = (int)(options->sample_rate_hz * 0.001 * options->frame_length_ms);
    m->frame_shift = (int)(options->sample_rate_hz * 0.001 * options->frame_shift_ms);
    m->fft_size = 1;
    while (m->fft_size < m->frame_length) m->fft_size *= 2;
    m->num_fft_bins = m->fft_size / 2;
    int num_mel = options->num_mel_bins, num_ceps = options->num_ceps;

    m->window = malloc(sizeof(float) * m->frame_length);
    m->mel_weights = calloc((size_t)num_mel * m->num_fft_bins, sizeof(float));
    m->mel_first_bin = calloc(num_mel, sizeof(int));
    m->mel_num_bins = calloc(num_mel, sizeof(int));
    m->dct = malloc(sizeof(float) * num_ceps * num_mel);
    m->lifter = malloc(sizeof(float) * num_ceps);
    m->mel_energies = malloc(sizeof(float) * num_mel);
    m->fft_in = fftwf_alloc_real(m->fft_size);
    m->fft_out = fftwf_alloc_complex(m->fft_size / 2 + 1);
    if (!m->window || !m->mel_weights || !m->mel_first_bin || !m->mel_num_bins || !m->dct ||
        !m->lifter || !m->mel_energies || !m->fft_in || !m->fft_out)
        goto out_of_memory;

    for (int n = 0; n < m->frame_length; n++) {
        double hann = 0.5 - 0.5 * cos(2.0 * M_PI * n / (m->frame_length - 1));
        m->window[n] = (float)pow(hann, 0.85);
    }
    if (build_mel_filters(m, err, err_len) != 0) {
        mfcc_free(m);
        return NULL;
    }
    for (int k = 0; k < num_ceps; k++) {
        double scale = k == 0 ? sqrt(1.0 / num_mel) : sqrt(2.0 / num_mel);
        for (int n = 0; n < num_mel; n++)
            m->dct[k * num_mel + n] = (float)(scale * cos(M_PI / num_mel * (n + 0.5) * k));
        m->lifter[k] = options->cepstral_lifter != 0
            ? (float)(1.0 + 0.5 * options->cepstral_lifter * sin(M_PI * k / options->cepstral_lifter))
            : 1.0f;
    }
    /* Plans are made once per computer; FFTW_ESTIMATE keeps that cheap and
     * deterministic. */
    pthread_mutex_lock(&fftw_planner_lock);
    m->plan = fftwf_plan_dft_r2c_1d(m->fft_size, m->fft_in, m->fft_out, FFTW_ESTIMATE);
    pthread_mutex_unlock(&fftw_planner_lock);
    if (!m->plan) goto out_of_memory;
    return m;

out_of_memory:
    snprintf(err, err_len, "out of memory building the MFCC computer");
    mfcc_free(m);
    return NULL;
}

void mfcc_free(mfcc_computer *m) {
    if (!m) return;
    if (m->plan) {
        pthread_mutex_lock(&fftw_planner_lock);
        fftwf_destroy_plan(m->plan);
        pthread_mutex_unlock(&fftw_planner_lock);
    }
    fftwf_free(m->fft_in);
    fftwf_free(m->fft_out);
    free(m->window);
    free(m->mel_weights);
    free(m->mel_first_bin);
    free(m->mel_num_bins);
    free(m->dct);
    free(m->lifter);
    free(m->mel_energies);
    free(m);
}

int mfcc_frame_length(const mfcc_computer *m) { return m->frame_length; }
int mfcc_frame_shift(const mfcc_computer *m) { return m->frame_shift; }

/* Sum of x[0..n) with eight independent partial sums: the compiler keeps
 * them in one SIMD register instead of a chain of dependent scalar adds. */
static float sum_lanes(const float *x, int n) {
    float lanes[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) lanes[k] += x[i + k];
    float total = 0.0f;
    for (; i < n; i++) total += x[i];
    for (int k = 0; k < 8; k++) total += lanes[k];
    return total;
}

static float sum_squares_lanes(const float *x, int n) {
    float lanes[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) lanes[k] += x[i + k] * x[i + k];
    float total = 0.0f;
    for (; i < n; i++) total += x[i] * x[i];
    for (int k = 0; k < 8; k++) total += lanes[k];
    return total;
}

float mfcc_compute_frame(mfcc_computer *m, const float *samples, float *cepstra) {
    const mfcc_options *o = &m->options;
    const int length = m->frame_length;
    float *x = m->fft_in;

    float mean = sum_lanes(samples, length) / length;
    for (int n = 0; n < length; n++) x[n] = samples[n] - mean;
    float energy = sum_squares_lanes(x, length);
    float log_energy = logf(fmaxf(energy, FLT_EPSILON));

    /* Pre-emphasis runs backwards so each sample still sees its unmodified
     * predecessor; the first sample uses itself (Kaldi). */
    for (int n = length - 1; n > 0; n--) x[n] -= o->preemphasis * x[n - 1];
    x[0] -= o->preemphasis * x[0];
    for (int n = 0; n < length; n++) x[n] *= m->window[n];
    memset(x + length, 0, sizeof(float) * (m->fft_size - length));

    fftwf_execute(m->plan);

    /* Power spectrum, reusing fft_in (no longer needed) as its storage. */
    float *power = m->fft_in;
    for (int i = 0; i < m->num_fft_bins; i++) {
        float re = m->fft_out[i][0], im = m->fft_out[i][1];
        power[i] = re * re + im * im;
    }
    for (int bin = 0; bin < o->num_mel_bins; bin++) {
        const float *weights = m->mel_weights + (size_t)bin * m->num_fft_bins;
        int first = m->mel_first_bin[bin], end = first + m->mel_num_bins[bin];
        float e = 0.0f;
        for (int i = first; i < end; i++) e += weights[i] * power[i];
        m->mel_energies[bin] = logf(fmaxf(e, FLT_EPSILON));
    }
    for (int k = 0; k < o->num_ceps; k++) {
        const float *row = m->dct + k * o->num_mel_bins;
        double c = 0.0;
        for (int n = 0; n < o->num_mel_bins; n++) c += (double)row[n] * m->mel_energies[n];
        cepstra[k] = (float)(c * m->lifter[k]);
    }
    if (o->use_energy) cepstra[0] = log_energy;
    return log_energy;
}

const float *mfcc_last_log_mel(const mfcc_computer *m) { return m->mel_energies; }
