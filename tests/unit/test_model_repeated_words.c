/* Words heard in several recordings (repeated_words.h) against a brute
 * force written independently here, on random transcripts; the edge cases
 * (nothing heard, a word repeated within one recording only, apostrophes);
 * and the heard-word training data (trainer_heard.h) from two committed
 * recordings with stored transcripts: the segments it loads, a stored
 * transcript that does not parse, and a model without a CTC head asked to
 * transcribe. */
#include "repeated_words.h"
#include "test_util.h"
#include "trainer_heard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const vocabulary[] = {"cat", "house", "white", "it's", "o'clock", "alleyway",
                                         "don't", "merit", "a", "bursar", "cataleptic", "hour's"};
enum { VOCABULARY = sizeof vocabulary / sizeof *vocabulary };

/* num random transcripts of 0-11 words drawn from the vocabulary. */
static void random_transcripts(transcript *t, int num, uint64_t *state) {
    for (int r = 0; r < num; r++) {
        int n = (int)((test_random_uniform(state) + 1) * 6);
        t[r].num_words = n;
        t[r].words = calloc(n > 0 ? n : 1, sizeof *t[r].words);
        for (int w = 0; w < n; w++) {
            int v = (int)((test_random_uniform(state) + 1) * 0.5 * VOCABULARY) % VOCABULARY;
            snprintf(t[r].words[w].text, sizeof t[r].words[w].text, "%s", vocabulary[v]);
            t[r].words[w].start_s = w;
            t[r].words[w].end_s = w + 0.5;
        }
    }
}

static int count_letters(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s != '\'';
    return n;
}

/* The reference: a word is kept when it has enough letters, the number of
 * recordings holding it is enough, and (with num_searched) one of the first
 * num_searched holds it; every occurrence of it is listed. */
static long brute_force_count(const transcript *t, int num, const repeated_word_options *o,
                              int *num_distinct) {
    long total = 0;
    *num_distinct = 0;
    for (int v = 0; v < VOCABULARY; v++) {
        if (count_letters(vocabulary[v]) < o->min_letters) continue;
        int recordings = 0, searched = o->num_searched == 0;
        long occurrences = 0;
        for (int r = 0; r < num; r++) {
            int here = 0;
            for (int w = 0; w < t[r].num_words; w++) here += !strcmp(t[r].words[w].text, vocabulary[v]);
            recordings += here > 0;
            occurrences += here;
            if (here > 0 && r < o->num_searched) searched = 1;
        }
        if (recordings >= o->min_recordings && searched) {
            total += occurrences;
            (*num_distinct)++;
        }
    }
    return total;
}

START_TEST(test_matches_brute_force) {
    uint64_t state = 42;
    for (int trial = 0; trial < 40; trial++) {
        transcript t[9];
        int num = 1 + trial % 9;
        random_transcripts(t, num, &state);
        repeated_word_options o = repeated_word_defaults();
        o.min_letters = 1 + trial % 7;
        o.min_recordings = 1 + trial % 3;
        o.num_searched = trial % 4;
        repeated_word *found;
        int distinct, expected_distinct;
        long n = repeated_words_find(t, num, &o, &found, &distinct);
        long expected = brute_force_count(t, num, &o, &expected_distinct);
        ck_assert_int_eq(n, expected);
        ck_assert_int_eq(distinct, expected_distinct);
        for (long k = 0; k < n; k++) {
            const repeated_word *f = &found[k];
            ck_assert_int_ge(count_letters(f->word->text), o.min_letters);
            /* the occurrence is a word of the transcript it names */
            ck_assert(f->word >= t[f->recording].words &&
                      f->word < t[f->recording].words + t[f->recording].num_words);
            if (k > 0) { /* by spelling, then recording, then time */
                const repeated_word *p = &found[k - 1];
                int c = strcmp(p->word->text, f->word->text);
                ck_assert_int_le(c, 0);
                if (c == 0)
                    ck_assert(p->recording < f->recording ||
                              (p->recording == f->recording && p->word->start_s < f->word->start_s));
            }
        }
        free(found);
        for (int r = 0; r < num; r++) transcript_free(&t[r]);
    }
}
END_TEST

/* A transcript of the given words, 1 s apart. */
static transcript make_transcript(const char *const *words, int n) {
    transcript t = {calloc(n > 0 ? n : 1, sizeof *t.words), n};
    for (int w = 0; w < n; w++) {
        snprintf(t.words[w].text, sizeof t.words[w].text, "%s", words[w]);
        t.words[w].start_s = w, t.words[w].end_s = w + 0.5;
    }
    return t;
}

START_TEST(test_edge_cases) {
    repeated_word_options o = repeated_word_defaults();
    ck_assert_int_eq(o.min_letters, 5);
    ck_assert_int_eq(o.min_recordings, 2);
    ck_assert_int_eq(o.num_searched, 0);
    repeated_word *found = (repeated_word *)&o; /* must be set to NULL */
    int distinct = -1;
    /* nothing heard anywhere */
    transcript empty[2] = {{0}, {0}};
    ck_assert_int_eq(repeated_words_find(empty, 2, &o, &found, &distinct), 0);
    ck_assert_ptr_null(found);
    ck_assert_int_eq(distinct, 0);
    /* "house" twice in one recording only, "white" in both; "it's" and
     * "don't" are 3 and 4 letters (apostrophes do not count), "hour's" 5 */
    const char *a[] = {"house", "white", "house", "don't", "hour's"};
    const char *b[] = {"white", "don't", "it's", "hour's", "white"};
    transcript t[2] = {make_transcript(a, 5), make_transcript(b, 5)};
    long n = repeated_words_find(t, 2, &o, &found, &distinct);
    ck_assert_int_eq(distinct, 2); /* hour's, white */
    ck_assert_int_eq(n, 5);
    ck_assert_str_eq(found[0].word->text, "hour's");
    ck_assert_int_eq(found[0].recording, 0);
    ck_assert_int_eq(found[1].recording, 1);
    for (int k = 2; k < 5; k++) ck_assert_str_eq(found[k].word->text, "white");
    ck_assert_int_eq(found[2].recording, 0);
    ck_assert(found[3].recording == 1 && found[3].word->start_s == 0);
    ck_assert(found[4].recording == 1 && found[4].word->start_s == 4);
    free(found);
    /* four-letter words counted once the bar is lowered */
    o.min_letters = 4;
    n = repeated_words_find(t, 2, &o, &found, &distinct);
    ck_assert_int_eq(distinct, 3);
    ck_assert_int_eq(n, 7);
    free(found);
    /* two recordings added for training only (num_searched 2): "house" is
     * heard in the first added one and in a searched one, so it joins;
     * "merit" in the two added ones only, so it does not */
    const char *c[] = {"house", "merit", "merit"};
    const char *d[] = {"merit"};
    transcript more[4] = {t[0], t[1], make_transcript(c, 3), make_transcript(d, 1)};
    o.min_letters = 5;
    o.num_searched = 2;
    n = repeated_words_find(more, 4, &o, &found, &distinct);
    ck_assert_int_eq(distinct, 3); /* hour's, house, white */
    ck_assert_int_eq(n, 2 + 3 + 3);
    ck_assert_str_eq(found[2].word->text, "house");
    ck_assert_int_eq(found[4].recording, 2);
    free(found);
    o.num_searched = 0; /* then merit, heard in the two added recordings, joins too */
    n = repeated_words_find(more, 4, &o, &found, &distinct);
    ck_assert_int_eq(distinct, 4);
    ck_assert_int_eq(n, 2 + 3 + 3 + 3);
    free(found);
    for (int r = 0; r < 4; r++) transcript_free(&more[r]);
}
END_TEST

static int num_failed;
static char failed_path[512];
static void on_failed(void *ctx, const char *path, const char *message) {
    (void)ctx, (void)message;
    num_failed++;
    snprintf(failed_path, sizeof failed_path, "%s", path);
}

START_TEST(test_heard_data_from_speech) {
    const char *dir = test_make_temp_dir();
    char model_path[512], a[512], b[512], c[512];
    snprintf(model_path, sizeof model_path, "%s/m.model", dir);
    snprintf(a, sizeof a, "%s", test_fixture_path("audio/speech_a.wav"));
    snprintf(b, sizeof b, "%s", test_fixture_path("audio/speech_b.wav"));
    snprintf(c, sizeof c, "%s", test_fixture_path("audio/speech_c.wav"));
    test_write_small_model(model_path, 3); /* no CTC head */
    trainer_options opts = trainer_defaults();
    repeated_word_options words = repeated_word_defaults();
    trainer_callbacks cb = {.file_failed = on_failed};
    char err[256];
    int num_words;
    long num_heard;
    /* "hello" in a and b, "world" in a only, "short" twice in b only */
    const char *files[] = {a, b, c};
    const char *stored[] = {"0.10\t0.60\thello\n0.70\t1.20\tworld\n",
                            "0.05\t0.50\tshort\n0.55\t0.95\tshort\n1.00\t1.45\thello",
                            "not a transcript\n"};
    num_failed = 0;
    trainer_data *d = trainer_data_load_heard(&opts, model_path, files, stored, 3, NULL, &words,
                                              NULL, &cb, &num_words, &num_heard, err, sizeof err);
    ck_assert_msg(d != NULL, "%s", err);
    ck_assert_int_eq(num_words, 1);
    ck_assert_int_eq(num_heard, 2);
    ck_assert_int_eq(num_failed, 1); /* c's transcript does not parse: named, left out */
    ck_assert_str_eq(failed_path, c);
    long num_segments, num_frames;
    int num_files, distinct;
    trainer_data_summary(d, &num_segments, &num_frames, &num_files, &distinct);
    ck_assert_int_eq(num_files, 2);
    ck_assert_int_eq(num_segments, 2 * 2); /* each as heard and in an index window */
    ck_assert_int_eq(distinct, 1);
    /* 0.10-0.60 s and 1.00-1.45 s at 10 ms, then each in the index's
     * shortest window that holds it, 0.5 s */
    ck_assert_int_eq(num_frames, 50 + 45 + 50 + 50);
    trainer_data_free(d);
    /* no word in two recordings: an error that says so */
    const char *alone[] = {"0.10\t0.60\thello\n", "0.10\t0.60\tworld\n", ""};
    d = trainer_data_load_heard(&opts, model_path, files, alone, 3, NULL, &words, NULL, &cb,
                                &num_words, &num_heard, err, sizeof err);
    ck_assert_ptr_null(d);
    ck_assert_ptr_nonnull(strstr(err, "no word of 5 letters or more is heard in 2 recordings"));
    /* a recording to transcribe, and a model without a head: named */
    const char *missing[] = {stored[0], NULL, stored[1]};
    d = trainer_data_load_heard(&opts, model_path, files, missing, 3, NULL, &words, NULL, &cb,
                                &num_words, &num_heard, err, sizeof err);
    ck_assert_ptr_null(d);
    ck_assert_ptr_nonnull(strstr(err, "has no CTC head"));
}
END_TEST

int main(void) {
    Suite *s = suite_create("repeated_words");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_matches_brute_force);
    tcase_add_test(tc, test_edge_cases);
    tcase_add_test(tc, test_heard_data_from_speech);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
