/* s2s model info FILE: a model file's architecture, sizes, identity (hash),
 * feature settings and training state, as one JSON object. */
#include "autoencoder.h"
#include "cli.h"

#include <string.h>
#include <sys/stat.h>

static const char *const help =
    "usage: s2s model info FILE\n"
    "\n"
    "Checks the model FILE (magic, version, checksum, every array) and prints one\n"
    "JSON object: hash, architecture, parameter count, file size, whether it has a\n"
    "CTC head and its own language model (FILE with .lm for its extension, which\n"
    "s2s transcribe and index use by default), feature settings, normalisation\n"
    "statistics, training state (epochs done) and whitening (s2s train --variant whiten).\n"
    "\n"
    "options:\n"
    "  -h, --help   this help\n"
    "\n"
    "Exit status: 0 valid model, 1 missing or damaged, 2 bad usage.\n";

static int model_info(const char *path) {
    char err[CLI_ERR_LEN];
    model_file *f = model_file_read(path, err, sizeof err);
    if (!f) {
        cli_error(path, "%s", err);
        return EXIT_SOME_FAILED;
    }
    autoencoder *m = autoencoder_from_file(f, err, sizeof err);
    if (!m) {
        cli_error(path, "%s", err);
        model_file_free(f);
        return EXIT_SOME_FAILED;
    }
    struct stat st;
    long long size = stat(path, &st) == 0 ? (long long)st.st_size : -1;
    const autoencoder_config *c = autoencoder_get_config(m);
    const NnParams *p = autoencoder_params_const(m);
    size_t weights = 0;
    for (int i = 0; i < p->num_tensors; i++) weights += p->tensors[i].num_elems;
    const feature_options *fo = autoencoder_feature_options(m);
    const feature_stats *fs = autoencoder_feature_stats(m);
    printf("{\"file\": ");
    cli_json_string(stdout, path);
    printf(", \"hash\": \"%s\", \"format_version\": %d, \"bytes\": %lld, \"kind\": \"seq2seq-autoencoder\",\n"
           " \"input_dim\": %d, \"hidden_size\": %d, \"num_layers\": %d, \"vector_dim\": %d,"
           " \"decoder_input\": \"%s\", \"encoder\": \"unidirectional LSTM\", \"num_weights\": %zu, \"num_arrays\": %d,\n"
           " \"ctc_head\": %s, \"ctc_classes\": %d,\n",
           autoencoder_hash(m), MODEL_FILE_VERSION, size, c->input_dim, c->hidden_size,
           c->num_layers, c->vector_dim, c->decoder_input == AE_DECODER_ZERO ? "zero" : "previous",
           weights, f->num_records, c->ctc_classes > 0 ? "true" : "false", c->ctc_classes);
    char lm_buf[4096];
    const char *lm_path = cli_model_lm_path(path, lm_buf, sizeof lm_buf);
    printf(" \"language_model\": "); /* the text transcription weighs spellings with by default */
    if (lm_path && c->ctc_classes > 0)
        cli_json_string(stdout, lm_path);
    else
        fputs("null", stdout);
    printf(",\n");
    printf(" \"features\": {\"sample_rate_hz\": %d, \"frame_length_ms\": %g, \"frame_shift_ms\": %g,"
           " \"preemphasis\": %g, \"num_mel_bins\": %d, \"low_freq_hz\": %g, \"high_freq_hz\": %g,"
           " \"num_ceps\": %d, \"cepstral_lifter\": %g, \"use_energy\": %d, \"num_deltas\": %d,"
           " \"delta_window\": %d, \"cmn_window_frames\": %d},\n",
           fo->mfcc.sample_rate_hz, fo->mfcc.frame_length_ms, fo->mfcc.frame_shift_ms,
           fo->mfcc.preemphasis, fo->mfcc.num_mel_bins, fo->mfcc.low_freq_hz, fo->mfcc.high_freq_hz,
           fo->mfcc.num_ceps, fo->mfcc.cepstral_lifter, fo->mfcc.use_energy, fo->num_deltas,
           fo->delta_window, fo->cmn_window_frames);
    printf(" \"stats\": {\"dim\": %d, \"mean\": [", fs->dim);
    for (int d = 0; d < fs->dim; d++) printf(d ? ", %.5g" : "%.5g", fs->mean[d]);
    printf("], \"stddev\": [");
    for (int d = 0; d < fs->dim; d++) printf(d ? ", %.5g" : "%.5g", fs->stddev[d]);
    printf("]}");
    static const char *const train_keys[] = {"train.epoch", "train.step", "train.adam_steps", "train.variant"};
    printf(",\n \"training\": {");
    int first = 1;
    for (int i = 0; i < 4; i++) {
        float v;
        if (model_file_scalar(f, train_keys[i], &v, err, sizeof err) == 0) {
            printf("%s\"%s\": %g", first ? "" : ", ", train_keys[i] + 6, v);
            first = 0;
        }
    }
    printf("%s\"optimiser_state\": %s}", first ? "" : ", ",
           model_file_find(f, "train.adam_m") ? "true" : "false");
    float cap; /* s2s train --variant whiten */
    long windows;
    if (autoencoder_whitening(m, NULL, &cap, &windows))
        printf(",\n \"whitening\": {\"cap\": %g, \"windows\": %ld}", cap, windows);
    printf("}\n");
    autoencoder_free(m);
    model_file_free(f);
    return EXIT_OK;
}

int cmd_model(int argc, char **argv) {
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(help, stdout);
        return EXIT_OK;
    }
    if (argc < 2) return cli_usage_error("model", "missing subcommand (info)");
    if (strcmp(argv[1], "info")) return cli_usage_error("model", "unknown subcommand '%s' (info)", argv[1]);
    if (argc == 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
        fputs(help, stdout);
        return EXIT_OK;
    }
    if (argc != 3) return cli_usage_error("model", "info wants exactly one FILE");
    return model_info(argv[2]);
}
