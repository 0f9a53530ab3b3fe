/* The training throughput benchmark (s2s train --bench): the step of
 * trainer_step.c on random frames, encoding, and OpenBLAS sgemm for scale. */
#include "trainer_internal.h"
#include "gemm.h"
#include "optim.h"
#include <cblas.h>
#undef I /* complex.h's imaginary unit, pulled in by cblas.h */
#include <stdlib.h>

double trainer_bench(const autoencoder_config *config, int B, int T, int num_threads,
                     int num_steps, double *encode_fps, double *gflops) {
    nn_blas_set_threads(1);
    char err[256];
    autoencoder *m = autoencoder_new(config, 1, err, sizeof err);
    trainer_data *d = calloc(1, sizeof *d);
    if (!m || !d || num_threads < 1 || num_threads > TRAINER_MAX_THREADS) {
        autoencoder_free(m);
        free(d);
        return -1;
    }
    int D = config->input_dim;
    d->dim = D;
    float *frames = malloc(sizeof(float) * T * D);
    uint64_t rng = 3;
    for (int k = 0; k < T * D; k++)
        frames[k] = (float)(2 * rand_unit(&rng) - 1);
    long *ids = malloc(sizeof(long) * B);
    for (int b = 0; b < B; b++) {
        trainer_add_segment(d, frames, 0, T, -1, 0);
        ids[b] = b;
    }
    trainer_worker workers[TRAINER_MAX_THREADS];
    int per = (B + num_threads - 1) / num_threads;
    for (int k = 0; k < num_threads; k++)
        trainer_worker_init(&workers[k], m, d, &(trainer_worker_sizes){.max_batch = per, .max_frames = T}, 0.0f,
                            NULL);
    AdamState adam = adam_default();
    NnParams *p = autoencoder_params(m);
    for (int s = 0; s < 2; s++) { /* warm-up */
        trainer_run_batch(m, workers, num_threads, d, ids, NULL, B, NULL, s, 1);
        adam_step(p, &adam);
    }
    double t0 = trainer_now_s();
    for (int s = 0; s < num_steps; s++) {
        trainer_run_batch(m, workers, num_threads, d, ids, NULL, B, NULL, s, 1);
        nn_clip_grad_norm(p, 5.0f);
        adam_step(p, &adam);
    }
    double dt = trainer_now_s() - t0;
    double fps = (double)num_steps * B * T / dt;
    if (gflops)
        *gflops = autoencoder_train_flops(config, B, T) * num_steps / dt * 1e-9;
    if (encode_fps) {
        encoder_state *s = encoder_state_new(m, B, T);
        float *in = malloc(sizeof(float) * T * B * D), *out = malloc(sizeof(float) * B * config->vector_dim);
        int *lengths = malloc(sizeof(int) * B);
        for (int k = 0; k < T * B * D; k++)
            in[k] = (float)(2 * rand_unit(&rng) - 1);
        for (int b = 0; b < B; b++)
            lengths[b] = T;
        autoencoder_encode_prefixes(m, s, in, lengths, T, B, &T, 1, out);
        double e0 = trainer_now_s();
        int reps = num_steps * 3;
        for (int r = 0; r < reps; r++)
            autoencoder_encode_prefixes(m, s, in, lengths, T, B, &T, 1, out);
        *encode_fps = (double)reps * B * T / (trainer_now_s() - e0);
        encoder_state_free(s);
        free(in), free(out), free(lengths);
    }
    for (int k = 0; k < num_threads; k++)
        trainer_worker_free(&workers[k]);
    free(frames), free(ids);
    trainer_data_free(d);
    autoencoder_free(m);
    return fps;
}

double trainer_sgemm_gflops(int n, int num_threads) {
    nn_blas_set_threads(num_threads);
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n),
          *c = malloc(sizeof(float) * n * n);
    uint64_t rng = 9;
    for (long k = 0; k < (long)n * n; k++)
        a[k] = (float)rand_unit(&rng), b[k] = (float)rand_unit(&rng);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
    int reps = 0;
    double t0 = trainer_now_s(), dt;
    do {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        reps++;
        dt = trainer_now_s() - t0;
    } while (dt < 1.0);
    free(a), free(b), free(c);
    nn_blas_set_threads(1);
    return 2.0 * n * n * (double)n * reps / dt * 1e-9;
}
