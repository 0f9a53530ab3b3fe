/* A parameter set: every trainable array of a network in one float
 * allocation, each array known by name and shape.  Layers declare their
 * tensors with nn_params_add (before any memory exists), nn_params_alloc then
 * lays them out one after another and makes four blocks of identical layout:
 * values, gradients and Adam's first and second moments.  Because all four
 * are flat arrays of num_params floats, zeroing gradients, the optimiser,
 * gradient clipping and checkpointing are each one loop over the set, and a
 * model file is just the tensor list (name, shape, values) written in order.
 *
 * Shapes are two-dimensional (num_rows, num_cols), row-major; a vector of n
 * floats is (n, 1).  Each tensor starts on a 64-byte boundary; the few floats
 * of padding between tensors stay zero (their gradients are never written). */
#ifndef S2S_NN_PARAMS_H
#define S2S_NN_PARAMS_H
#include <stddef.h>
#include <stdint.h>

#define NN_TENSOR_NAME_MAX 64

/* How nn_params_init_values fills a tensor. */
typedef enum {
    NN_INIT_UNIFORM,   /* uniform in [-bound, bound) */
    NN_INIT_ZERO,      /* all zero */
    NN_INIT_LSTM_BIAS, /* (4H, 1) bias in gate order i, f, g, o: uniform in
                          [-bound, bound) except the forget block f = 1 */
} NnInitKind;

typedef struct {
    char name[NN_TENSOR_NAME_MAX]; /* e.g. "enc.W_ih" */
    int num_rows, num_cols;        /* shape; a vector is (n, 1) */
    size_t num_elems;              /* num_rows * num_cols */
    size_t offset;                 /* index of the first float in every block */
    NnInitKind init_kind;
    float init_bound;
    /* Filled by nn_params_alloc (NULL before): this tensor's slice of each
     * block.  Owned by the set. */
    float *value, *grad;
} NnTensor;

typedef struct {
    NnTensor *tensors; /* (num_tensors), in declaration order */
    int num_tensors;
    int capacity;
    size_t num_params; /* floats per block, padding included */
    /* One allocation of 4 * num_params floats, NULL before nn_params_alloc. */
    float *memory;
    float *values;  /* (num_params) */
    float *grads;   /* (num_params) */
    float *adam_m;  /* (num_params) Adam first moment */
    float *adam_v;  /* (num_params) Adam second moment */
} NnParams;

/* Makes an empty set (no tensors, no memory).  Equivalent to zero-filling the
 * struct.  Release with nn_params_free. */
void nn_params_init(NnParams *set);

/* Releases the tensor list and the memory; the set is empty afterwards. */
void nn_params_free(NnParams *set);

/* Declares a tensor of shape (num_rows, num_cols) with the default
 * initialisation: uniform in +-1/sqrt(num_cols), i.e. a weight matrix laid
 * out (out, in) whose fan-in is num_cols.  Must be called before
 * nn_params_alloc.  Returns the tensor's index (>= 0), or -1 if the name is
 * empty, too long, already used, the shape is not positive, the set is
 * already allocated, or memory ran out. */
int nn_params_add(NnParams *set, const char *name, int num_rows, int num_cols);

/* Changes how tensor `index` is initialised (see NnInitKind).  Returns 0, or
 * -1 if index is out of range. */
int nn_params_set_init(NnParams *set, int index, NnInitKind kind, float bound);

/* Allocates values, gradients and both Adam moments, all zero, and points
 * every tensor's value/grad into them.  Returns 0, or -1 on allocation
 * failure or if already allocated. */
int nn_params_alloc(NnParams *set);

/* Index of the tensor called `name`, or -1. */
int nn_params_find(const NnParams *set, const char *name);

/* Value (resp. gradient) array of the tensor called `name`, or NULL if there
 * is none or the set is not allocated.  The pointer stays valid until
 * nn_params_free. */
float *nn_params_get(const NnParams *set, const char *name);
float *nn_params_get_grad(const NnParams *set, const char *name);

/* Sets every gradient to zero (backward passes add into them). */
void nn_params_zero_grad(NnParams *set);

/* Fills every tensor's values according to its init kind, drawing from a
 * deterministic generator seeded with `seed` (same seed and same declarations
 * give bit-identical values on every machine).  Also zeroes gradients and
 * Adam moments. */
void nn_params_init_values(NnParams *set, uint64_t seed);

/* Deterministic uniform float in [-1, 1) from a caller-held state
 * (splitmix64); the generator behind nn_params_init_values, exposed for
 * reproducible shuffling and dropout elsewhere. */
float nn_random_uniform(uint64_t *state);

#endif
