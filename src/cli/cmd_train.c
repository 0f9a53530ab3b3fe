/* s2s train: trains the autoencoder on audio files (segments cut from their
 * speech) or on the word spans of a word-time file, writing a model file;
 * Ctrl-C writes a checkpoint, a rerun resumes.  --bench (not in --help's
 * main list) measures training and encoding throughput on random data.
 * With --db, the audio is that of the index's recordings (re-read from their
 * files, which must be unchanged since indexing), training continues from
 * the index's model, and without labels: on the words the model's CTC head
 * heard in two or more recordings (trainer_heard.h), or for a model without
 * a head on pairs it mines (trainer_mined.h); --reindex (or `s2s retrain`)
 * then re-embeds the index with the result. */
#include "cli.h"
#include "cmd_reindex.h"
#include "gemm.h"
#include "index_training.h"
#include "path_list.h"
#include "trainer.h"
#include "trainer_heard.h"
#include "trainer_mined.h"
#include "trainer_whiten.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Defaults of the mined variant, chosen on the development sets (the eval
 * sets made with another seed; README, Retraining): a gentler step than the
 * first training's keeps what the model knew while it moves towards the new
 * audio, and the stronger the model, the gentler the step that pays.  Plain
 * numbers, so that --help spells them from here. */
#define TRAIN_MINED_EPOCHS 5
#define TRAIN_MINED_LR 0.0001
/* Of the heard variant, chosen on the same development sets: with words
 * that are almost all right and mostly by two voices, the whole network
 * gains from longer training at the same gentle rate; the head learns the
 * words it heard at the weight the shipped model's last phases gave CTC
 * (at 1 it is taught its own spellings as firmly as the vectors their
 * pairs, and English gained less). */
#define TRAIN_HEARD_EPOCHS 10
#define TRAIN_HEARD_LR 0.0001
#define TRAIN_HEARD_CTC_WEIGHT 0.1
/* The contrastive term, chosen on three draws of each kind of audio: it
 * raised MAP on all three kinds on an hour of each and on the 20-minute
 * evaluation sets, where without it German lost; on the 20-minute
 * development sets, where the head hears the fewest German words, German
 * lost with it (README, Retraining). */
#define TRAIN_HEARD_CONTRAST 1
#define SPELL(x) #x
#define SPELL_VALUE(x) SPELL(x)

static const char *const help =
    "usage: s2s train [OPTIONS] AUDIO...\n"
    "       s2s train [OPTIONS] --list FILE\n"
    "       s2s train [OPTIONS] --words FILE\n"
    "       s2s train [OPTIONS] --db FILE [--reindex] [AUDIO...]   (s2s retrain: --reindex)\n"
    "\n"
    "Trains the sequence-to-sequence autoencoder whose vectors index and query use.\n"
    "Training segments are the word spans of --words (file<TAB>start<TAB>end<TAB>word,\n"
    "seconds, paths relative to the word file's folder) or, without it, windows of\n"
    "20-100 frames cut from the detected speech of each AUDIO file.\n"
    "With --transcripts the model gets (or keeps) a CTC head, trained on whole\n"
    "transcribed utterances and on the words of --words, beside reconstruction.\n"
    "\n"
    "options:\n"
    "  --db FILE            train on the audio of the index's recordings (plus any\n"
    "                       AUDIO), from the index's model unless --init is given;\n"
    "                       files moved or changed since indexing are named and skipped\n"
    "  --reindex            with --db: afterwards re-embed the index with the new\n"
    "                       model (s2s reindex --db FILE --model OUT)\n"
    "  --words FILE         word-time file giving the training segments\n"
    "  --list FILE          read AUDIO paths from FILE, one a line\n"
    "  --transcripts FILE   train a CTC head (s2s transcribe, query --text): lines\n"
    "                       file<TAB>text (the file's speech) or a word-time file\n"
    "                       (each file's words joined); paths relative to FILE\n"
    "  --ctc-weight X       weight of the CTC loss beside reconstruction (default 1;\n"
    "                       heard: " SPELL_VALUE(TRAIN_HEARD_CTC_WEIGHT) ")\n"
    "  --ctc-hidden N       a new head reads the encoder through a backward LSTM of\n"
    "                       N units (right context); 0: a linear head (default)\n"
    "  --vtlp W[,W...]      also train on a copy of every file per warp factor W\n"
    "                       (0.8-1.25), its mel filters warped as by a shorter (W > 1)\n"
    "                       or longer vocal tract: more voices from the same audio\n"
    "                       (vocal tract length perturbation; e.g. 0.9,1.1)\n"
    "  --speed S[,S...]     also train on a copy of every file per speed S (0.8-1.25),\n"
    "                       its audio played S times faster: tempo, pitch and formants\n"
    "                       together (speed perturbation; e.g. 0.9,1.1)\n"
    "  --time-mask X        set about X (0-0.5) of every training input's frames to\n"
    "                       the mean, in spans of 10-100 ms, so that a word must be\n"
    "                       rebuilt and spelt from what is left (SpecAugment's time\n"
    "                       masks; targets stay whole; e.g. 0.1; default 0)\n"
    "  --head-only          train only the CTC head (on --transcripts and the words\n"
    "                       of --words): the encoder, and so every vector, stays\n"
    "                       exactly as it was (index and queries need no reindex)\n"
    "  --projection-only    train only the projection from the encoder's final state\n"
    "                       to the vector (a linear map of the vector space): the\n"
    "                       encoder, the decoder and the CTC head stay as they were\n"
    "                       (the default of --variant mined)\n"
    "  --whole-model        mined: train the encoder and decoder too, not only the\n"
    "                       projection (with the shipped model this lowered MAP on\n"
    "                       English and telephone audio; README, Retraining)\n"
    "  --variant NAME       plain (rebuild the input, default without --db), denoise\n"
    "                       (rebuild it from a copy with 20% of values zeroed),\n"
    "                       correspond (rebuild another instance of the same word by\n"
    "                       another speaker; needs --words; speaker = file name after\n"
    "                       its first '_'), heard (default with --db when the model\n"
    "                       has a CTC head: correspond on the words of 5 letters or\n"
    "                       more that its head hears in two or more recordings (with\n"
    "                       --db, one of them the index's), each occurrence as heard\n"
    "                       and in the index's shortest window around it, each\n"
    "                       recording a speaker; transcripts are the index's, the\n"
    "                       other audio is transcribed first; defaults --epochs "
    SPELL_VALUE(TRAIN_HEARD_EPOCHS) "\n"
    "                       --lr " SPELL_VALUE(TRAIN_HEARD_LR) " --ctc-weight " SPELL_VALUE(TRAIN_HEARD_CTC_WEIGHT) "\n"
    "                       --contrast " SPELL_VALUE(TRAIN_HEARD_CONTRAST) "), mined (default with --db\n"
    "                       when the model has no head: correspond on pairs of\n"
    "                       windows that the model finds to be the same word said\n"
    "                       twice, mutual nearest neighbours in different\n"
    "                       recordings; defaults --epochs " SPELL_VALUE(TRAIN_MINED_EPOCHS) " --lr " SPELL_VALUE(TRAIN_MINED_LR) "\n"
    "                       --projection-only) or whiten\n"
    "                       (no gradient step: the vector space of --init's model is\n"
    "                       evened out on the windows of the audio, directions\n"
    "                       holding more than --whiten-cap times the mean variance\n"
    "                       scaled down to it; the encoder and transcripts stay)\n"
    "  --contrast X         correspond, heard, mined: add X times a contrastive loss:\n"
    "                       each window's vector must be closer to its partner's than\n"
    "                       to the batch's other partners (InfoNCE; default 0: none,\n"
    "                       heard " SPELL_VALUE(TRAIN_HEARD_CONTRAST) ")\n"
    "  --contrast-temperature T\n"
    "                       the contrastive loss's temperature (default 0.1)\n"
    "  --whiten-cap X       whiten: the cap, at least 1 (default "
    SPELL_VALUE(WHITEN_DEFAULT_CAP) ")\n"
    "  --words-out FILE     heard: write the words trained on there, a word-time file\n"
    "                       (what --words reads)\n"
    "  --mine-cosine X      mined: pairs below this cosine are dropped (default 0.8)\n"
    "  --mine-pairs N       mined: keep the best N pairs (default: 15 per minute of\n"
    "                       audio)\n"
    "  --mine-same-file     mined: also pair non-overlapping windows of one recording\n"
    "  --mine-out FILE      mined: write the pairs there (file, start, end, file,\n"
    "                       start, end, cosine; TSV)\n"
    "  --mine-windows W     mined: pauses (default: windows that start where speech\n"
    "                       resumes after a pause, as a word does) or all (every\n"
    "                       window the index holds)\n"
    "  --hidden N           LSTM hidden size (default 256)\n"
    "  --layers N           LSTM layers in encoder and decoder (default 1)\n"
    "  --vector-dim N       size of the segment vector (default 128)\n"
    "  --decoder-input M    what the decoder reads: zero (nothing: all it rebuilds\n"
    "                       must come from the vector; default) or previous (the\n"
    "                       previous target frame, teacher forcing)\n"
    "  --epochs N           passes over the data (default 10)\n"
    "  --batch N            segments per step (default 64)\n"
    "  --lr X               Adam learning rate (default 0.001)\n"
    "  --clip X             gradient norm bound, 0 for none (default 5)\n"
    "  --threads N          worker threads (default 1)\n"
    "  --seed N             random seed (default 1): same seed and threads, same model\n"
    "  --validation X       fraction of segments held out (default 0.05)\n"
    "  --min-window N       shortest window cut from speech, frames (default 20)\n"
    "  --max-window N       longest window, frames (default 100)\n"
    "  --init MODEL         start from this model (its weights and statistics; its\n"
    "                       language model, MODEL.lm, is copied beside --out's)\n"
    "  -o, --out MODEL      model to write (default s2s.model); checkpointed each\n"
    "                       epoch; if it holds an unfinished run, that run resumes\n"
    "  --progress N         report every N steps (default 20)\n"
    "  --precision P        matrix products in fp32, bf16 (mixed precision: bf16\n"
    "                       operands, fp32 sums, weights and Adam; needs a CPU\n"
    "                       with AVX512-BF16) or auto (default: bf16 when the\n"
    "                       CPU has it; also set by S2S_PRECISION)\n"
    "  --bench              measure training and encoding frames/s on random data\n"
    "                       (with --threads, --hidden, --batch, --bench-frames N\n"
    "                       (default 60), --bench-steps N (default 20)); JSON line\n"
    "  -q, --quiet          no progress on stderr\n"
    "  -h, --help           this help\n"
    "\n"
    "Ctrl-C writes a checkpoint to the --out model and stops; rerun the same command\n"
    "to resume. Exit status: 0 trained (or stopped and checkpointed), 1 failure, 2 bad usage.\n";

static void on_sigint(int sig) {
    (void)sig;
    trainer_request_stop();
    signal(SIGINT, SIG_DFL); /* a second Ctrl-C ends at once */
}

static void on_progress(void *ctx, const trainer_progress *p) {
    (void)ctx;
    char val[32];
    if (isnan(p->validation_loss))
        snprintf(val, sizeof val, "-");
    else
        snprintf(val, sizeof val, "%.4f", p->validation_loss);
    long left = (long)p->remaining_s;
    cli_note("epoch %d/%d step %ld/%ld loss %.4f val %s | %.0f frames/s | %ldm%02lds left%s\n",
             p->epoch, p->num_epochs, p->step, p->steps_per_epoch, p->loss, val, p->frames_per_s,
             left / 60, left % 60, p->end_of_epoch ? " (checkpoint)" : "");
}

static void on_file_failed(void *ctx, const char *path, const char *message) {
    (*(int *)ctx)++;
    cli_error(path, "%s", message);
}

static void on_note(void *ctx, const char *message) {
    (void)ctx;
    cli_note("%s\n", message);
}

/* `s2s train --db`: the index's unchanged recordings (with the transcripts
 * stored for them), then the num_audio AUDIO paths given, into t; the
 * recordings left out are added to *num_failed.  Sets o->init_path to the
 * index's active model unless --init named one, and refuses an --out that
 * is that model.  Returns 0, or -1 after reporting (t then empty). */
static int db_training_files(const char *db_path, const char *const *audio, int num_audio,
                             trainer_options *o, index_training *t, int *num_failed) {
    if (index_training_load(db_path, audio, num_audio, t) != 0)
        return -1;
    *num_failed += t->num_skipped;
    if (!o->init_path) o->init_path = t->active_model;
    char init_real[4096], out_real[4096];
    if (realpath(o->init_path, init_real) && realpath(o->out_path, out_real) &&
        !strcmp(init_real, out_real)) {
        cli_error(o->out_path, "is the model the index uses; write the new model elsewhere (--out)");
        goto fail;
    }
    char named[48] = "";
    if (num_audio) snprintf(named, sizeof named, " and %d files named", num_audio);
    cli_note("training on %d recordings of %s%s%s, from %s\n", t->num_recordings, db_path,
             t->num_skipped ? " (the rest were moved or changed)" : "", named, o->init_path);
    if (t->files.num == 0) {
        cli_error(db_path, "no recording of the index is readable: nothing to train on");
        goto fail;
    }
    return 0;
fail:
    if (o->init_path == t->active_model) o->init_path = NULL;
    index_training_free(t);
    return -1;
}

/* Whether the model at path has a CTC head (0 also when it cannot be read:
 * loading it for training then says why). */
static int model_has_ctc_head(const char *path) {
    char err[CLI_ERR_LEN];
    autoencoder *m = autoencoder_load(path, err, sizeof err);
    int has = m && autoencoder_ctc_classes(m) > 0;
    autoencoder_free(m);
    return has;
}

/* The heard variant's data: the words o->init_path's head hears in two or
 * more of the files, one of them among the first num_indexed when that is
 * not 0 (written to words_out unless NULL).  transcripts (NULL, or one per
 * file) holds what the index stored; the files without one are transcribed
 * now, decoded as `s2s index` decodes by default (with the model's language
 * model). */
static trainer_data *load_heard(const trainer_options *o, const char *const *files,
                                char *const *transcripts, int num_files, int num_indexed,
                                const char *words_out,
                                const trainer_callbacks *cb, char *err, int err_len) {
    int missing = 0;
    for (int i = 0; i < num_files; i++)
        missing += !transcripts || !transcripts[i];
    transcribe_options decode = {0};
    cli_decode_request req = {.model_path = o->init_path};
    if (missing && cli_decode_options(&req, &decode) != 0) {
        snprintf(err, err_len, "cannot transcribe the recordings without a stored transcript");
        return NULL;
    }
    repeated_word_options words = repeated_word_defaults();
    words.num_searched = num_indexed;
    int num_words;
    long num_heard;
    trainer_data *data = trainer_data_load_heard(o, o->init_path, files,
                                                 (const char *const *)transcripts, num_files,
                                                 &decode, &words, words_out, cb, &num_words,
                                                 &num_heard, err, err_len);
    if (missing) cli_decode_free(&decode);
    return data;
}

/* `s2s train --bench`: times training and encoding steps of o's model size
 * on random data and prints the figures as one JSON line. */
static int run_bench(const trainer_options *o, long frames, long steps) {
    double enc_fps = 0, gflops = 0;
    double fps = trainer_bench(&o->config, o->batch_size, (int)frames, o->num_threads, (int)steps,
                               &enc_fps, &gflops);
    if (fps < 0) {
        cli_error(NULL, "benchmark failed");
        return EXIT_SOME_FAILED;
    }
    double peak = trainer_sgemm_gflops(1024, o->num_threads);
    nn_precision p = nn_gemm_precision();
    double bf16_peak = p == NN_PRECISION_BF16 ? nn_gemm_bf16_gflops(1024, o->num_threads) : -1;
    printf("{\"threads\": %d, \"hidden\": %d, \"batch\": %d, \"frames\": %ld, "
           "\"precision\": \"%s\", "
           "\"train_frames_per_s\": %.0f, \"encode_frames_per_s\": %.0f, "
           "\"train_gflops\": %.2f, \"sgemm_peak_gflops\": %.2f",
           o->num_threads, o->config.hidden_size, o->batch_size, frames,
           nn_precision_name(p), fps, enc_fps, gflops, peak);
    if (bf16_peak > 0)
        printf(", \"bf16_peak_gflops\": %.2f", bf16_peak);
    printf("}\n");
    return EXIT_OK;
}

/* `train --reindex`: re-embeds db_path's recordings with the model just
 * written; the exit status, status (the training's) unless reindexing
 * failed. */
static int reindex_with_new_model(const char *db_path, const char *model_path, int status) {
    segmenter_options segmenter = segmenter_defaults();
    int reindexed = reindex_run(db_path, model_path, (int)sysconf(_SC_NPROCESSORS_ONLN), &segmenter);
    return reindexed != EXIT_OK ? reindexed : status;
}

/* `train --variant whiten`: fits the whitening of o->init_path's model on the
 * files and writes o->out_path, reporting what it did.  0, or -1 after
 * reporting the error. */
static int run_whiten(const trainer_options *o, const char *const *files, int num_files,
                      double cap, const trainer_callbacks *cb) {
    segmenter_options windows = segmenter_defaults(); /* the index's windows */
    whitening_report report;
    long num_windows;
    char err[CLI_ERR_LEN];
    if (trainer_whiten(o->init_path, files, num_files, &windows, cap, o->num_threads, o->out_path,
                       cb, &report, &num_windows, err, sizeof err) != 0) {
        cli_error(NULL, "%s", err);
        return -1;
    }
    cli_note("%d directions scaled down (the largest held %.1f%% of the variance of %ld "
             "windows, now %.1f%%)\nwrote %s\n", report.directions_scaled,
             100 * report.top_share_before, num_windows, 100 * report.top_share_after,
             o->out_path);
    return 0;
}

/* Set by `s2s retrain`: train --reindex. */
static int reindex_after;

int cmd_retrain(int argc, char **argv) {
    reindex_after = 1;
    return cmd_train(argc, argv);
}

/* Parses a comma-separated list of perturbation factors in [0.8, 1.25]
 * (--vtlp's warps, --speed's speeds) into factors; their count, or -1 after
 * a usage error.  1 is refused: it would only duplicate the data. */
static int parse_factors(const char *option, const char *arg, float *factors) {
    int num = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", arg);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        double w;
        if (cli_parse_float("train", option, tok, 0.8, 1.25, &w) != 0)
            return -1;
        if (w == 1.0 || num == TRAINER_MAX_WARPS) {
            cli_usage_error("train", "%s wants up to %d factors other than 1, not '%s'", option,
                            TRAINER_MAX_WARPS, arg);
            return -1;
        }
        factors[num++] = (float)w;
    }
    if (num == 0) {
        cli_usage_error("train", "%s wants factors, e.g. 0.9,1.1", option);
        return -1;
    }
    return num;
}

int cmd_train(int argc, char **argv) {
    enum {
        O_WORDS = 256, O_LIST, O_VARIANT, O_HIDDEN, O_LAYERS, O_VDIM, O_EPOCHS, O_BATCH, O_LR,
        O_CLIP, O_THREADS, O_SEED, O_VAL, O_MINW, O_MAXW, O_INIT, O_PROGRESS, O_BENCH,
        O_BENCH_FRAMES, O_BENCH_STEPS, O_DECODER_INPUT, O_DB, O_REINDEX, O_TRANSCRIPTS,
        O_CTC_WEIGHT, O_CTC_HIDDEN, O_HEAD_ONLY, O_PROJECTION_ONLY, O_MINE_COS, O_MINE_PAIRS, O_MINE_SAME, O_MINE_OUT,
        O_MINE_WINDOWS, O_PRECISION, O_VTLP, O_SPEED, O_TIME_MASK, O_WHITEN_CAP,
        O_CONTRAST, O_CONTRAST_T, O_WHOLE_MODEL, O_WORDS_OUT,
    };
    static const struct option options[] = {
        {"words", required_argument, 0, O_WORDS},     {"list", required_argument, 0, O_LIST},
        {"variant", required_argument, 0, O_VARIANT}, {"hidden", required_argument, 0, O_HIDDEN},
        {"layers", required_argument, 0, O_LAYERS},   {"vector-dim", required_argument, 0, O_VDIM},
        {"epochs", required_argument, 0, O_EPOCHS},   {"batch", required_argument, 0, O_BATCH},
        {"lr", required_argument, 0, O_LR},           {"clip", required_argument, 0, O_CLIP},
        {"threads", required_argument, 0, O_THREADS}, {"seed", required_argument, 0, O_SEED},
        {"validation", required_argument, 0, O_VAL},  {"min-window", required_argument, 0, O_MINW},
        {"max-window", required_argument, 0, O_MAXW}, {"init", required_argument, 0, O_INIT},
        {"out", required_argument, 0, 'o'},           {"progress", required_argument, 0, O_PROGRESS},
        {"bench", no_argument, 0, O_BENCH},           {"bench-frames", required_argument, 0, O_BENCH_FRAMES},
        {"bench-steps", required_argument, 0, O_BENCH_STEPS},
        {"decoder-input", required_argument, 0, O_DECODER_INPUT},
        {"db", required_argument, 0, O_DB},           {"reindex", no_argument, 0, O_REINDEX},
        {"transcripts", required_argument, 0, O_TRANSCRIPTS},
        {"ctc-weight", required_argument, 0, O_CTC_WEIGHT},
        {"ctc-hidden", required_argument, 0, O_CTC_HIDDEN},
        {"head-only", no_argument, 0, O_HEAD_ONLY},
        {"projection-only", no_argument, 0, O_PROJECTION_ONLY},
        {"mine-cosine", required_argument, 0, O_MINE_COS},
        {"mine-pairs", required_argument, 0, O_MINE_PAIRS},
        {"mine-same-file", no_argument, 0, O_MINE_SAME},
        {"mine-out", required_argument, 0, O_MINE_OUT},
        {"words-out", required_argument, 0, O_WORDS_OUT},
        {"mine-windows", required_argument, 0, O_MINE_WINDOWS},
        {"precision", required_argument, 0, O_PRECISION},
        {"vtlp", required_argument, 0, O_VTLP},
        {"speed", required_argument, 0, O_SPEED},
        {"time-mask", required_argument, 0, O_TIME_MASK},
        {"whiten-cap", required_argument, 0, O_WHITEN_CAP},
        {"contrast", required_argument, 0, O_CONTRAST},
        {"whole-model", no_argument, 0, O_WHOLE_MODEL},
        {"contrast-temperature", required_argument, 0, O_CONTRAST_T},
        {"quiet", no_argument, 0, 'q'},               {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    trainer_options o = trainer_defaults();
    const char *words = NULL, *list = NULL, *db_path = NULL, *mine_out = NULL, *words_out = NULL;
    const char *command = reindex_after ? "retrain" : "train";
    int reindex = reindex_after;
    int bench = 0;
    int mined = -1; /* -1: not chosen (heard or mined with --db, else plain) */
    int heard = 0;
    int whiten = 0, whiten_cap_given = 0;
    double whiten_cap = WHITEN_DEFAULT_CAP;
    int epochs_given = 0, lr_given = 0, ctc_weight_given = 0, contrast_given = 0;
    int whole_model = 0;
    int mine_all_windows = 0;
    int mine_given = 0; /* a --mine-* option: they are for the mined variant only */
    mined_options mine = mined_defaults();
    long bench_frames = 60, bench_steps = 20, v;
    double x;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", options, NULL)) != -1) {
        switch (c) {
        case O_WORDS: words = optarg; break;
        case O_LIST: list = optarg; break;
        case O_VARIANT:
            mined = !strcmp(optarg, "mined");
            heard = !strcmp(optarg, "heard");
            whiten = !strcmp(optarg, "whiten");
            if (mined || heard)
                o.variant = TRAINER_CORRESPOND;
            else if (!whiten && trainer_variant_parse(optarg, &o.variant) != 0)
                return cli_usage_error("train", "unknown variant '%s' (plain, denoise, correspond, heard, mined, whiten)", optarg);
            break;
        case O_WHITEN_CAP:
            if (cli_parse_float("train", "--whiten-cap", optarg, 1, 1e6, &whiten_cap) != 0) return EXIT_USAGE;
            whiten_cap_given = 1;
            break;
        case O_MINE_COS:
            if (cli_parse_float("train", "--mine-cosine", optarg, -1, 1, &x) != 0) return EXIT_USAGE;
            mine.pairs.min_cosine = (float)x, mine_given = 1;
            break;
        case O_MINE_PAIRS:
            if (cli_parse_int("train", "--mine-pairs", optarg, 1, 1000000000L, &v) != 0) return EXIT_USAGE;
            mine.pairs.max_pairs = v, mine_given = 1;
            break;
        case O_VTLP:
            if ((o.num_vtlp_warps = parse_factors("--vtlp", optarg, o.vtlp_warps)) < 0)
                return EXIT_USAGE;
            break;
        case O_SPEED:
            if ((o.num_speeds = parse_factors("--speed", optarg, o.speeds)) < 0)
                return EXIT_USAGE;
            break;
        case O_MINE_SAME: mine.pairs.same_group = 1, mine_given = 1; break;
        case O_MINE_OUT: mine_out = optarg, mine_given = 1; break;
        case O_WORDS_OUT: words_out = optarg; break;
        case O_MINE_WINDOWS:
            mine_given = 1;
            if (!strcmp(optarg, "pauses")) mine_all_windows = 0;
            else if (!strcmp(optarg, "all")) mine_all_windows = 1;
            else return cli_usage_error("train", "--mine-windows wants pauses or all, not '%s'", optarg);
            break;
#define INT_OPT(code, name, lo, hi, field)                                                        \
    case code:                                                                                    \
        if (cli_parse_int("train", name, optarg, lo, hi, &v) != 0) return EXIT_USAGE;             \
        field = (int)v;                                                                           \
        break;
#define FLOAT_OPT(code, name, lo, hi, field)                                                      \
    case code:                                                                                    \
        if (cli_parse_float("train", name, optarg, lo, hi, &x) != 0) return EXIT_USAGE;           \
        field = (float)x;                                                                         \
        break;
/* the same, also noting that the value was given (a variant's default yields to it) */
#define INT_OPT_GIVEN(code, name, lo, hi, field, given)                                           \
    case code:                                                                                    \
        if (cli_parse_int("train", name, optarg, lo, hi, &v) != 0) return EXIT_USAGE;             \
        field = (int)v, given = 1;                                                                \
        break;
#define FLOAT_OPT_GIVEN(code, name, lo, hi, field, given)                                         \
    case code:                                                                                    \
        if (cli_parse_float("train", name, optarg, lo, hi, &x) != 0) return EXIT_USAGE;           \
        field = (float)x, given = 1;                                                              \
        break;
        INT_OPT(O_HIDDEN, "--hidden", 1, 4096, o.config.hidden_size)
        INT_OPT(O_LAYERS, "--layers", 1, AE_MAX_LAYERS, o.config.num_layers)
        INT_OPT(O_VDIM, "--vector-dim", 1, 4096, o.config.vector_dim)
        INT_OPT_GIVEN(O_EPOCHS, "--epochs", 1, 100000, o.epochs, epochs_given)
        INT_OPT(O_BATCH, "--batch", 1, 4096, o.batch_size)
        INT_OPT(O_THREADS, "--threads", 1, 64, o.num_threads)
        INT_OPT(O_MINW, "--min-window", 2, 1000, o.min_window_frames)
        INT_OPT(O_MAXW, "--max-window", 2, 1000, o.max_window_frames)
        INT_OPT(O_PROGRESS, "--progress", 0, 1000000, o.progress_every)
        INT_OPT(O_CTC_HIDDEN, "--ctc-hidden", 0, 4096, o.config.ctc_hidden)
        case O_SEED:
            if (cli_parse_int("train", "--seed", optarg, 0, 2147483647L, &v) != 0) return EXIT_USAGE;
            o.seed = (uint64_t)v;
            break;
        FLOAT_OPT_GIVEN(O_LR, "--lr", 1e-8, 10, o.learning_rate, lr_given)
        FLOAT_OPT(O_CLIP, "--clip", 0, 1e6, o.clip_norm)
        FLOAT_OPT(O_VAL, "--validation", 0, 0.5, o.validation_fraction)
        case O_DECODER_INPUT:
            if (!strcmp(optarg, "previous")) o.config.decoder_input = AE_DECODER_PREVIOUS;
            else if (!strcmp(optarg, "zero")) o.config.decoder_input = AE_DECODER_ZERO;
            else return cli_usage_error("train", "--decoder-input wants previous or zero, not '%s'", optarg);
            break;
        case O_INIT: o.init_path = optarg; break;
        case O_DB: db_path = optarg; break;
        case O_TRANSCRIPTS: o.transcripts_path = optarg; break;
        case O_HEAD_ONLY: o.head_only = 1; break;
        case O_PROJECTION_ONLY: o.projection_only = 1; break;
        case O_WHOLE_MODEL: whole_model = 1; break;
        FLOAT_OPT_GIVEN(O_CTC_WEIGHT, "--ctc-weight", 0.0, 1000.0, o.ctc_weight, ctc_weight_given)
        FLOAT_OPT(O_TIME_MASK, "--time-mask", 0.0, 0.5, o.time_mask)
        FLOAT_OPT_GIVEN(O_CONTRAST, "--contrast", 0.0, 1000.0, o.contrast_weight, contrast_given)
        FLOAT_OPT(O_CONTRAST_T, "--contrast-temperature", 0.01, 10.0, o.contrast_temperature)
        case O_REINDEX: reindex = 1; break;
        case 'o': o.out_path = optarg; break;
        case O_BENCH: bench = 1; break;
        case O_PRECISION:
            if (nn_gemm_set_precision(optarg) != 0)
                return cli_usage_error("train", "--precision wants fp32, bf16 or auto, not '%s'", optarg);
            break;
        case O_BENCH_FRAMES:
            if (cli_parse_int("train", "--bench-frames", optarg, 1, 10000, &bench_frames) != 0) return EXIT_USAGE;
            break;
        case O_BENCH_STEPS:
            if (cli_parse_int("train", "--bench-steps", optarg, 1, 100000, &bench_steps) != 0) return EXIT_USAGE;
            break;
        case 'q': cli_quiet = 1; break;
        case 'h': fputs(help, stdout); return EXIT_OK;
        default: return cli_usage_error("train", "unknown option or missing value '%s'", argv[optind - 1]);
        }
    }
#undef INT_OPT
#undef FLOAT_OPT
#undef INT_OPT_GIVEN
#undef FLOAT_OPT_GIVEN
    if (o.min_window_frames > o.max_window_frames)
        return cli_usage_error("train", "--min-window is larger than --max-window");
    if (bench)
        return run_bench(&o, bench_frames, bench_steps);
    int status = EXIT_SOME_FAILED, num_failed = 0;
    int num_files = argc - optind;
    const char *const *files = (const char *const *)(argv + optind);
    path_list listed = {0};            /* the audio of --list */
    index_training from_index = {0};   /* the audio of --db */
    trainer_data *data = NULL;
    if (reindex && !db_path) {
        status = cli_usage_error(command, "--reindex needs --db FILE (the index to re-embed)");
        goto done;
    }
    if (db_path && (words || list)) {
        status = cli_usage_error(command, "--db trains on the index's recordings (and AUDIO); not with --words or --list");
        goto done;
    }
    if (list) {
        if (num_files > 0) {
            status = cli_usage_error("train", "give AUDIO files or --list, not both");
            goto done;
        }
        if (path_list_read(&listed, list) != 0) {
            cli_error(list, "cannot read the list: %s", strerror(errno));
            goto done;
        }
    }
    if (db_path && db_training_files(db_path, files, num_files, &o, &from_index, &num_failed) != 0)
        goto done;
    if (list || db_path) {
        const path_list *l = list ? &listed : &from_index.files;
        files = (const char *const *)l->paths;
        num_files = l->num;
    }
    if (mined < 0 && db_path && o.variant == TRAINER_PLAIN && !o.transcripts_path && !o.head_only) {
        /* label-free by default: the words the head hears, else mined pairs */
        heard = model_has_ctc_head(o.init_path);
        mined = !heard;
        o.variant = TRAINER_CORRESPOND;
        if (mined)
            cli_note("%s has no CTC head: training on mined pairs (--variant mined)\n", o.init_path);
    }
    mined = mined > 0;
    const char *usage = NULL;
    if (words && num_files > 0)
        usage = "with --words the audio files are the ones it names; give no AUDIO";
    else if (!words && num_files == 0)
        usage = "no audio given (AUDIO..., --list FILE or --words FILE)";
    else if (whiten && !o.init_path)
        usage = "--variant whiten evens out a trained model's vectors: give --init MODEL (or --db)";
    else if (whiten && (words || o.transcripts_path || o.head_only || o.projection_only ||
                        o.num_vtlp_warps > 0 || o.num_speeds > 0 || o.time_mask > 0))
        usage = "--variant whiten fits on the audio as it is, with no gradient step; not with "
                "--words, --transcripts, --head-only, --projection-only, --vtlp, --speed or --time-mask";
    else if (whiten_cap_given && !whiten)
        usage = "--whiten-cap is for --variant whiten";
    else if (mined && !o.init_path)
        usage = "--variant mined needs a model to mine with (--db or --init)";
    else if (heard && !o.init_path)
        usage = "--variant heard needs a model whose CTC head hears the words (--db or --init)";
    else if (heard && words)
        usage = "--variant heard finds its own words; not with --words";
    else if (mine_given && !mined)
        usage = "--mine-cosine, --mine-pairs, --mine-same-file, --mine-out and --mine-windows are "
                "for --variant mined";
    else if (words_out && !heard)
        usage = "--words-out writes the words --variant heard trains on";
    else if (mined && words)
        usage = "--variant mined finds its own pairs; not with --words";
    else if (mined && (o.num_vtlp_warps > 0 || o.num_speeds > 0))
        usage = "--vtlp and --speed are for training on given data; mined pairs are found in the audio as it is";
    else if (mined && (o.transcripts_path || o.head_only))
        usage = "--variant mined trains the encoder on pairs; not with --transcripts or --head-only";
    else if (o.head_only && o.projection_only)
        usage = "--head-only and --projection-only each keep the other's part fixed; give one";
    else if (o.projection_only && o.transcripts_path)
        usage = "--projection-only keeps the CTC head fixed; not with --transcripts";
    else if (o.variant == TRAINER_CORRESPOND && !words && !mined && !heard)
        usage = "--variant correspond needs --words";
    else if (whole_model && !mined)
        usage = "--whole-model is for --variant mined (the others train the whole model)";
    else if (whole_model && o.projection_only)
        usage = "--whole-model and --projection-only contradict each other; give one";
    else if (o.contrast_weight > 0 && o.variant != TRAINER_CORRESPOND)
        usage = "--contrast needs pairs: --variant correspond, heard or mined";
    else if (o.contrast_weight > 0 && o.head_only)
        usage = "--contrast trains the vectors; not with --head-only";
    if (usage) {
        status = cli_usage_error(command, "%s", usage);
        goto done;
    }
    if (heard) { /* fine-tuning defaults (README, "Retraining on your own audio") */
        if (!epochs_given) o.epochs = TRAIN_HEARD_EPOCHS;
        if (!lr_given) o.learning_rate = (float)TRAIN_HEARD_LR;
        if (!ctc_weight_given) o.ctc_weight = (float)TRAIN_HEARD_CTC_WEIGHT;
        if (!contrast_given && !o.head_only) o.contrast_weight = TRAIN_HEARD_CONTRAST;
    }
    if (mined) {
        if (!epochs_given) o.epochs = TRAIN_MINED_EPOCHS;
        if (!lr_given) o.learning_rate = (float)TRAIN_MINED_LR;
        /* Only the projection by default: with the shipped model, training
         * the encoder on mined pairs lowered MAP on two of the three kinds of
         * audio measured, the projection alone on none beyond noise. */
        if (!whole_model && !o.projection_only) {
            o.projection_only = 1;
            cli_note("mined pairs train the projection only (--whole-model: the encoder and decoder too)\n");
        }
    }

    trainer_callbacks cb = {on_progress, on_file_failed, on_note, &num_failed};
    char err[CLI_ERR_LEN];
    if (whiten) {
        if (run_whiten(&o, files, num_files, whiten_cap, &cb) != 0)
            goto done;
        status = num_failed || cli_keep_language_model(o.init_path, o.out_path) != 0
                     ? EXIT_SOME_FAILED
                     : EXIT_OK;
        if (reindex)
            status = reindex_with_new_model(db_path, o.out_path, status);
        goto done;
    }
    feature_options fo = features_model_defaults();
    if (o.init_path) {
        feature_stats unused;
        if (model_file_load_features(o.init_path, &fo, &unused, err, sizeof err) != 0) {
            cli_error(o.init_path, "%s", err);
            goto done;
        }
    }
    if (mined) {
        segmenter_options windows = mined_windows(mine_all_windows);
        long num_pairs, num_windows;
        data = trainer_data_load_mined(&o, o.init_path, files, num_files, &windows, &mine, mine_out,
                                       &cb, &num_pairs, &num_windows, err, sizeof err);
    } else if (heard) {
        data = load_heard(&o, files, from_index.transcripts, num_files, from_index.num_recordings,
                          words_out, &cb, err, sizeof err);
    } else {
        data = trainer_data_load(&o, &fo, files, num_files, words, &cb, err, sizeof err);
    }
    if (!data) {
        cli_error(NULL, "%s", err);
        goto done;
    }
    long num_segs, num_frames;
    int nf, nw;
    trainer_data_summary(data, &num_segs, &num_frames, &nf, &nw);
    cli_note("%d files, %ld segments, %ld frames (%.1f min)%s\n", nf, num_segs, num_frames,
             num_frames / 6000.0, nw ? "" : " of speech windows");
    signal(SIGINT, on_sigint);
    int rc = trainer_run(&o, data, &cb, err, sizeof err);
    signal(SIGINT, SIG_DFL);
    if (rc < 0) {
        cli_error(NULL, "%s", err);
        goto done;
    }
    if (rc == 0)
        cli_note("wrote %s\n", o.out_path);
    status = num_failed || (rc == 0 && cli_keep_language_model(o.init_path, o.out_path) != 0)
                 ? EXIT_SOME_FAILED
                 : EXIT_OK;
    if (rc == 0 && reindex) /* not when stopped and checkpointed: nothing to reindex yet */
        status = reindex_with_new_model(db_path, o.out_path, status);
done:
    trainer_data_free(data);
    path_list_free(&listed);
    index_training_free(&from_index);
    return status;
}
