/* phasepinn plugin — self-scaled BFGS (dense, strong-Wolfe line search).
 *
 * The BFGS member (φ = 1) of the self-scaled Broyden family of
 * dense_quasi_newton.h (Urbán, Stefanou & Pons, J. Comput. Phys. 2025,
 * arXiv 2405.04230, eq. 10), in the self-scaling of Oren & Luenberger
 * (1974): H is divided by τ_k before the update, with
 *     b_k = sᵀH⁻¹s / sᵀy = −α·sᵀg / sᵀy
 *     τ_k = min(1, 1/b_k)    (tau: al_baali, Al-Baali's choice; Urbán et al.
 *                             eq. 11, the paper's "SSBFGS")
 *     τ_k = 1/b_k            (tau: oren_luenberger, the original choice,
 *                             which the paper does not recommend)
 * In B = H⁻¹ terms this scales B by 1/b_k = sᵀy/sᵀBs (Nocedal & Yuan 1993)
 * before the BFGS update; Al-Baali's min(1, ·) only ever shrinks B, which
 * keeps the global convergence of BFGS on convex functions.
 */
#include "dense_quasi_newton.h"

enum { TAU_AL_BAALI, TAU_OREN_LUENBERGER };

static int ssbfgs_read_variant(const pp_config *cfg, int *variant, pp_error *err)
{
	static const char *const choices[] = {"al_baali", "oren_luenberger", NULL};

	return pp_config_choice(cfg, "tau", "al_baali", choices, variant, err);
}

static void ssbfgs_scaling(const pp_qn_pair *p, int variant, double *tau, double *phi)
{
	*tau = variant == TAU_OREN_LUENBERGER ? 1.0 / p->b : fmin(1.0, 1.0 / p->b);
	*phi = 1.0;
}

static const pp_qn_method ssbfgs_method = {
	.name = "ssbfgs",
	.read_variant = ssbfgs_read_variant,
	.scaling = ssbfgs_scaling,
};

static int ssbfgs_create(const pp_config *cfg, size_t n, void **state, pp_error *err)
{
	return pp_qn_create(&ssbfgs_method, cfg, n, state, err);
}

static const pp_optimizer_ops ssbfgs_ops = PP_QN_OPS(ssbfgs_create);

PP_PLUGIN_DEFINE(PP_KIND_OPTIMIZER, "ssbfgs",
		 "self-scaled BFGS (Oren-Luenberger/Al-Baali tau, dense n² memory), strong-Wolfe line search",
		 &ssbfgs_ops)
