/* s2s embed: the autoencoder's unit vector of each audio file's speech (the
 * file trimmed to its first..last detected speech) or of each segment of a
 * segment file, as JSON lines, for users who want the vectors themselves. */
#include "autoencoder.h"
#include "cli.h"
#include "vad.h"

#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const help =
    "usage: s2s embed [OPTIONS] AUDIO...\n"
    "       s2s embed [OPTIONS] --segments FILE\n"
    "\n"
    "Prints one JSON line {\"file\", \"start\", \"end\", \"vector\"} (seconds; a unit vector)\n"
    "per AUDIO file, trimmed to its detected speech, or per segment of FILE\n"
    "(file<TAB>start<TAB>end in seconds, more columns ignored; paths relative to\n"
    "FILE's folder).\n"
    "\n"
    "options:\n"
    "  --model FILE       model to use (default: $S2S_MODEL or the shipped model)\n"
    "  --segments FILE    embed these segments instead of whole files\n"
    "  -q, --quiet        no notes on stderr\n"
    "  -h, --help         this help\n"
    "\n"
    "Exit status: 0 all done, 1 some inputs failed (each named on stderr), 2 bad usage.\n";

typedef struct {
    const autoencoder *m;
    encoder_state *state;
    float *vector;
} embedder;

static void print_vector(const char *path, double start_s, double end_s, const float *v, int V) {
    fputs("{\"file\": ", stdout);
    cli_json_string(stdout, path);
    printf(", \"start\": %.2f, \"end\": %.2f, \"vector\": [", start_s, end_s);
    for (int k = 0; k < V; k++)
        printf(k ? ", %.6g" : "%.6g", v[k]);
    fputs("]}\n", stdout);
}

/* Embeds frames [s, e) of a computed file; returns 0 or -1 after an error. */
static int embed_span(embedder *em, const char *path, const feature_matrix *fm, long s, long e) {
    const feature_options *fo = autoencoder_feature_options(em->m);
    double shift_s = 0.001 * fo->mfcc.frame_shift_ms;
    if (s < 0) s = 0;
    if (e > fm->num_frames) e = fm->num_frames;
    if (e - s < 1) {
        cli_error(path, "segment %.2f-%.2f s holds no frames", s * shift_s, e * shift_s);
        return -1;
    }
    if (autoencoder_encode(em->m, em->state, fm->data + s * fm->dim, (int)(e - s), em->vector) != 0) {
        cli_error(path, "segment too long to encode");
        return -1;
    }
    double end_s = (e - 1) * shift_s + 0.001 * fo->mfcc.frame_length_ms;
    if (end_s > fm->duration_s) end_s = fm->duration_s;
    print_vector(path, s * shift_s, end_s, em->vector, autoencoder_vector_dim(em->m));
    return 0;
}

static int compute(embedder *em, const char *path, feature_matrix *fm) {
    char err[CLI_ERR_LEN];
    if (features_compute(path, autoencoder_feature_options(em->m), autoencoder_feature_stats(em->m),
                         fm, err, sizeof err) != 0) {
        cli_error(path, "%s", err);
        return -1;
    }
    return 0;
}

static int embed_file(embedder *em, const char *path) {
    feature_matrix fm;
    if (compute(em, path, &fm) != 0) return -1;
    const mfcc_options *mo = &autoencoder_feature_options(em->m)->mfcc;
    vad_options vo = vad_defaults();
    int frame_length = (int)(mo->sample_rate_hz * 0.001f * mo->frame_length_ms);
    long n = vad_detect(fm.log_energy, fm.num_frames, frame_length, &vo, NULL, 0);
    vad_region *r = n > 0 ? malloc(n * sizeof *r) : NULL;
    int rc = -1;
    if (n > 0 && r) {
        vad_detect(fm.log_energy, fm.num_frames, frame_length, &vo, r, n);
        rc = embed_span(em, path, &fm, r[0].start_frame, r[n - 1].end_frame);
    } else {
        cli_error(path, "no speech detected");
    }
    free(r);
    features_free(&fm);
    return rc;
}

/* Embeds every segment of a segment file; returns the number that failed. */
static int embed_segments(embedder *em, const char *list_path) {
    FILE *f = fopen(list_path, "r");
    if (!f) {
        cli_error(list_path, "cannot open the segment file");
        return 1;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", list_path);
    char *slash = strrchr(dir, '/');
    if (slash) slash[1] = 0; else dir[0] = 0;
    char line[8192], current[8192] = "";
    feature_matrix fm = {0};
    int have = 0, failed = 0;
    long line_no = 0;
    while (fgets(line, sizeof line, f)) {
        line_no++;
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#') continue;
        char *file = strtok(line, "\t"), *a = strtok(NULL, "\t"), *b = strtok(NULL, "\t");
        char *ea, *eb;
        double start = a ? strtod(a, &ea) : 0, end = b ? strtod(b, &eb) : 0;
        if (!file || !a || !b || *ea || *eb || !(end > start) || start < 0) {
            cli_error(list_path, "line %ld: expected file<TAB>start<TAB>end (seconds)", line_no);
            failed++;
            continue;
        }
        char path[8192];
        snprintf(path, sizeof path, "%s%s", file[0] == '/' ? "" : dir, file);
        if (!have || strcmp(path, current)) {
            if (have) features_free(&fm);
            have = 0;
            snprintf(current, sizeof current, "%s", path);
            if (compute(em, path, &fm) != 0) { failed++; continue; }
            have = 1;
        }
        double shift_s = 0.001 * autoencoder_feature_options(em->m)->mfcc.frame_shift_ms;
        if (embed_span(em, path, &fm, lround(start / shift_s), lround(end / shift_s)) != 0) failed++;
    }
    if (have) features_free(&fm);
    fclose(f);
    return failed;
}

int cmd_embed(int argc, char **argv) {
    static const struct option options[] = {
        {"model", required_argument, 0, 'm'}, {"segments", required_argument, 0, 's'},
        {"quiet", no_argument, 0, 'q'},       {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *model_path = cli_default_model_path(), *segments = NULL;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", options, NULL)) != -1) {
        switch (c) {
        case 'm': model_path = optarg; break;
        case 's': segments = optarg; break;
        case 'q': cli_quiet = 1; break;
        case 'h': fputs(help, stdout); return EXIT_OK;
        default: return cli_usage_error("embed", "unknown option or missing value '%s'", argv[optind - 1]);
        }
    }
    if (segments && optind < argc) return cli_usage_error("embed", "give AUDIO files or --segments, not both");
    if (!segments && optind >= argc) return cli_usage_error("embed", "no audio file given");
    char err[CLI_ERR_LEN];
    autoencoder *m = autoencoder_load(model_path, err, sizeof err);
    if (!m) {
        cli_error(model_path, "%s", err);
        return EXIT_SOME_FAILED;
    }
    embedder em = {m, encoder_state_new(m, 1, INT_MAX / 2), malloc(sizeof(float) * autoencoder_vector_dim(m))};
    int failed = 0;
    if (!em.state || !em.vector) {
        cli_error(NULL, "out of memory");
        failed = 1;
    } else if (segments) {
        failed = embed_segments(&em, segments);
    } else {
        for (int i = optind; i < argc; i++) failed += embed_file(&em, argv[i]) != 0;
    }
    if (fflush(stdout) != 0) { cli_error("stdout", "cannot write"); failed++; }
    encoder_state_free(em.state);
    free(em.vector);
    autoencoder_free(m);
    return failed ? EXIT_SOME_FAILED : EXIT_OK;
}
