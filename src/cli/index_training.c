/* The index's training audio (see index_training.h): every recording is
 * listed with its transcript, then each file is checked against what was
 * indexed (size, time, content hash), so that a moved or edited file is
 * named rather than trained on as if it were what the index holds. */
#include "index_training.h"
#include "cli.h"
#include "file_identity.h"
#include "index_store.h"

#include <stdlib.h>
#include <string.h>

/* Appends path with its transcript (copied; NULL: none); 0, or -1 when out
 * of memory (the lists unchanged). */
static int add_file(index_training *t, const char *path, const char *transcript) {
    char *copy = transcript ? strdup(transcript) : NULL;
    char **grown = realloc(t->transcripts, sizeof *grown * (t->files.num + 1));
    if (grown) t->transcripts = grown;
    if ((transcript && !copy) || !grown || !path_list_add(&t->files, path)) {
        free(copy);
        return -1;
    }
    t->transcripts[t->files.num - 1] = copy;
    return 0;
}

static int collect_recording(const index_recording *rec, void *user) {
    return add_file(user, rec->path, rec->transcript);
}

/* Keeps the listed recordings whose files are unchanged since indexing,
 * naming the others; 0, or -1 when out of memory. */
static int keep_unchanged(index_db *db, const index_training *listed, index_training *out) {
    char err[CLI_ERR_LEN];
    for (int i = 0; i < listed->files.num; i++) {
        const char *path = listed->files.paths[i];
        file_identity id;
        if (file_identity_stat(path, &id, err, sizeof err) != 0) {
            cli_error(path, "moved or missing since indexing (%s); not trained on", err);
            out->num_skipped++;
            continue;
        }
        int status = file_identity_hash(&id, err, sizeof err) != 0
                         ? -1
                         : index_recording_status(db, path, id.size_bytes, id.mtime_ns, id.hash, 0,
                                                  err, sizeof err);
        if (status != INDEX_RECORDING_UNCHANGED) {
            if (status >= 0) snprintf(err, sizeof err, "changed since indexing");
            cli_error(path, "%s; not trained on", err);
            out->num_skipped++;
            continue;
        }
        if (add_file(out, path, listed->transcripts[i]) != 0) return -1;
    }
    return 0;
}

int index_training_load(const char *db_path, const char *const *audio, int num_audio,
                        index_training *out) {
    char err[CLI_ERR_LEN];
    index_db *db = NULL;
    index_training listed = {0};
    int64_t active = 0;
    index_model model = {0};
    int rc = -1;
    *out = (index_training){0};
    snprintf(err, sizeof err, "out of memory"); /* what a failed collect_recording means */
    if (index_open(db_path, 1, &db, err, sizeof err) != 0 ||
        index_get_active_model(db, &active, err, sizeof err) != 0 ||
        index_list_recordings(db, 0, collect_recording, &listed, err, sizeof err) != 0) {
        cli_error(db_path, "%s", err);
        goto cleanup;
    }
    if (!active || listed.files.num == 0) {
        cli_error(db_path, "the index is empty: nothing to train on");
        goto cleanup;
    }
    if (index_get_model(db, active, &model, err, sizeof err) != 0) {
        cli_error(db_path, "%s", err);
        goto cleanup;
    }
    if (keep_unchanged(db, &listed, out) != 0) goto oom;
    out->num_recordings = out->files.num;
    for (int i = 0; i < num_audio; i++)
        if (add_file(out, audio[i], NULL) != 0) goto oom;
    if (!(out->active_model = strdup(model.name))) goto oom;
    rc = 0;
    goto cleanup;
oom:
    cli_error(NULL, "out of memory");
cleanup:
    if (rc != 0) index_training_free(out);
    index_training_free(&listed);
    index_model_free(&model);
    index_close(db);
    return rc;
}

void index_training_free(index_training *t) {
    for (int i = 0; i < t->files.num; i++)
        free(t->transcripts[i]);
    free(t->transcripts);
    path_list_free(&t->files);
    free(t->active_model);
    *t = (index_training){0};
}
