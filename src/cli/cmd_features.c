/* s2s features: the frontend's output for each file — the model's frames
 * (MFCC + deltas, normalised with the model's statistics), Kaldi's default
 * static MFCC (--raw), or the detected speech regions (--vad). */
#include "cli.h"
#include "feature_writer.h"
#include "feature_pipeline.h"
#include "model_file.h"
#include "vad.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const help =
    "usage: s2s features [OPTIONS] AUDIO...\n"
    "\n"
    "Prints the frames the model reads for each AUDIO file (any format libsndfile\n"
    "reads; mixed to mono and resampled to 16 kHz): 13 MFCC (Kaldi recipe, mel band\n"
    "300-3400 Hz, C0) + delta + delta-delta, with the mean of the speech in a 6 s\n"
    "window removed, normalised with the model's statistics.\n"
    "\n"
    "options:\n"
    "  --raw              Kaldi's default static MFCC at 16 kHz instead (23 mel bins,\n"
    "                     13 cepstra, log energy; as compute-mfcc-feats / torchaudio)\n"
    "  --no-norm          do not normalise: no sliding mean removal, no model\n"
    "                     statistics (default: normalise)\n"
    "  --vad              print speech regions as JSON lines {file, start, end} (s)\n"
    "  --format FMT       ark (Kaldi binary), ark-text (default) or npy\n"
    "  -o, --output PATH  write to PATH (default: stdout); with npy and several\n"
    "                     inputs, PATH is a folder that gets KEY.npy per input\n"
    "  --model FILE       model whose feature statistics to use\n"
    "                     (default: $S2S_MODEL or the shipped model)\n"
    "  -q, --quiet        no progress on stderr\n"
    "  -h, --help         this help\n"
    "\n"
    "The key of each matrix is the file name without extension, spaces as '_'.\n"
    "Exit status: 0 all files done, 1 some failed (each named on stderr), 2 bad usage.\n";

typedef struct {
    int raw, no_norm, vad;
    feature_format format;
    const char *output_path;
    const char *model_path;
} features_args;

static int parse_args(int argc, char **argv, features_args *args) {
    static const struct option options[] = {
        {"raw", no_argument, 0, 'r'},        {"no-norm", no_argument, 0, 'n'},
        {"vad", no_argument, 0, 'v'},        {"format", required_argument, 0, 'f'},
        {"output", required_argument, 0, 'o'}, {"model", required_argument, 0, 'm'},
        {"quiet", no_argument, 0, 'q'},      {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    memset(args, 0, sizeof *args);
    args->format = FORMAT_ARK_TEXT;
    args->model_path = cli_default_model_path();
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:qh", options, NULL)) != -1) {
        switch (c) {
        case 'r': args->raw = 1; break;
        case 'n': args->no_norm = 1; break;
        case 'v': args->vad = 1; break;
        case 'f':
            if (feature_format_parse(optarg, &args->format) != 0)
                return cli_usage_error("features", "unknown format '%s'", optarg);
            break;
        case 'o': args->output_path = optarg; break;
        case 'm': args->model_path = optarg; break;
        case 'q': cli_quiet = 1; break;
        case 'h': fputs(help, stdout); exit(EXIT_OK);
        default: return cli_usage_error("features", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc) return cli_usage_error("features", "no audio file given");
    return EXIT_OK;
}

static int is_directory(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Prints the speech regions of one file's frames as JSON lines. */
static void print_regions(FILE *out, const char *path, const feature_matrix *frames,
                          const mfcc_options *mfcc) {
    vad_options options = vad_defaults();
    int frame_length = (int)(mfcc->sample_rate_hz * 0.001f * mfcc->frame_length_ms);
    long num = vad_detect(frames->log_energy, frames->num_frames, frame_length, &options, NULL, 0);
    vad_region *regions = num > 0 ? malloc(sizeof *regions * num) : NULL;
    if (num > 0 && regions) vad_detect(frames->log_energy, frames->num_frames, frame_length,
                                       &options, regions, num);
    double shift_s = 0.001 * mfcc->frame_shift_ms, length_s = 0.001 * mfcc->frame_length_ms;
    for (long i = 0; regions && i < num; i++) {
        double end_s = (regions[i].end_frame - 1) * shift_s + length_s;
        if (end_s > frames->duration_s) end_s = frames->duration_s;
        fputs("{\"file\": ", out);
        cli_json_string(out, path);
        fprintf(out, ", \"start\": %.2f, \"end\": %.2f}\n", regions[i].start_frame * shift_s, end_s);
    }
    free(regions);
}

/* Computes and writes one file; returns 0, or -1 after naming the problem. */
static int process_file(const char *path, const features_args *args, const feature_options *options,
                        const feature_stats *stats, FILE *out, const char *npy_dir) {
    char err[CLI_ERR_LEN];
    feature_matrix frames;
    int rc = args->raw ? features_compute_static(path, &options->mfcc, &frames, err, sizeof err)
                       : features_compute(path, options, stats, &frames, err, sizeof err);
    if (rc != 0) {
        cli_error(path, "%s", err);
        return -1;
    }
    char key[1024];
    feature_key_from_path(path, key, sizeof key);
    if (args->vad) {
        print_regions(out, path, &frames, &options->mfcc);
    } else if (npy_dir) {
        char npy_path[4096];
        snprintf(npy_path, sizeof npy_path, "%s/%s.npy", npy_dir, key);
        FILE *f = fopen(npy_path, "wb");
        rc = f ? feature_write(f, args->format, key, frames.data, frames.num_frames, frames.dim) : -1;
        if (f && fclose(f) != 0) rc = -1;
        if (rc != 0) cli_error(npy_path, "cannot write: %s", strerror(errno));
    } else {
        rc = feature_write(out, args->format, key, frames.data, frames.num_frames, frames.dim);
        if (rc != 0) cli_error(args->output_path ? args->output_path : "stdout", "cannot write: %s",
                               strerror(errno));
    }
    if (rc == 0) cli_note("%s: %ld frames (%.2f s at %d Hz)\n", path, frames.num_frames,
                          frames.duration_s, frames.source_rate_hz);
    features_free(&frames);
    return rc;
}

int cmd_features(int argc, char **argv) {
    features_args args;
    int status = parse_args(argc, argv, &args);
    if (status != EXIT_OK) return status;
    int num_files = argc - optind;

    feature_options options = features_model_defaults();
    feature_stats stats;
    const feature_stats *use_stats = NULL;
    char err[CLI_ERR_LEN];
    if (args.raw) {
        options.mfcc = mfcc_kaldi_defaults();
        options.num_deltas = 0;
        options.cmn_window_frames = 0;
        options.noise_floor.over_subtraction = 0.0f;
    } else if (args.no_norm) {
        options.cmn_window_frames = 0;
    } else if (!args.no_norm && !args.vad) {
        if (model_file_load_features(args.model_path, &options, &stats, err, sizeof err) != 0) {
            cli_error(args.model_path, "%s (use --no-norm to skip normalisation)", err);
            return EXIT_SOME_FAILED;
        }
        use_stats = &stats;
    }

    const char *npy_dir = NULL;
    FILE *out = stdout;
    if (args.format == FORMAT_NPY && !args.vad && num_files > 1) {
        if (!args.output_path || !is_directory(args.output_path))
            return cli_usage_error("features", "npy with several files needs -o FOLDER");
        npy_dir = args.output_path;
    } else if (args.output_path) {
        out = fopen(args.output_path, args.vad ? "w" : "wb");
        if (!out) {
            cli_error(args.output_path, "cannot open for writing: %s", strerror(errno));
            return EXIT_SOME_FAILED;
        }
    }
    int num_failed = 0;
    for (int i = optind; i < argc; i++)
        if (process_file(argv[i], &args, &options, use_stats, out, npy_dir) != 0) num_failed++;
    if (out != stdout && fclose(out) != 0) {
        cli_error(args.output_path, "cannot write: %s", strerror(errno));
        num_failed++;
    } else if (out == stdout && fflush(stdout) != 0) {
        cli_error("stdout", "cannot write: %s", strerror(errno));
        num_failed++;
    }
    if (num_failed) cli_note("s2s features: %d of %d files failed\n", num_failed, num_files);
    return num_failed ? EXIT_SOME_FAILED : EXIT_OK;
}
