/* phasepinn plugin — dense BFGS with a strong-Wolfe line search.
 *
 * The classical inverse update (Nocedal & Wright, Numerical Optimization,
 * 2nd ed., eq. 6.17), with ρ = 1/sᵀy:
 *     H₊ = (I − ρ·s·yᵀ)·H·(I − ρ·y·sᵀ) + ρ·s·sᵀ
 * which is the self-scaled Broyden family of dense_quasi_newton.h with
 * τ = 1 and φ = 1 (Urbán, Stefanou & Pons 2025, eq. 10).  H is dense:
 * n² doubles, refused above max_memory_mb.  Everything else — line search,
 * restarts, stop reasons, checkpoints, keys — is in dense_quasi_newton.h
 * and docs/optimizers.md.
 */
#include "dense_quasi_newton.h"

static const pp_qn_method bfgs_method = {.name = "bfgs"};

static int bfgs_create(const pp_config *cfg, size_t n, void **state, pp_error *err)
{
	return pp_qn_create(&bfgs_method, cfg, n, state, err);
}

static const pp_optimizer_ops bfgs_ops = PP_QN_OPS(bfgs_create);

PP_PLUGIN_DEFINE(PP_KIND_OPTIMIZER, "bfgs",
		 "dense BFGS (n² memory) with strong-Wolfe line search and restarts",
		 &bfgs_ops)
