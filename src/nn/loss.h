/* The training losses.  Masked mean squared error between a predicted and
 * a target sequence batch, the autoencoder's reconstruction loss: frames at
 * padded steps (t >= lengths[b]) count for nothing; the mean is over valid
 * frames times D, so the loss does not depend on how much padding a batch
 * carries.  And a contrastive loss on vectors (below). */
#ifndef S2S_NN_LOSS_H
#define S2S_NN_LOSS_H

/* Returns sum over valid (t, b, d) of (pred - target)^2, divided by
 * (number of valid frames) * D; 0 when no frame is valid.  pred, target:
 * (T, B, D) time-major.  lengths (B), or NULL for all T.  Sums in double. */
float mse_forward(const float *pred, const float *target, const int *lengths, int T, int B,
                  int D);

/* ADDS d_loss * d(mse_forward)/d(pred) into d_pred (T, B, D): that is
 * d_loss * 2 (pred - target) / (valid frames * D) at valid frames, nothing at
 * padded ones.  d_loss scales the loss's weight (1 for a lone loss). */
void mse_backward(float *d_pred, const float *pred, const float *target, const int *lengths,
                  int T, int B, int D, float d_loss);

/* Contrastive loss (InfoNCE) of anchor vectors against a set of candidate
 * vectors, the candidates held fixed (no gradient flows to them): anchor i's
 * term is -log softmax(s_i)[own[i]] with s_ij = anchors_i . candidates_j /
 * temperature, the softmax taken over its own candidate own[i] and every
 * candidate j of another class (anchor_class[i] != candidate_class[j]);
 * candidates of its own class other than own[i] are left out, so that a
 * second instance of the same word is never pushed away.  anchors (n, dim),
 * candidates (m, dim), own (n) in 0..m-1.  Returns scale * the sum of the n
 * terms and ADDS scale * its gradient into d_anchors (n, dim) when not
 * NULL: scale = 1 / batch size makes it a mean over a batch split among
 * workers. */
float contrastive_loss(const float *anchors, const int *anchor_class, const int *own, int n,
                       const float *candidates, const int *candidate_class, int m, int dim,
                       float temperature, float scale, float *d_anchors);

#endif
