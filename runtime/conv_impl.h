/* conv_impl.h — the image layers' rules (see conv.h), written once for a type REAL.
 * Included only by conv.c, once per type, with REAL, SUFFIX, MATMUL (as layers_impl.h)
 * and GEMM_WORK (the k_gemm workspace floats in a thread's slot: k_gemm's single-thread
 * size for float, 0 for double) defined; not a header to include elsewhere. */

#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define FN(name) CAT(name, SUFFIX)

/* Rounds a count of REALs up to a whole number of 64-byte lines. */
static int64_t FN(lines)(int64_t count)
{
	int64_t per = 64 / (int64_t)sizeof(REAL);
	return (count + per - 1) / per * per;
}

/* The REALs of one thread's slot: im2col and its gradient, then the GEMM's packing. */
static int64_t FN(slot)(const struct conv_geom *g)
{
	return 2 * FN(lines)(g->C * g->KH * g->KW * g->OH * g->OW) + GEMM_WORK;
}

/* The threads of a batch loop: the slots planned, or fewer when the run's count went down
 * since (pace.h); never more, the workspace has g->threads slots. */
static int FN(team)(const struct conv_geom *g)
{
	int now = omp_get_max_threads();
	return now < g->threads ? now : g->threads;
}

int64_t FN(conv_workspace)(const struct conv_geom *g)
{
	int64_t K = g->C * g->KH * g->KW;
	return g->threads * FN(slot)(g) + CONV_PARTS * FN(lines)(g->F * K + g->F);
}

/* The outputs [*lo, *hi) of a row whose kernel column j falls inside the input: 0 ≤
 * ow·SW − PW + j < W. Outside them, the padding's zeros. */
static void FN(inside)(const struct conv_geom *g, int64_t j, int64_t *lo, int64_t *hi)
{
	int64_t first = g->PW - j, last = g->W - 1 + g->PW - j; /* ow·SW ∈ [first, last] */
	*lo = first <= 0 ? 0 : (first + g->SW - 1) / g->SW;
	*hi = last < 0 ? 0 : last / g->SW + 1;
	*hi = *hi < g->OW ? *hi : g->OW;
	*lo = *lo < *hi ? *lo : *hi;
}

/* Zeroes n places at d: one store for the usual single place between two rows' inside
 * values (a loop of unknown length is a call to memset, however short). */
static void FN(zero)(REAL *d, int64_t n)
{
	if (n == 1)
		*d = 0;
	else if (n > 1)
		memset(d, 0, (size_t)n * sizeof *d);
}

/* Row (c, i, j) of col when the stride is 1 and OW = W (padding = same; PH may be any):
 * place q = oh·W + ow takes x's value q + (i − PH)·W + (j − PW) of channel c, a constant
 * offset, so the row is one copy of the block from its first inside place to its last,
 * and zeros around it and in the gaps between its rows' inside places (the ow outside
 * [lo, hi)). The same floats as a copy for each output row, which was a call to memmove
 * of OW floats. */
static void FN(im2col_block)(REAL *restrict row, const REAL *restrict x,
                             const struct conv_geom *g, int64_t c, int64_t i, int64_t j,
                             int64_t lo, int64_t hi)
{
	int64_t W = g->W, P = g->OH * W, first = g->PH - i, last = g->H + g->PH - i;
	first = first > 0 ? first : 0; /* the output rows whose input row is inside */
	last = last < g->OH ? last : g->OH;
	if (first >= last || lo >= hi) {
		FN(zero)(row, P);
		return;
	}
	int64_t from = first * W + lo, to = (last - 1) * W + hi;
	int64_t offset = c * g->H * W + (i - g->PH) * W + (j - g->PW);
	memcpy(row + from, x + offset + from, (size_t)(to - from) * sizeof *row);
	FN(zero)(row, from);
	for (int64_t oh = first; oh + 1 < last; oh++)
		FN(zero)(row + oh * W + hi, W - hi + lo);
	FN(zero)(row + to, P - to);
}

/* col (C·KH·KW, OH·OW) = the windows of sample x (C, H, W), zero outside it. */
static void FN(im2col)(REAL *restrict col, const REAL *restrict x, const struct conv_geom *g)
{
	int64_t P = g->OH * g->OW;
	bool block = g->SH == 1 && g->SW == 1 && g->OW == g->W; /* im2col_block applies */
	for (int64_t c = 0; c < g->C; c++)
		for (int64_t i = 0; i < g->KH; i++)
			for (int64_t j = 0; j < g->KW; j++) {
				REAL *row = col + ((c * g->KH + i) * g->KW + j) * P;
				int64_t lo, hi;
				FN(inside)(g, j, &lo, &hi);
				if (block) {
					FN(im2col_block)(row, x, g, c, i, j, lo, hi);
					continue;
				}
				for (int64_t oh = 0; oh < g->OH; oh++) {
					REAL *d = row + oh * g->OW;
					int64_t ih = oh * g->SH - g->PH + i;
					if (ih < 0 || ih >= g->H) {
						for (int64_t ow = 0; ow < g->OW; ow++)
							d[ow] = 0;
						continue;
					}
					const REAL *src = x + (c * g->H + ih) * g->W - g->PW + j;
					for (int64_t ow = 0; ow < lo; ow++)
						d[ow] = 0;
					if (g->SW == 1)
						for (int64_t ow = lo; ow < hi; ow++)
							d[ow] = src[ow];
					else
						for (int64_t ow = lo; ow < hi; ow++)
							d[ow] = src[ow * g->SW];
					for (int64_t ow = hi; ow < g->OW; ow++)
						d[ow] = 0;
				}
			}
}

/* dx (C, H, W) = the sum of col's (C·KH·KW, OH·OW) entries over the windows: im2colᵀ. */
static void FN(col2im)(REAL *restrict dx, const REAL *restrict col, const struct conv_geom *g)
{
	int64_t P = g->OH * g->OW;
	for (int64_t i = 0; i < g->C * g->H * g->W; i++)
		dx[i] = 0;
	for (int64_t c = 0; c < g->C; c++)
		for (int64_t i = 0; i < g->KH; i++)
			for (int64_t j = 0; j < g->KW; j++) {
				const REAL *row = col + ((c * g->KH + i) * g->KW + j) * P;
				int64_t lo, hi;
				FN(inside)(g, j, &lo, &hi);
				for (int64_t oh = 0; oh < g->OH; oh++) {
					int64_t ih = oh * g->SH - g->PH + i;
					if (ih < 0 || ih >= g->H)
						continue;
					REAL *dst = dx + (c * g->H + ih) * g->W - g->PW + j;
					const REAL *d = row + oh * g->OW;
					if (g->SW == 1)
						for (int64_t ow = lo; ow < hi; ow++)
							dst[ow] += d[ow];
					else
						for (int64_t ow = lo; ow < hi; ow++)
							dst[ow * g->SW] += d[ow];
				}
			}
}

void FN(conv_forward)(REAL *out, const REAL *in, const REAL *w, const REAL *b, int64_t B,
                      const struct conv_geom *g, REAL *work)
{
	int64_t K = g->C * g->KH * g->KW, P = g->OH * g->OW, slot = FN(slot)(g);
#pragma omp parallel for schedule(static) num_threads(FN(team)(g))
	for (int64_t s = 0; s < B; s++) {
		REAL *col = work + omp_get_thread_num() * slot;
		REAL *y = out + s * g->F * P;
		FN(im2col)(col, in + s * g->C * g->H * g->W, g);
		MATMUL(false, false, g->F, P, K, w, K, col, P, y, P, false,
		       GEMM_AT(col + 2 * FN(lines)(K * P)));
		for (int64_t f = 0; b && f < g->F; f++)
			for (int64_t p = 0; p < P; p++)
				y[f * P + p] += b[f];
	}
}

/* Whether the partial weight gradients are kept transposed, (C·KH·KW, F): when C·KH·KW is
 * narrower than the GEMM's tile (a first conv on one channel: 9), dWᵀ = col·dyᵀ fills the
 * tiles better than dW = dy·colᵀ. A property of the geometry, never of the threads. */
static bool FN(transposed)(const struct conv_geom *g)
{
	return g->C * g->KH * g->KW < 16;
}

/* dW += dy·colᵀ (or dWᵀ += col·dyᵀ, see transposed) and db += Σ dy of one sample (col: its
 * im2col); not inlined, so that a profile tells the weight gradient from the input
 * gradient. */
__attribute__((noinline))
static void FN(weight_grad)(REAL *dwp, REAL *dbp, const REAL *dy, const REAL *col,
                            const struct conv_geom *g, float *gw)
{
	int64_t K = g->C * g->KH * g->KW, P = g->OH * g->OW;
	if (FN(transposed)(g))
		MATMUL(false, true, K, g->F, P, col, P, dy, P, dwp, g->F, true, gw);
	else
		MATMUL(false, true, g->F, K, P, dy, P, col, P, dwp, K, true, gw);
	/* p outermost: each dbp[f] still sums its p in order, but the F sums advance side by
	 * side instead of one chain of dependent additions after another */
	for (int64_t p = 0; p < P; p++)
		for (int64_t f = 0; f < g->F; f++)
			dbp[f] += dy[f * P + p];
}

/* dx = col2im(Wᵀ·dy) of one sample (dcol: room for Wᵀ·dy). */
__attribute__((noinline))
static void FN(data_grad)(REAL *dx, REAL *dcol, const REAL *dy, const REAL *w,
                          const struct conv_geom *g, float *gw)
{
	int64_t K = g->C * g->KH * g->KW, P = g->OH * g->OW;
	MATMUL(true, false, K, P, g->F, w, K, dy, P, dcol, P, false, gw);
	FN(col2im)(dx, dcol, g);
}

/* Part `part` of the batch's gradients: its samples' dW and db into its partial sums,
 * and their input gradients. */
static void FN(conv_backward_part)(REAL *din, REAL *dwp, REAL *dbp, const REAL *dout,
                                   const REAL *in, const REAL *w, int64_t B, int part,
                                   const struct conv_geom *g, REAL *base)
{
	int64_t K = g->C * g->KH * g->KW, P = g->OH * g->OW, X = g->C * g->H * g->W;
	REAL *col = base, *dcol = base + FN(lines)(K * P);
	float *gw = GEMM_AT(base + 2 * FN(lines)(K * P));
	for (int64_t i = 0; i < g->F * K + g->F; i++)
		dwp[i] = 0;
	for (int64_t s = B * part / CONV_PARTS; s < B * (part + 1) / CONV_PARTS; s++) {
		const REAL *dy = dout + s * g->F * P;
		FN(im2col)(col, in + s * X, g);
		FN(weight_grad)(dwp, dbp, dy, col, g, gw);
		if (din)
			FN(data_grad)(din + s * X, dcol, dy, w, g, gw);
	}
}

void FN(conv_backward)(REAL *din, REAL *dw, REAL *db, const REAL *dout, const REAL *in,
                       const REAL *w, int64_t B, const struct conv_geom *g, REAL *work)
{
	int64_t K = g->C * g->KH * g->KW, slot = FN(slot)(g), stride = FN(lines)(g->F * K + g->F);
	REAL *parts = work + g->threads * slot;
#pragma omp parallel for schedule(static) num_threads(FN(team)(g))
	for (int part = 0; part < CONV_PARTS; part++) {
		REAL *dwp = parts + part * stride;
		FN(conv_backward_part)(din, dwp, dwp + g->F * K, dout, in, w, B, part, g,
		                       work + omp_get_thread_num() * slot);
	}
#pragma omp parallel for schedule(static) num_threads(FN(team)(g))
	for (int64_t i = 0; i < g->F * K + g->F; i++) { /* the parts in order, each element */
		bool weight = i < g->F * K, flip = weight && FN(transposed)(g);
		int64_t at = flip ? i % K * g->F + i / K : i; /* dW[f][k] is dWᵀ[k][f] */
		REAL sum = 0;
		for (int part = 0; part < CONV_PARTS; part++)
			sum += parts[part * stride + at];
		if (weight)
			dw[i] += sum;
		else if (db)
			db[i - g->F * K] += sum;
	}
}

/* One plane of the usual pooling, 2×2 windows of stride 2, with the window's four places
 * written out: the same comparisons in the same order as the general loop below (the
 * first place needs none: against −∞ it is taken, or is −∞ at its own place), so the same
 * maximum and place. The general loop's strided inner loop vectorizes poorly: this halved
 * maxpool's forward-and-backward time in build/bench/conv. */
static void FN(maxpool_2x2)(REAL *restrict most, int32_t *restrict best, const REAL *x,
                            const struct conv_geom *g)
{
	int64_t W = g->W;
	for (int64_t oh = 0; oh < g->OH; oh++) {
		const REAL *r0 = x + 2 * oh * W, *r1 = r0 + W;
		for (int64_t ow = 0; ow < g->OW; ow++) {
			int32_t at = (int32_t)(2 * oh * W + 2 * ow);
			REAL m = r0[2 * ow], v = r0[2 * ow + 1];
			int32_t k = at;
			bool take = v > m || v != v; /* PyTorch's rule: NaN wins */
			m = take ? v : m;
			k = take ? at + 1 : k;
			v = r1[2 * ow];
			take = v > m || v != v;
			m = take ? v : m;
			k = take ? at + (int32_t)W : k;
			v = r1[2 * ow + 1];
			take = v > m || v != v;
			most[oh * g->OW + ow] = take ? v : m;
			best[oh * g->OW + ow] = take ? at + (int32_t)W + 1 : k;
		}
	}
}

/* Window by window over a whole output row at a time, branch-free (so that it
 * vectorizes): out and argmax hold the running maximum and its place. */
void FN(maxpool_forward)(REAL *out, int32_t *argmax, const REAL *in, int64_t B,
                         const struct conv_geom *g)
{
	int64_t P = g->OH * g->OW, X = g->H * g->W;
	bool two = g->KH == 2 && g->KW == 2 && g->SH == 2 && g->SW == 2;
#pragma omp parallel for schedule(static) num_threads(FN(team)(g))
	for (int64_t plane = 0; plane < B * g->C; plane++) {
		const REAL *x = in + plane * X;
		if (two) {
			FN(maxpool_2x2)(out + plane * P, argmax + plane * P, x, g);
			continue;
		}
		for (int64_t oh = 0; oh < g->OH; oh++) {
			REAL *restrict most = out + plane * P + oh * g->OW;
			int32_t *restrict best = argmax + plane * P + oh * g->OW;
			int32_t top = (int32_t)(oh * g->SH * g->W);
			for (int64_t ow = 0; ow < g->OW; ow++) {
				most[ow] = -(REAL)INFINITY;
				best[ow] = top + (int32_t)(ow * g->SW);
			}
			for (int64_t i = 0; i < g->KH; i++)
				for (int64_t j = 0; j < g->KW; j++) {
					int32_t at = top + (int32_t)(i * g->W + j);
					const REAL *v = x + at;
					for (int64_t ow = 0; ow < g->OW; ow++) {
						REAL a = v[ow * g->SW];
						bool take = a > most[ow] || a != a; /* PyTorch's rule: NaN wins */
						most[ow] = take ? a : most[ow];
						best[ow] = take ? at + (int32_t)(ow * g->SW) : best[ow];
					}
				}
		}
	}
}

void FN(maxpool_backward)(REAL *din, const REAL *dout, const int32_t *argmax, int64_t B,
                          const struct conv_geom *g)
{
	int64_t P = g->OH * g->OW, X = g->H * g->W;
#pragma omp parallel for schedule(static) num_threads(FN(team)(g))
	for (int64_t plane = 0; plane < B * g->C; plane++) {
		REAL *dx = din + plane * X;
		for (int64_t i = 0; i < X; i++)
			dx[i] = 0;
		for (int64_t p = 0; p < P; p++)
			dx[argmax[plane * P + p]] += dout[plane * P + p];
	}
}

void FN(avgpool_forward)(REAL *out, const REAL *in, int64_t B, const struct conv_geom *g)
{
	int64_t P = g->OH * g->OW, X = g->H * g->W;
	REAL area = (REAL)(g->KH * g->KW);
#pragma omp parallel for schedule(static) num_threads(FN(team)(g))
	for (int64_t plane = 0; plane < B * g->C; plane++) {
		const REAL *x = in + plane * X;
		for (int64_t oh = 0; oh < g->OH; oh++)
			for (int64_t ow = 0; ow < g->OW; ow++) {
				const REAL *top = x + oh * g->SH * g->W + ow * g->SW;
				REAL sum = 0;
				for (int64_t i = 0; i < g->KH; i++)
					for (int64_t j = 0; j < g->KW; j++)
						sum += top[i * g->W + j];
				out[plane * P + oh * g->OW + ow] = sum / area;
			}
	}
}

void FN(avgpool_backward)(REAL *din, const REAL *dout, int64_t B, const struct conv_geom *g)
{
	int64_t P = g->OH * g->OW, X = g->H * g->W;
	REAL area = (REAL)(g->KH * g->KW);
#pragma omp parallel for schedule(static) num_threads(FN(team)(g))
	for (int64_t plane = 0; plane < B * g->C; plane++) {
		REAL *dx = din + plane * X;
		for (int64_t i = 0; i < X; i++)
			dx[i] = 0;
		for (int64_t oh = 0; oh < g->OH; oh++)
			for (int64_t ow = 0; ow < g->OW; ow++) {
				REAL *top = dx + oh * g->SH * g->W + ow * g->SW;
				REAL share = dout[plane * P + oh * g->OW + ow] / area;
				for (int64_t i = 0; i < g->KH; i++)
					for (int64_t j = 0; j < g->KW; j++)
						top[i * g->W + j] += share;
			}
	}
}

/* Σ over the batch of channel c's values of x (B, C, HW), each sample's HW in 8 lanes
 * (so that the loop vectorizes), in double across samples; with mean, of (x − mean)². */
static double FN(channel_sum)(const REAL *x, int64_t B, int64_t C, int64_t HW, int64_t c,
                              bool squares, REAL mean)
{
	double total = 0;
	for (int64_t s = 0; s < B; s++) {
		const REAL *v = x + (s * C + c) * HW;
		REAL lane[8] = {0};
		int64_t i = 0;
		for (; i + 8 <= HW; i += 8)
			for (int k = 0; k < 8; k++)
				lane[k] += squares ? (v[i + k] - mean) * (v[i + k] - mean) : v[i + k];
		for (; i < HW; i++)
			lane[0] += squares ? (v[i] - mean) * (v[i] - mean) : v[i];
		for (int k = 0; k < 8; k++)
			total += lane[k];
	}
	return total;
}

void FN(batchnorm2d_forward)(REAL *out, REAL *saved, REAL *running_mean, REAL *running_var,
                             const REAL *in, const REAL *gamma, const REAL *beta, int64_t B,
                             int64_t C, int64_t HW, double momentum, double eps, bool training)
{
	REAL *mean = saved, *inv = saved + C;
	double n = (double)(B * HW);
#pragma omp parallel for schedule(static)
	for (int64_t c = 0; c < C; c++) {
		if (training) {
			mean[c] = (REAL)(FN(channel_sum)(in, B, C, HW, c, false, 0) / n);
			double squares = FN(channel_sum)(in, B, C, HW, c, true, mean[c]);
			double unbiased = n > 1 ? squares / (n - 1) : squares;
			running_mean[c] = (REAL)((1 - momentum) * running_mean[c] + momentum * mean[c]);
			running_var[c] = (REAL)((1 - momentum) * running_var[c] + momentum * unbiased);
			inv[c] = (REAL)(1 / sqrt(squares / n + eps));
		} else {
			mean[c] = running_mean[c];
			inv[c] = (REAL)(1 / sqrt((double)running_var[c] + eps));
		}
	}
#pragma omp parallel for schedule(static)
	for (int64_t plane = 0; plane < B * C; plane++) {
		int64_t c = plane % C;
		const REAL *x = in + plane * HW;
		REAL *y = out + plane * HW, m = mean[c], r = inv[c], gm = gamma[c], bt = beta[c];
		for (int64_t i = 0; i < HW; i++)
			y[i] = gm * ((x[i] - m) * r) + bt;
	}
}

void FN(batchnorm2d_backward)(REAL *din, REAL *dgamma, REAL *dbeta, const REAL *dout,
                              const REAL *in, REAL *saved, const REAL *gamma, int64_t B,
                              int64_t C, int64_t HW)
{
	const REAL *mean = saved, *inv = saved + C;
	REAL *sum = saved + 2 * C, *dot = saved + 3 * C;
#pragma omp parallel for schedule(static)
	for (int64_t c = 0; c < C; c++) {
		double s1 = 0, s2 = 0;
		for (int64_t s = 0; s < B; s++) {
			const REAL *x = in + (s * C + c) * HW, *dy = dout + (s * C + c) * HW;
			REAL a[8] = {0}, d[8] = {0};
			int64_t i = 0;
			for (; i + 8 <= HW; i += 8)
				for (int k = 0; k < 8; k++) {
					a[k] += dy[i + k];
					d[k] += dy[i + k] * ((x[i + k] - mean[c]) * inv[c]);
				}
			for (; i < HW; i++) {
				a[0] += dy[i];
				d[0] += dy[i] * ((x[i] - mean[c]) * inv[c]);
			}
			for (int k = 0; k < 8; k++)
				s1 += a[k], s2 += d[k];
		}
		sum[c] = (REAL)s1;
		dot[c] = (REAL)s2;
		dgamma[c] += dot[c];
		dbeta[c] += sum[c];
	}
	if (!din)
		return;
	const REAL n = (REAL)(B * HW);
#pragma omp parallel for schedule(static)
	for (int64_t plane = 0; plane < B * C; plane++) {
		int64_t c = plane % C;
		const REAL *x = in + plane * HW, *dy = dout + plane * HW;
		REAL *dx = din + plane * HW, m = mean[c], r = inv[c], k = gamma[c] * inv[c],
		     ms = sum[c] / n, md = dot[c] / n;
		for (int64_t i = 0; i < HW; i++)
			dx[i] = k * (dy[i] - ms - (x[i] - m) * r * md);
	}
}

#undef CAT_
#undef CAT
#undef FN
