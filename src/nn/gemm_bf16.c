/* The bf16 matrix product: packing fp32 operands to bfloat16 and an
 * AVX512-BF16 register-blocked kernel with fp32 accumulation.  See gemm.h.
 *
 * Every function here that uses AVX-512 carries a target attribute, so this
 * file compiles for any x86-64 and its code only runs after gemm.c has
 * checked the CPU.
 *
 * VDPBF16PS multiplies pairs: acc[j] += a[2j] b[2j] + a[2j+1] b[2j+1].  So K
 * is taken two at a time (an odd K is padded with a zero) and both operands
 * are stored as 32-bit pairs of consecutive k:
 *   B packed:  (K/2, Np) pairs, Np = N rounded up to 16 (zero columns), so
 *              16 columns of one k-pair are one 64-byte load;
 *   A packed:  pairs broadcast to all lanes.  Untransposed A is row-major
 *              (M, K) bf16: pair (m, kp) at 32-bit offset m K/2 + kp.
 *              Transposed A (stored (K, M): d_gates^T in a weight gradient,
 *              where K is T B, thousands) is packed in panels of MR_MAX = 6
 *              rows, pair (m, kp) at (m / 6) 6 K/2 + 6 kp + m % 6, so that
 *              the kernel reads it sequentially (a stride of M pairs per kp
 *              would map every access to one L1 set); the packing
 *              interleaves two rows of 96 values at a time.
 * The kernel keeps an MR x (16 NV) block of C (MR <= 6, NV <= 4: 24 zmm
 * accumulators) in registers over the whole K; the 64-column panel of B
 * (K/2 x 256 bytes) streams from L1/L2. */
#include "gemm.h"
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define S2S_HAVE_BF16_KERNEL 1
#define BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#endif

enum { MR_MAX = 6, NV_MAX = 4 };

static int round_up(int x, int to) { return (x + to - 1) / to * to; }

size_t nn_gemm_bf16_a_size(int M, int K) { return (size_t)round_up(M, MR_MAX) * round_up(K, 2); }
size_t nn_gemm_bf16_b_size(int K, int N) { return (size_t)round_up(K, 2) * round_up(N, 16); }

#ifdef S2S_HAVE_BF16_KERNEL

/* dst (num_cols pairs, at 32-bit stride 1) = interleave(row0, row1) over
 * num_cols columns, then zero pairs up to padded_cols.  row1 NULL: zeros. */
BF16_TARGET static void interleave_rows(uint32_t *dst, const float *row0, const float *row1,
                                        int num_cols, int padded_cols) {
    const __m512i idx = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9,
                                         24, 8, 23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17,
                                         1, 16, 0);
    int n = 0;
    for (; n < padded_cols; n += 16) {
        int rem = num_cols - n;
        __mmask16 m = rem >= 16 ? 0xffff : rem > 0 ? (__mmask16)((1u << rem) - 1) : 0;
        __m512 lo = _mm512_maskz_loadu_ps(m, row0 + n);
        __m512 hi = row1 ? _mm512_maskz_loadu_ps(m, row1 + n) : _mm512_setzero_ps();
        __m512i both = (__m512i)_mm512_cvtne2ps_pbh(hi, lo); /* lo in 0..15, hi in 16..31 */
        __m512i pairs = _mm512_permutexvar_epi16(idx, both);
        int left = padded_cols - n;
        __mmask16 sm = left >= 16 ? 0xffff : (__mmask16)((1u << left) - 1);
        _mm512_mask_storeu_epi32(dst + n, sm, pairs);
    }
}

/* dst (K rounded up to even) = bf16 of src (K), a zero after an odd K. */
BF16_TARGET static void convert_row(uint16_t *dst, const float *src, int K) {
    int k = 0;
    for (; k + 16 <= K; k += 16)
        _mm256_storeu_si256((__m256i *)(dst + k),
                            (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(src + k)));
    if (k < K) {
        __mmask16 m = (__mmask16)((1u << (K - k)) - 1);
        _mm256_mask_storeu_epi16(dst + k, m,
                                 (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, src + k)));
    }
    if (K & 1)
        dst[K] = 0;
}

BF16_TARGET void nn_gemm_bf16_pack_a(uint16_t *dst, const float *A, int lda, int trans, int M,
                                     int K) {
    const int Kp = round_up(K, 2);
    if (trans) { /* A^T stored (K, M): panels of MR_MAX rows, see above */
        enum { SUPER = 16 * MR_MAX }; /* rows interleaved at once */
        const int num_pairs = Kp / 2;
        uint32_t *d = (uint32_t *)dst, tmp[SUPER];
        for (int m0 = 0; m0 < M; m0 += SUPER) {
            int rows = M - m0 < SUPER ? M - m0 : SUPER;
            int panels = (rows + MR_MAX - 1) / MR_MAX;
            uint32_t *panel0 = d + (size_t)(m0 / MR_MAX) * num_pairs * MR_MAX;
            for (int kp = 0; kp < num_pairs; kp++) {
                const float *r0 = A + (size_t)2 * kp * lda + m0;
                const float *r1 = 2 * kp + 1 < K ? r0 + lda : NULL;
                interleave_rows(tmp, r0, r1, rows, panels * MR_MAX);
                for (int q = 0; q < panels; q++)
                    memcpy(panel0 + ((size_t)q * num_pairs + kp) * MR_MAX, tmp + q * MR_MAX,
                           sizeof(uint32_t) * MR_MAX);
            }
        }
        return;
    }
    for (int m = 0; m < M; m++) /* row-major (M, Kp) */
        convert_row(dst + (size_t)m * Kp, A + (size_t)m * lda, K);
}

BF16_TARGET void nn_gemm_bf16_pack_a_concat(uint16_t *dst, const float *A1, int ld1, int K1,
                                            const float *A2, int ld2, int K2, int M) {
    const int K1p = round_up(K1, 2), Kp = K1p + round_up(K2, 2);
    for (int m = 0; m < M; m++) {
        convert_row(dst + (size_t)m * Kp, A1 + (size_t)m * ld1, K1);
        convert_row(dst + (size_t)m * Kp + K1p, A2 + (size_t)m * ld2, K2);
    }
}

BF16_TARGET void nn_gemm_bf16_pack_b(uint16_t *dst, const float *B, int ldb, int trans, int K,
                                     int N) {
    const int Kp = round_up(K, 2), Np = round_up(N, 16);
    uint32_t *d = (uint32_t *)dst;
    if (!trans) { /* B stored (K, N): interleave rows 2kp and 2kp+1 */
        for (int kp = 0; kp < Kp / 2; kp++) {
            const float *r0 = B + (size_t)2 * kp * ldb;
            const float *r1 = 2 * kp + 1 < K ? r0 + ldb : NULL;
            interleave_rows(d + (size_t)kp * Np, r0, r1, N, Np);
        }
        return;
    }
    /* B stored (N, K) (a weight matrix W for x · W^T): pair (kp, n) is
     * (W[n][2kp], W[n][2kp+1]), consecutive in row n: a 32-bit transpose,
     * done in blocks of 16 rows x CHUNK pairs through an L1-resident buffer
     * so that every store fills a whole 64-byte line of dst. */
    enum { CHUNK = 256 };
    uint32_t tmp[16][CHUNK];
    for (int n0 = 0; n0 < Np; n0 += 16) {
        for (int kp0 = 0; kp0 < Kp / 2; kp0 += CHUNK) {
            int num_kp = Kp / 2 - kp0 < CHUNK ? Kp / 2 - kp0 : CHUNK;
            for (int j = 0; j < 16; j++) {
                int n = n0 + j;
                if (n >= N) {
                    memset(tmp[j], 0, sizeof(uint32_t) * num_kp);
                    continue;
                }
                const float *src = B + (size_t)n * ldb;
                for (int q = 0; q < num_kp; q += 16) { /* 16 pairs = 32 values */
                    int k = 2 * (kp0 + q), rem = K - k;
                    __mmask16 m0 = rem >= 16 ? 0xffff : rem > 0 ? (__mmask16)((1u << rem) - 1) : 0;
                    int rem1 = rem - 16;
                    __mmask16 m1 = rem1 >= 16 ? 0xffff : rem1 > 0 ? (__mmask16)((1u << rem1) - 1) : 0;
                    __m512i v = (__m512i)_mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(m1, src + k + 16),
                                                             _mm512_maskz_loadu_ps(m0, src + k));
                    int left = num_kp - q;
                    _mm512_mask_storeu_epi32(tmp[j] + q, left >= 16 ? 0xffff : (__mmask16)((1u << left) - 1), v);
                }
            }
            for (int q = 0; q < num_kp; q++) {
                uint32_t line[16];
                for (int j = 0; j < 16; j++)
                    line[j] = tmp[j][q];
                memcpy(d + (size_t)(kp0 + q) * Np + n0, line, sizeof line);
            }
        }
    }
}

/* C[0..MR)[0..16 NV) += A block · B panel over num_pairs k-pairs; the last
 * vector of each row is stored under `tail` (columns past N untouched).
 * Inlined with constant MR and NV so the accumulators stay in registers. */
BF16_TARGET static inline __attribute__((always_inline)) void
kernel(float *C, int ldc, const uint32_t *a, int sm, int sk, const uint32_t *b, int Np,
       int num_pairs, __mmask16 tail, const int MR, const int NV) {
    __m512 acc[MR_MAX][NV_MAX];
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
        for (int j = 0; j < NV; j++)
            acc[i][j] = _mm512_setzero_ps();
    for (int kp = 0; kp < num_pairs; kp++) {
        __m512i bv[NV_MAX];
#pragma GCC unroll 4
        for (int j = 0; j < NV; j++)
            bv[j] = _mm512_loadu_si512(b + (size_t)kp * Np + 16 * j);
        const uint32_t *ak = a + (size_t)kp * sk;
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++) {
            __m512i av = _mm512_set1_epi32((int)ak[(size_t)i * sm]);
#pragma GCC unroll 4
            for (int j = 0; j < NV; j++)
                acc[i][j] = _mm512_dpbf16_ps(acc[i][j], (__m512bh)av, (__m512bh)bv[j]);
        }
    }
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
        float *c = C + (size_t)i * ldc;
#pragma GCC unroll 4
        for (int j = 0; j < NV; j++) {
            __mmask16 m = j == NV - 1 ? tail : 0xffff;
            __m512 old = _mm512_maskz_loadu_ps(m, c + 16 * j);
            _mm512_mask_storeu_ps(c + 16 * j, m, _mm512_add_ps(old, acc[i][j]));
        }
    }
}

#define KERNEL_NV(MR_)                                                                 \
    switch (nv) {                                                                      \
    case 1: kernel(C, ldc, a, sm, sk, b, Np, num_pairs, tail, MR_, 1); break;          \
    case 2: kernel(C, ldc, a, sm, sk, b, Np, num_pairs, tail, MR_, 2); break;          \
    case 3: kernel(C, ldc, a, sm, sk, b, Np, num_pairs, tail, MR_, 3); break;          \
    default: kernel(C, ldc, a, sm, sk, b, Np, num_pairs, tail, MR_, 4); break;         \
    }

BF16_TARGET static void kernel_dispatch(float *C, int ldc, const uint32_t *a, int sm, int sk,
                                        const uint32_t *b, int Np, int num_pairs,
                                        __mmask16 tail, int mr, int nv) {
    switch (mr) {
    case 1: KERNEL_NV(1) break;
    case 2: KERNEL_NV(2) break;
    case 3: KERNEL_NV(3) break;
    case 4: KERNEL_NV(4) break;
    case 5: KERNEL_NV(5) break;
    default: KERNEL_NV(6) break;
    }
}

BF16_TARGET void nn_gemm_bf16(float *C, int ldc, const uint16_t *A, int a_trans,
                              const uint16_t *B, int M, int N, int K) {
    const int num_pairs = round_up(K, 2) / 2, Np = round_up(N, 16);
    const int sm = a_trans ? 1 : num_pairs, sk = a_trans ? MR_MAX : 1;
    const uint32_t *A32 = (const uint32_t *)A, *B32 = (const uint32_t *)B;
    for (int n0 = 0; n0 < N; n0 += 16 * NV_MAX) {
        int cols = N - n0 < 16 * NV_MAX ? N - n0 : 16 * NV_MAX;
        int nv = (cols + 15) / 16, last = cols - 16 * (nv - 1);
        __mmask16 tail = last == 16 ? 0xffff : (__mmask16)((1u << last) - 1);
        const uint32_t *b = B32 + n0;
        /* Untransposed A: rows in ceil(M / 6) blocks of nearly equal size
         * (32 = 6+6+5+5+5+5, not 6*5+2: a 2-row block keeps too few
         * accumulators busy); transposed A: its 6-row panels. */
        const int num_blocks = (M + MR_MAX - 1) / MR_MAX;
        const int base = a_trans ? MR_MAX : M / num_blocks, extra = a_trans ? 0 : M % num_blocks;
        for (int blk = 0, m0 = 0; m0 < M; blk++) {
            int mr = base + (blk < extra);
            if (mr > M - m0)
                mr = M - m0;
            /* untransposed: row m0; transposed: panel m0 / 6 */
            const uint32_t *a = A32 + (size_t)m0 * (a_trans ? num_pairs : sm);
            kernel_dispatch(C + (size_t)m0 * ldc + n0, ldc, a, sm, sk, b, Np, num_pairs, tail,
                            mr, nv);
            m0 += mr;
        }
    }
}

#else /* no x86-64 AVX-512 intrinsics: gemm.c never selects bf16 */

void nn_gemm_bf16_pack_a(uint16_t *dst, const float *A, int lda, int trans, int M, int K) {
    (void)dst, (void)A, (void)lda, (void)trans, (void)M, (void)K;
}
void nn_gemm_bf16_pack_b(uint16_t *dst, const float *B, int ldb, int trans, int K, int N) {
    (void)dst, (void)B, (void)ldb, (void)trans, (void)K, (void)N;
}
void nn_gemm_bf16_pack_a_concat(uint16_t *dst, const float *A1, int ld1, int K1,
                                const float *A2, int ld2, int K2, int M) {
    (void)dst, (void)A1, (void)ld1, (void)K1, (void)A2, (void)ld2, (void)K2, (void)M;
}
void nn_gemm_bf16(float *C, int ldc, const uint16_t *A, int a_trans, const uint16_t *B, int M,
                  int N, int K) {
    (void)C, (void)ldc, (void)A, (void)a_trans, (void)B, (void)M, (void)N, (void)K;
}

#endif
