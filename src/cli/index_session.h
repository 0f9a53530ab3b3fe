/* An open index together with the model whose vectors it searches: the one
 * place that decides which model goes with an index, so vectors of two
 * models are never mixed. */
#ifndef S2S_INDEX_SESSION_H
#define S2S_INDEX_SESSION_H
#include "autoencoder.h"
#include "index_store.h"

typedef struct {
    index_db *db;
    autoencoder *model;
    int64_t model_id;     /* the model's id in the index; 0 when it has none */
    char model_path[4096];
} index_session;

/* Opens db_path and a model.
 * Writing (index): loads model_path (NULL: the default model) and registers
 * it; when the index already holds vectors of another active model, fails
 * naming both (re-embedding is a separate step).
 * Reading (query): opens the index read-only; with model_path NULL uses the
 * index's active model (from the path recorded in the index, else the
 * default model when its hash matches); a named model that is not the
 * index's active one fails naming both. Returns 0, or -1 with err. */
int index_session_open(index_session *s, const char *db_path, const char *model_path, int writing,
                       char *err, int err_len);

/* Opens db_path for re-embedding its recordings with the model at model_path:
 * registers that model without making it active (queries keep using the
 * active one) and sets s->model_id to it; *old_model_id gets the active
 * model's id. Fails, naming both models, when the index has no active model
 * or when the new model's vector size or feature settings differ from the
 * active model's. Returns 0, or -1 with err (s is then closed). */
int index_session_open_reembed(index_session *s, const char *db_path, const char *model_path,
                               int64_t *old_model_id, char *err, int err_len);
void index_session_close(index_session *s);
#endif
